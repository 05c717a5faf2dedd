// Package search is FHIR search over the typed tables: it parses a search
// URL's parameters against the R4 search parameters of a type, and compiles
// them to one DuckDB query whose predicates come from the parameters'
// FHIRPath expressions (compiled by fhirsql).
package search

import (
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/fhirlake/fhirlake/r4"
	"github.com/fhirlake/fhirlake/terminology"
)

// Query is a parsed search.
type Query struct {
	Type    string
	Clauses []*Clause // ANDed
	// Result parameters.
	Count  int // page size (0: default)
	Offset int
	// Snapshot, when set, is the instant the matches are taken at (the
	// _snapshot of a page link): the resources as they were then, so the
	// pages after the first neither shift nor change when resources are
	// written meanwhile.
	Snapshot   time.Time
	Sort       []SortKey
	Total      string // none, estimate, accurate ("": default)
	Summary    string
	Elements   string
	Include    []Include
	RevInclude []Include
	// Unknown lists parameters that were ignored (lenient handling).
	Unknown []string
	// Compartment restricts the search to a compartment (Patient/123/...).
	Compartment *Compartment
}

// Compartment is a compartment search: resources whose compartment
// parameters (Params) reference Type/ID.
type Compartment struct {
	Type, ID string
	Params   []*r4.SearchParam
}

// Clause is one parameter occurrence: values ORed.
type Clause struct {
	Param    *r4.SearchParam // nil for _id, _lastUpdated handled specially
	Name     string          // as written, without modifier
	Modifier string
	// Chain is a chained search: the parameter's references must point to
	// resources (of ChainType) matching Chain.
	Chain     *Clause
	ChainType string
	// Has is a reverse chain (_has:Type:ref:param): resources referenced
	// through Has.Ref by a resource of Has.Type matching Has.Clause.
	Has    *HasClause
	Values []Value
}

// HasClause is _has:Type:reference-param:clause.
type HasClause struct {
	Type   string
	Ref    *r4.SearchParam
	Clause *Clause
}

// Value is one value of a parameter, with its prefix (eq, gt, ...).
type Value struct {
	Prefix string
	Raw    string // after the prefix, unescaped
	// Codes are the codes a token value with :in, :not-in, :below or
	// :above stands for, read from the stored terminology when the
	// search runs (resolveTerms).
	Codes *terminology.Set
}

// SortKey is one _sort key.
type SortKey struct {
	Name       string
	Param      *r4.SearchParam
	Descending bool
}

// Include is an _include or _revinclude: Source:param[:Target], :iterate.
type Include struct {
	Source  string
	Param   *r4.SearchParam
	Target  string
	Iterate bool
	All     bool // *
}

// Error is a search the server cannot run: a 400 with this message.
type Error struct{ Msg string }

func (e *Error) Error() string { return e.Msg }

func errorf(format string, args ...any) error { return &Error{Msg: fmt.Sprintf(format, args...)} }

// resultParams are handled by Parse itself.
var resultParams = map[string]bool{
	"_count": true, "_offset": true, "_snapshot": true, "_sort": true, "_total": true, "_summary": true, "_elements": true,
	"_include": true, "_revinclude": true, "_format": true, "_pretty": true, "_contained": true, "_containedType": true,
}

