// Package terminology answers the questions FHIR search asks of code
// systems and value sets (the token modifiers :in, :not-in, :below and
// :above) from the CodeSystem and ValueSet resources stored in a data
// store. There is no external terminology server: a value set that
// includes a whole code system (SNOMED CT, LOINC) matches that system's
// codes without the system being stored; a hierarchy or a filter needs
// the CodeSystem resource.
package terminology

import (
	"context"
	"fmt"
	"strings"
)

// Source reads stored CodeSystem and ValueSet resources as FHIR JSON.
type Source interface {
	// ByURL gives the current resources of a type whose url is url, the
	// most recently written first.
	ByURL(ctx context.Context, typ, url string) ([][]byte, error)
	// ByID gives the current resource of a type with an id, or nil.
	ByID(ctx context.Context, typ, id string) ([]byte, error)
}

// Error is a question the stored terminology cannot answer: the value
// set or code system is missing, malformed or too large; a client error.
type Error struct{ Msg string }

func (e *Error) Error() string { return e.Msg }

func errorf(format string, args ...any) error { return &Error{Msg: fmt.Sprintf(format, args...)} }

// MaxCodes bounds an expansion's size.
const MaxCodes = 100_000

// maxDepth bounds the nesting of value sets in value sets.
const maxDepth = 16

// Terms resolves terminology questions against a Source, remembering what
// it has read (one Terms per search).
type Terms struct {
	src     Source
	systems map[string]*codeSystem
	sets    map[string]*Set
}

// New returns Terms reading from src.
func New(src Source) *Terms {
	return &Terms{src: src, systems: map[string]*codeSystem{}, sets: map[string]*Set{}}
}

// Below is the code and the codes it subsumes in a stored code system
// (:below); Above is the code and the codes that subsume it (:above). A
// code the system does not hold is itself only.
func (t *Terms) Below(ctx context.Context, system, code string) (*Set, error) {
	return t.hierarchy(ctx, system, code, ":below", (*codeSystem).descendants)
}

// Above: see Below.
func (t *Terms) Above(ctx context.Context, system, code string) (*Set, error) {
	return t.hierarchy(ctx, system, code, ":above", (*codeSystem).ancestors)
}

func (t *Terms) hierarchy(ctx context.Context, system, code, what string, walk func(*codeSystem, string) []string) (*Set, error) {
	if system == "" {
		return nil, errorf("%s needs a code system: system|code, not %q", what, code)
	}
	cs, err := t.codeSystem(ctx, system, what)
	if err != nil {
		return nil, err
	}
	s := NewSet()
	s.Add(system, walk(cs, code)...)
	return s, nil
}

// codeSystem reads the stored CodeSystem with a canonical URL (url or
// url|version).
func (t *Terms) codeSystem(ctx context.Context, canonical, why string) (*codeSystem, error) {
	if cs, ok := t.systems[canonical]; ok {
		return cs, nil
	}
	doc, err := t.canonical(ctx, "CodeSystem", canonical)
	if err != nil {
		return nil, err
	}
	if doc == nil {
		return nil, errorf("the code system %s is not stored in this data store; %s reads its concepts from a CodeSystem resource with that url", canonical, why)
	}
	cs, err := parseCodeSystem(doc)
	if err != nil {
		return nil, errorf("the code system %s: %v", canonical, err)
	}
	t.systems[canonical] = cs
	return cs, nil
}

// canonical finds the stored resource a canonical URL names: url|version
// the one with that version, url alone the most recently written. A
// relative reference (ValueSet/123) names a resource by id.
func (t *Terms) canonical(ctx context.Context, typ, canonical string) ([]byte, error) {
	if id, ok := strings.CutPrefix(canonical, typ+"/"); ok && !strings.Contains(id, "/") {
		return t.src.ByID(ctx, typ, id)
	}
	url, version, versioned := strings.Cut(canonical, "|")
	docs, err := t.src.ByURL(ctx, typ, url)
	if err != nil {
		return nil, err
	}
	for _, d := range docs {
		if !versioned || versionOf(d) == version {
			return d, nil
		}
	}
	return nil, nil
}
