// Package fhirflat turns FHIR R4 resources into rows of typed, nested columns
// and back. One walk over the r4 model (Build) makes the Schema of a resource
// type; the DDL, the writer (Flatten) and the reader (Unflatten) all follow
// that Schema, so they cannot drift apart.
package fhirflat

import (
	"fmt"
	"strings"
	"sync"

	"github.com/fhirlake/fhirlake/r4"
)

// Options shape the schema. The zero value means the defaults.
type Options struct {
	// MaxDepth is how many times a recursive backbone element may nest
	// (Questionnaire.item.item...); a deeper occurrence is kept as JSON.
	// Default 3. Datatypes that recur inside themselves only by accident
	// of the spec (Reference.identifier.assigner is a Reference) are typed
	// once on a path and kept as JSON where they recur: that keeps a
	// Reference column at about 30 fields instead of about 90.
	MaxDepth int
	// MaxChoiceTypes: a choice element [x] with more allowed types than this
	// (the open types of Extension, ElementDefinition, Parameters, Task) is
	// kept as one JSON column instead of a column per type. Default 20.
	MaxChoiceTypes int
}

func (o Options) withDefaults() Options {
	if o.MaxDepth <= 0 {
		o.MaxDepth = 3
	}
	if o.MaxChoiceTypes <= 0 {
		o.MaxChoiceTypes = 20
	}
	return o
}

// Kind is how a field is stored.
type Kind uint8

const (
	// Primitive: a FHIR primitive in a scalar column.
	Primitive Kind = iota
	// Struct: a complex value in a STRUCT of its elements.
	Struct
	// JSON: the FHIR JSON of the value, kept whole (extensions, contained
	// resources, open choices, recursion past MaxDepth).
	JSON
)

// Field is one column, or one field of a STRUCT column.
type Field struct {
	Name   string // column name = FHIR JSON name (valueQuantity for a choice)
	Path   string // element path, e.g. Observation.valueQuantity
	Kind   Kind
	Type   string // FHIR type code; "BackboneElement" for inline structures
	Many   bool   // 0..*: a LIST (a JSON array for Kind JSON)
	Min    int
	Fields []*Field // Kind Struct
	Choice string   // for a choice column: the stem ("value"); JSON choices keep every valueX key
	Codes  []string // required binding codes, when known
	Elem   *r4.Element

	// Seq numbers the fields of a schema in preorder (0 for the first
	// top-level field): the bit of the field in a Row's Present set.
	Seq    int
	Parent *Field // nil at the top level

	idx    int // position among its siblings
	byName map[string]*Field
}

// PrimitiveExtField is the struct field (and top-level column) that keeps the
// "_name" siblings of primitive values (their id and extensions) as JSON.
const PrimitiveExtField = "_primitive"

// System columns of every resource table, before the FHIR elements.
const (
	ColID          = "id"
	ColVersionID   = "version_id"
	ColLastUpdated = "last_updated"
	ColDeleted     = "deleted" // history tables only
)

// Schema is the layout of one resource type's table.
type Schema struct {
	ResourceType string
	Table        string   // lower-case table name, as HealthLake's Athena tables
	Fields       []*Field // FHIR elements after the system columns (id, meta, ... in definition order)
	// BySeq lists every field, top-level and nested, by Seq.
	BySeq []*Field

	byName map[string]*Field
}

// Field returns the top-level field for a JSON key, or nil.
func (s *Schema) Field(name string) *Field { return s.byName[name] }

// Field returns the struct field for a JSON key, or nil.
func (f *Field) Field(name string) *Field { return f.byName[name] }

// Root is the top-level field f is in (f itself at the top level): the
// table column holding it.
func (f *Field) Root() *Field {
	for f.Parent != nil {
		f = f.Parent
	}
	return f
}

// Builder builds and caches schemas for one set of options.
type Builder struct {
	model *r4.Model
	opts  Options

	mu      sync.Mutex
	schemas map[string]*Schema
}

// NewBuilder returns a Builder over the R4 model.
func NewBuilder(m *r4.Model, opts Options) *Builder {
	return &Builder{model: m, opts: opts.withDefaults(), schemas: map[string]*Schema{}}
}

var (
	defaultOnce    sync.Once
	defaultBuilder *Builder
)

// Default is the Builder with default options over the embedded R4 model.
func Default() *Builder {
	defaultOnce.Do(func() { defaultBuilder = NewBuilder(r4.Load(), Options{}) })
	return defaultBuilder
}

// Model returns the R4 model the builder walks.
func (b *Builder) Model() *r4.Model { return b.model }