// Parse reads a search's parameters for a resource type. Unknown and
// unsupported parameters (chains through them, special ones other than
// Location's near) are errors when strict, else listed in Query.Unknown
// and ignored.
// An unsupported modifier is always an error: FHIR asks servers to reject
// it, since ignoring a modifier changes what a parameter matches.
func Parse(m *r4.Model, typ string, params url.Values, strict bool) (*Query, error) {
	q := &Query{Type: typ}
	names := make([]string, 0, len(params))
	for n := range params {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, full := range names {
		values := params[full]
		name, modifier, _ := strings.Cut(full, ":")
		if resultParams[name] {
			if modifier == "iterate" && (name == "_include" || name == "_revinclude") {
				it := make([]string, len(values))
				for i, v := range values {
					it[i] = "iterate|" + v
				}
				values = it
			}
			if err := q.result(m, name, values); err != nil {
				return nil, err
			}
			continue
		}
		for _, v := range values {
			c, err := parseClause(m, typ, full, v)
			if err != nil {
				if u, ok := err.(*unknownError); ok {
					if !strict {
						q.Unknown = append(q.Unknown, u.Error())
						continue
					}
					return nil, &Error{Msg: u.Error()}
				}
				return nil, err
			}
			q.Clauses = append(q.Clauses, c)
		}
	}
	return q, nil
}

type unknownError struct{ msg string }

func (e *unknownError) Error() string { return e.msg }

// parseClause reads name[:modifier][.chain]=values for type typ.
func parseClause(m *r4.Model, typ, full, raw string) (*Clause, error) {
	if strings.HasPrefix(full, "_has:") {
		return parseHas(m, typ, full, raw)
	}
	head, chain, chained := strings.Cut(full, ".")
	name, modifier, _ := strings.Cut(head, ":")
	c := &Clause{Name: name, Modifier: modifier}
	switch name {
	case "_id", "_lastUpdated":
		c.Param = m.SearchParam(typ, name)
	default:
		c.Param = m.SearchParam(typ, name)
		if c.Param == nil {
			return nil, &unknownError{fmt.Sprintf("unknown search parameter %q for %s", name, typ)}
		}
	}
	if c.Param == nil {
		return nil, &unknownError{fmt.Sprintf("unknown search parameter %q for %s", name, typ)}
	}
	if c.Param.Type == "special" && !(c.Param.Code == "near" && typ == "Location") {
		return nil, &unknownError{fmt.Sprintf("the special search parameter %q of %s is not supported", name, typ)}
	}
	if chained {
		if c.Param.Type != "reference" {
			return nil, errorf("%s is a %s parameter and cannot be chained (%s)", name, c.Param.Type, full)
		}
		target := modifier
		if target == "" {
			targets := c.Param.Targets
			if len(targets) != 1 {
				return nil, errorf("the chain %s is ambiguous: %s may point to %s; name the type (%s:Type.%s)", full, name, strings.Join(targets, ", "), name, chain)
			}
			target = targets[0]
		} else if !m.IsResource(target) {
			return nil, errorf("%q in %s is not a resource type", target, full)
		}
		c.ChainType, c.Modifier = target, ""
		inner, err := parseClause(m, target, chain, raw)
		if err != nil {
			if u, ok := err.(*unknownError); ok {
				return nil, &unknownError{fmt.Sprintf("%s in the chain %s", u.msg, full)}
			}
			return nil, err
		}
		c.Chain = inner
		return c, nil
	}
	if err := checkModifier(m, c); err != nil {
		return nil, err
	}
	for _, part := range splitValues(raw) {
		v := Value{Raw: part}
		if hasPrefixes(c.Param.Type) && c.Modifier != "missing" {
			v.Prefix, v.Raw = splitPrefix(part)
		}
		c.Values = append(c.Values, v)
	}
	if len(c.Values) == 0 {
		return nil, errorf("%s has no value", full)
	}
	return c, nil
}

// parseHas reads _has:Type:refparam:param[:modifier]=value.
func parseHas(m *r4.Model, typ, full, raw string) (*Clause, error) {
	parts := strings.SplitN(strings.TrimPrefix(full, "_has:"), ":", 3)
	if len(parts) < 3 {
		return nil, errorf("%s must be _has:Type:reference-parameter:parameter", full)
	}
	other, refName, rest := parts[0], parts[1], parts[2]
	if !m.IsResource(other) {
		return nil, errorf("%q in %s is not a resource type", other, full)
	}
	ref := m.SearchParam(other, refName)
	if ref == nil || ref.Type != "reference" {
		return nil, errorf("%q is not a reference search parameter of %s (in %s)", refName, other, full)
	}
	inner, err := parseClause(m, other, rest, raw)
	if err != nil {
		return nil, err
	}
	return &Clause{Name: "_has", Has: &HasClause{Type: other, Ref: ref, Clause: inner}}, nil
}

// modifiers allowed per parameter type (besides missing).
var modifiers = map[string]map[string]bool{
	"string":    {"exact": true, "contains": true},
	"token":     {"not": true, "text": true, "of-type": true, "below": true, "above": true, "in": true, "not-in": true},
	"reference": {"identifier": true, "below": true, "above": true},
	"uri":       {"below": true, "above": true},
	"date":      {},
	"number":    {},
	"quantity":  {},
	"composite": {},
	"special":   {},
}

func checkModifier(m *r4.Model, c *Clause) error {
	if c.Modifier == "" || c.Modifier == "missing" {
		return nil
	}
	if c.Param.Type == "reference" && m.IsResource(c.Modifier) {
		return nil // a type modifier: subject:Patient
	}
	if !modifiers[c.Param.Type][c.Modifier] {
		return errorf("the modifier :%s is not defined for %s parameters (%s)", c.Modifier, c.Param.Type, c.Name)
	}
	return nil
}

func hasPrefixes(t string) bool { return t == "date" || t == "number" || t == "quantity" }

var prefixes = []string{"eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap"}

func splitPrefix(v string) (string, string) {
	if len(v) > 2 {
		for _, p := range prefixes {
			if strings.HasPrefix(v, p) && (v[2] == '-' || v[2] == '+' || v[2] == '.' || v[2] >= '0' && v[2] <= '9') {
				return p, v[2:]
			}
		}
	}
	return "eq", v
}

// splitValues splits on commas not escaped with a backslash, and unescapes
// \, \$ \| \\.
func splitValues(raw string) []string {
	var out []string
	var b strings.Builder
	for i := 0; i < len(raw); i++ {
		switch c := raw[i]; {
		case c == '\\' && i+1 < len(raw):
			i++
			if raw[i] != ',' && raw[i] != '$' && raw[i] != '|' && raw[i] != '\\' {
				b.WriteByte('\\')
			}
			if raw[i] == '$' || raw[i] == '|' {
				b.WriteByte('\\') // keep: split later by the type's parser
			}
			b.WriteByte(raw[i])
		case c == ',':
			out = append(out, b.String())
			b.Reset()
		default:
			b.WriteByte(c)
		}
	}
	out = append(out, b.String())
	kept := out[:0]
	for _, v := range out {
		if v != "" {
			kept = append(kept, v)
		}
	}
	return kept
}

// splitEscaped splits on a separator not preceded by a backslash, and
// removes the escapes.
func splitEscaped(s string, sep byte) []string {
	var out []string
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
			b.WriteByte(s[i])
			continue
		}
		if s[i] == sep {
			out = append(out, b.String())
			b.Reset()
			continue
		}
		b.WriteByte(s[i])
	}
	return append(out, b.String())
}

func (q *Query) result(m *r4.Model, name string, values []string) error {
	last := values[len(values)-1]
	switch name {
	case "_count":
		n, err := strconv.Atoi(last)
		if err != nil || n < 0 {
			return errorf("_count must be a whole number, not %q", last)
		}
		q.Count = n
	case "_offset":
		n, err := strconv.Atoi(last)
		if err != nil || n < 0 {
			return errorf("_offset must be a whole number, not %q", last)
		}
		q.Offset = n
	case "_snapshot":
		t, err := ParseSnapshot(last)
		if err != nil {
			return err
		}
		q.Snapshot = t
	case "_total":
		switch last {
		case "none", "estimate", "accurate":
			q.Total = last
		default:
			return errorf("_total must be none, estimate or accurate, not %q", last)
		}
	case "_summary":
		q.Summary = last
	case "_elements":
		q.Elements = last
	case "_sort":
		for _, v := range values {
			for _, k := range strings.Split(v, ",") {
				key := SortKey{Name: k}
				if strings.HasPrefix(k, "-") {
					key.Name, key.Descending = k[1:], true
				}
				key.Param = m.SearchParam(q.Type, key.Name)
				if key.Param == nil {
					return errorf("cannot sort by %q: it is not a search parameter of %s", key.Name, q.Type)
				}
				switch key.Param.Type {
				case "composite", "special":
					return errorf("cannot sort by the %s parameter %q", key.Param.Type, key.Name)
				}
				q.Sort = append(q.Sort, key)
			}
		}
	case "_include", "_revinclude":
		for _, v := range values {
			inc, err := parseInclude(m, v)
			if err != nil {
				return err
			}
			if name == "_include" {
				q.Include = append(q.Include, inc)
			} else {
				q.RevInclude = append(q.RevInclude, inc)
			}
		}
	case "_contained", "_containedType":
		if last != "false" && name == "_contained" {
			return errorf("_contained=%s is not supported", last)
		}
	}
	return nil
}

// parseInclude reads Source:param[:Target] or *; ":iterate" may follow the
// parameter name in the URL (_include:iterate=...) — Parse passes it in v
// as a leading "iterate|".
func parseInclude(m *r4.Model, v string) (Include, error) {
	var inc Include
	if rest, ok := strings.CutPrefix(v, "iterate|"); ok {
		inc.Iterate, v = true, rest
	}
	if v == "*" {
		inc.All = true
		return inc, nil
	}
	parts := strings.Split(v, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return inc, errorf("%q is not Type:parameter[:TargetType]", v)
	}
	inc.Source = parts[0]
	if !m.IsResource(inc.Source) {
		return inc, errorf("%q in %q is not a resource type", inc.Source, v)
	}
	if parts[1] == "*" {
		inc.All = true
	} else {
		inc.Param = m.SearchParam(inc.Source, parts[1])
		if inc.Param == nil || inc.Param.Type != "reference" {
			return inc, errorf("%q is not a reference search parameter of %s", parts[1], inc.Source)
		}
	}
	if len(parts) == 3 {
		inc.Target = parts[2]
		if !m.IsResource(inc.Target) {
			return inc, errorf("%q in %q is not a resource type", inc.Target, v)
		}
	}
	return inc, nil
}

// ParseSnapshot reads the _snapshot of a page link (a search's or a
// history's): the instant the first page was taken.
func ParseSnapshot(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, errorf("_snapshot must be an instant (as in the page links), not %q", s)
	}
	return t.UTC(), nil
}