// Schema returns the schema of a concrete resource type.
func (b *Builder) Schema(resourceType string) (*Schema, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if s, ok := b.schemas[resourceType]; ok {
		return s, nil
	}
	if !b.model.IsResource(resourceType) {
		return nil, fmt.Errorf("unknown resource type %q", resourceType)
	}
	resourceType = strings.Clone(resourceType) // kept: callers may pass a view of their buffer
	t := b.model.Type(resourceType)
	w := walker{model: b.model, opts: b.opts, seen: map[string]int{}}
	s := &Schema{ResourceType: resourceType, Table: TableName(resourceType)}
	for _, e := range t.Elements {
		switch e.Name {
		case "id":
			continue // the id column
		case "meta":
			s.Fields = append(s.Fields, w.metaField(e))
			continue
		}
		s.Fields = append(s.Fields, w.element(e)...)
	}
	s.Fields = append(s.Fields, &Field{Name: PrimitiveExtField, Path: resourceType + "." + PrimitiveExtField, Kind: JSON})
	s.byName = index(s.Fields)
	var number func(fs []*Field, parent *Field)
	number = func(fs []*Field, parent *Field) {
		for _, f := range fs {
			f.Seq = len(s.BySeq)
			f.Parent = parent
			s.BySeq = append(s.BySeq, f)
			number(f.Fields, f)
		}
	}
	number(s.Fields, nil)
	b.schemas[resourceType] = s
	return s, nil
}

// TableName is the table of a resource type: its name in lower case.
func TableName(resourceType string) string { return strings.ToLower(resourceType) }

// HistoryTable is the table of a type's earlier versions and deletions.
func HistoryTable(resourceType string) string { return TableName(resourceType) + "_history" }

type walker struct {
	model *r4.Model
	opts  Options
	seen  map[string]int // complex types / recursive backbones on the current path
}

// element returns the fields of one element: one, or one per type of a choice.
func (w *walker) element(e *r4.Element) []*Field {
	if e.Choice {
		if len(e.Types) > w.opts.MaxChoiceTypes {
			return []*Field{{Name: e.Name, Path: e.Path, Kind: JSON, Choice: e.Name, Elem: e, Min: e.Min}}
		}
		fields := make([]*Field, 0, len(e.Types))
		for _, t := range e.Types {
			name := r4.ChoiceName(e.Name, t.Code)
			parent := e.Path[:strings.LastIndex(e.Path, ".")]
			f := w.typed(e, name, parent+"."+name, t.Code)
			f.Choice = e.Name
			fields = append(fields, f)
		}
		return fields
	}
	code := ""
	if len(e.Types) > 0 {
		code = e.Types[0].Code
	}
	return []*Field{w.typed(e, e.Name, e.Path, code)}
}

// typed returns the field for an element holding values of one type.
func (w *walker) typed(e *r4.Element, name, path, code string) *Field {
	f := &Field{Name: name, Path: path, Type: code, Many: e.Many, Min: e.Min, Elem: e}
	if e.Binding != nil {
		f.Codes = e.Binding.Codes
	}
	if e.IsBackbone() {
		f.Type = "BackboneElement"
		key := e.Path
		if e.ContentRef != "" {
			key = e.ContentRef
		}
		w.structFields(f, key, e.Elements)
		return f
	}
	switch code {
	case "Extension", "Resource":
		f.Kind = JSON
		return f
	}
	t := w.model.Type(code)
	if t == nil {
		panic(fmt.Sprintf("fhirflat: %s has unknown type %q", path, code))
	}
	if t.Kind == r4.Primitive {
		f.Kind = Primitive
		return f
	}
	w.structFields(f, code, t.Elements)
	return f
}

// structFields makes f a STRUCT of the given elements, or JSON when the
// structure already occurs as often as allowed on the path.
func (w *walker) structFields(f *Field, key string, els []*r4.Element) {
	limit := 1 // a datatype (keyed by its code)
	if strings.Contains(key, ".") {
		limit = w.opts.MaxDepth // a backbone element (keyed by its path)
	}
	if w.seen[key] >= limit {
		f.Kind = JSON
		return
	}
	w.seen[key]++
	defer func() { w.seen[key]-- }()
	f.Kind = Struct
	for _, c := range els {
		for _, cf := range w.element(c) {
			cf.Path = f.Path + "." + cf.Name
			f.Fields = append(f.Fields, cf)
		}
	}
	f.Fields = append(f.Fields, &Field{Name: PrimitiveExtField, Path: f.Path + "." + PrimitiveExtField, Kind: JSON})
	f.byName = index(f.Fields)
}

// metaField is Resource.meta without versionId and lastUpdated, which live in
// the version_id and last_updated columns.
func (w *walker) metaField(e *r4.Element) *Field {
	f := w.typed(e, e.Name, e.Path, "Meta")
	kept := f.Fields[:0]
	for _, c := range f.Fields {
		if c.Name != "versionId" && c.Name != "lastUpdated" {
			kept = append(kept, c)
		}
	}
	f.Fields = kept
	f.byName = index(f.Fields)
	return f
}

func index(fields []*Field) map[string]*Field {
	m := make(map[string]*Field, len(fields))
	for i, f := range fields {
		m[f.Name] = f
		f.idx = i
	}
	return m
}
