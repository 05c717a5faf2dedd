package fhirflat

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Layout is the part of a Schema that a table has columns for: the fields
// seen in the data so far, in the order they were added. A table starts
// with the system columns only and grows (see Grow) as new elements
// arrive, so it is as
// narrow as its data: DuckDB's cost per row and per transaction grows with
// the number of leaf columns, and the full R4 layout of a type has hundreds
// or thousands of them.
type Layout struct {
	Schema *Schema
	Root   []*Node // top-level columns after the system columns, in table order
	has    Bits
}

// Node is a field the table has, with its realized children (structs).
type Node struct {
	Field    *Field
	Children []*Node
	// Key says the table has the field's key column (see KeyColumn).
	Key bool
}

// NewLayout returns the empty layout of a schema.
func NewLayout(s *Schema) *Layout { return &Layout{Schema: s, has: NewBits(s)} }

// Has reports whether the table has a column (or struct field) for f.
func (l *Layout) Has(f *Field) bool { return l.has.Has(f.Seq) }

// Covers reports whether the table has every field in need.
func (l *Layout) Covers(need Bits) bool {
	for i, w := range need {
		if i >= len(l.has) || w&^l.has[i] != 0 {
			return false
		}
	}
	return true
}

// Grow adds the fields of need the layout lacks (and their ancestors) and
// returns, for each table given (a type's table and its history table),
// the statements that add them. Nested fields keep definition order, so a
// struct whose every field is realized has exactly the type of the full
// layout.
//
// New top-level fields are new columns (ADD COLUMN). A new field inside a
// column's STRUCT (or LIST of STRUCT) rebuilds the table: it is created
// anew with the grown layout, filled from the old one (the struct cast
// matches fields by name and fills new ones with NULL) and renamed in its
// place. DuckDB 1.5 offers no safe in-place alternative: a write-ahead log
// holding ADD COLUMN "a"."b" or ALTER COLUMN SET DATA TYPE to a type
// holding JSON cannot be replayed ("Calling
// DatabaseManager::GetDefaultDatabase with no default database set"), so a
// crash before the next checkpoint would leave a database that does not
// open; nested ADD COLUMN inside a list also frees memory twice once the
// list holds a few thousand elements; and, in a table with a primary key
// (stores made before tables had none), an UPDATE of the column fails the
// key check at commit. A rebuilt table has no primary key (CreateTable).
func (l *Layout) Grow(need Bits, tables ...string) []string {
	need = l.withAncestors(need)
	var added []*Node
	rebuild := false
	for _, f := range l.Schema.BySeq {
		if !need.Has(f.Seq) || l.has.Has(f.Seq) {
			continue
		}
		sub := l.realize(f, need)
		if f.Parent == nil {
			sub.Key = keyed(f)
			l.Root = append(l.Root, sub)
			added = append(added, sub)
			continue
		}
		parent := l.node(f.Parent)
		i := len(parent.Children)
		for i > 0 && parent.Children[i-1].Field.Seq > f.Seq {
			i--
		}
		parent.Children = append(parent.Children[:i], append([]*Node{sub}, parent.Children[i:]...)...)
		rebuild = true
	}
	var stmts []string
	for _, t := range tables {
		if !rebuild {
			for _, n := range added {
				stmts = append(stmts, fmt.Sprintf("ALTER TABLE %s ADD COLUMN %s %s", t, QuoteIdent(n.Field.Name), n.sqlType()))
				if n.Key {
					stmts = append(stmts, fmt.Sprintf("ALTER TABLE %s ADD COLUMN %s BIGINT", t, QuoteIdent(KeyColumn(n.Field))))
				}
			}
			continue
		}
		name := l.Schema.Table
		history := strings.HasSuffix(strings.Trim(t, `"`), HistoryTable(l.Schema.ResourceType))
		if history {
			name = HistoryTable(l.Schema.ResourceType)
		}
		qualifier := strings.TrimSuffix(strings.TrimSuffix(t, QuoteIdent(name)), name) // "main." or ""
		tmp := qualifier + QuoteIdent(name+"__grown")
		stmts = append(stmts,
			l.createTable(tmp, history),
			fmt.Sprintf("INSERT INTO %s BY NAME SELECT * FROM %s", tmp, t),
			fmt.Sprintf("DROP TABLE %s", t),
			fmt.Sprintf("ALTER TABLE %s RENAME TO %s", tmp, QuoteIdent(name)))
	}
	return stmts
}

// withAncestors returns need with the ancestors of its fields.
func (l *Layout) withAncestors(need Bits) Bits {
	out := NewBits(l.Schema)
	out.Or(need)
	for _, f := range l.Schema.BySeq {
		if need.Has(f.Seq) {
			for a := f.Parent; a != nil && !out.Has(a.Seq); a = a.Parent {
				out.Set(a.Seq)
			}
		}
	}
	return out
}

// createTable is the CREATE TABLE statement of a table (or history table)
// with the layout's columns after the system columns.
func (l *Layout) createTable(name string, history bool) string {
	var b strings.Builder
	b.WriteString("CREATE TABLE ")
	b.WriteString(name)
	if history {
		b.WriteString(" (id VARCHAR NOT NULL, version_id BIGINT NOT NULL, last_updated TIMESTAMPTZ NOT NULL, deleted BOOLEAN NOT NULL")
	} else {
		b.WriteString(" (id VARCHAR NOT NULL, version_id BIGINT NOT NULL, last_updated TIMESTAMPTZ NOT NULL")
	}
	for _, n := range l.Root {
		b.WriteString(", ")
		b.WriteString(QuoteIdent(n.Field.Name))
		b.WriteByte(' ')
		b.WriteString(n.sqlType())
		if n.Key {
			b.WriteString(", ")
			b.WriteString(QuoteIdent(KeyColumn(n.Field)))
			b.WriteString(" BIGINT")
		}
	}
	b.WriteByte(')')
	return b.String()
}

// realize marks f and its needed descendants as present and returns its node.
func (l *Layout) realize(f *Field, need Bits) *Node {
	l.has.Set(f.Seq)
	n := &Node{Field: f}
	for _, c := range f.Fields {
		if need.Has(c.Seq) {
			n.Children = append(n.Children, l.realize(c, need))
		}
	}
	return n
}

// node finds the realized node of f (nil for nil).
func (l *Layout) node(f *Field) *Node {
	if f == nil {
		return nil
	}
	siblings := l.Root
	if f.Parent != nil {
		siblings = l.node(f.Parent).Children
	}
	for _, n := range siblings {
		if n.Field == f {
			return n
		}
	}
	return nil
}

func (n *Node) sqlType() string {
	var b strings.Builder
	n.writeType(&b)
	return b.String()
}

func (n *Node) writeType(b *strings.Builder) {
	f := n.Field
	switch f.Kind {
	case JSON:
		b.WriteString("JSON")
		return
	case Primitive:
		b.WriteString(PrimitiveSQLType(f.Type))
	case Struct:
		b.WriteString("STRUCT(")
		for i, c := range n.Children {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(QuoteIdent(c.Field.Name))
			b.WriteByte(' ')
			c.writeType(b)
		}
		b.WriteByte(')')
	}
	if f.Many {
		b.WriteString("[]")
	}
}

// Structure is the json_transform description of the realized columns, in
// table order.
func (l *Layout) Structure() string {
	var b strings.Builder
	b.WriteByte('{')
	for i, n := range l.Root {
		if i > 0 {
			b.WriteByte(',')
		}
		n.writeStructure(&b)
	}
	b.WriteByte('}')
	return b.String()
}

func (n *Node) writeStructure(b *strings.Builder) {
	f := n.Field
	b.WriteByte('"')
	b.WriteString(f.Name)
	b.WriteString(`":`)
	if f.Many && f.Kind != JSON {
		b.WriteByte('[')
	}
	switch f.Kind {
	case JSON:
		b.WriteString(`"JSON"`)
	case Primitive:
		b.WriteByte('"')
		b.WriteString(PrimitiveSQLType(f.Type))
		b.WriteByte('"')
	case Struct:
		b.WriteByte('{')
		for i, c := range n.Children {
			if i > 0 {
				b.WriteByte(',')
			}
			c.writeStructure(b)
		}
		b.WriteByte('}')
	}
	if f.Many && f.Kind != JSON {
		b.WriteByte(']')
	}
}

// RowsSQL is a SELECT of typed rows from JSON rows, for INSERT ... BY NAME:
// source is a FROM clause whose item p has columns id, version_id,
// last_updated and row (the Row JSON). extra are more select items (each
// with AS name). The key columns are computed too.
func (l *Layout) RowsSQL(source string, extra ...string) string {
	var b strings.Builder
	b.WriteString("SELECT p.id AS id, p.version_id AS version_id, p.last_updated AS last_updated")
	if len(l.Root) > 0 {
		b.WriteString(", unnest(json_transform(p.row, '")
		b.WriteString(strings.ReplaceAll(l.Structure(), "'", "''"))
		b.WriteString("'))")
	}
	for _, e := range extra {
		b.WriteString(", ")
		b.WriteString(e)
	}
	b.WriteString(" FROM ")
	b.WriteString(source)
	if keys := l.KeysSQL("k"); keys != "" {
		return "SELECT k.*" + keys + " FROM (" + b.String() + ") k"
	}
	return b.String()
}

type nodeJSON struct {
	Name     string     `json:"n"`
	Children []nodeJSON `json:"c,omitempty"`
	Key      bool       `json:"k,omitempty"`
}

// MarshalJSON writes the layout as nested field names.
func (l *Layout) MarshalJSON() ([]byte, error) {
	var conv func(ns []*Node) []nodeJSON
	conv = func(ns []*Node) []nodeJSON {
		out := make([]nodeJSON, 0, len(ns))
		for _, n := range ns {
			out = append(out, nodeJSON{Name: n.Field.Name, Children: conv(n.Children), Key: n.Key})
		}
		return out
	}
	return json.Marshal(conv(l.Root))
}

// ParseLayout reads a layout written by MarshalJSON.
func ParseLayout(s *Schema, data []byte) (*Layout, error) {
	var root []nodeJSON
	if err := json.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("layout of %s: %w", s.ResourceType, err)
	}
	l := NewLayout(s)
	var conv func(ns []nodeJSON, fields map[string]*Field, path string) ([]*Node, error)
	conv = func(ns []nodeJSON, fields map[string]*Field, path string) ([]*Node, error) {
		var out []*Node
		for _, n := range ns {
			f := fields[n.Name]
			if f == nil {
				return nil, fmt.Errorf("layout of %s: no field %s.%s in the schema", s.ResourceType, path, n.Name)
			}
			l.has.Set(f.Seq)
			children, err := conv(n.Children, f.byName, path+"."+n.Name)
			if err != nil {
				return nil, err
			}
			if n.Key && (f.Parent != nil || !keyed(f)) {
				return nil, fmt.Errorf("layout of %s: %s.%s has no key column", s.ResourceType, path, n.Name)
			}
			out = append(out, &Node{Field: f, Children: children, Key: n.Key})
		}
		return out, nil
	}
	var err error
	l.Root, err = conv(root, s.byName, s.ResourceType)
	return l, err
}

// ColumnsParam is the columns={...} argument of DuckDB's read_json that
// reads Row JSON into the realized columns (and id).
func (l *Layout) ColumnsParam() string {
	var b strings.Builder
	b.WriteString("{id: 'VARCHAR'")
	for _, n := range l.Root {
		b.WriteString(", ")
		b.WriteString(QuoteIdent(n.Field.Name))
		b.WriteString(": '")
		b.WriteString(strings.ReplaceAll(n.sqlType(), "'", "''"))
		b.WriteString("'")
	}
	b.WriteByte('}')
	return b.String()
}

// Need returns the fields SQL over the given fields needs in a table,
// kept lean: every column a point read or a scan fetches costs time for
// each of its leaves, NULL or not, so a STRUCT gets the primitive fields
// SQL reads by name (a Reference's reference and type, a Coding's system
// and code) and the listed fields inside it, not its whole type. Each
// field comes with the _primitive sibling that holds its primitives'
// extensions and exact literals; the id and extensions inside a STRUCT
// come only when listed. SQL that reaches further into a STRUCT
// than that fails to bind ("Could not find key"); its caller grows the
// table with NeedAll and runs it again (see MissingField).
func Need(s *Schema, fields []*Field) Bits {
	need := NewBits(s)
	for _, f := range fields {
		need.Set(f.Seq)
		setPrimitiveSibling(need, s, f)
		if f.Kind != Struct {
			continue
		}
		var fallback *Field // a STRUCT needs one field at least
		kept := false
		for _, c := range f.Fields {
			switch {
			case c.Kind == Struct:
			case c.Name == "id" || c.Name == "extension" || c.Name == "modifierExtension" || c.Name == PrimitiveExtField:
				// read by SQL only when listed
				if fallback == nil {
					fallback = c
				}
			default:
				need.Set(c.Seq)
				kept = true
			}
		}
		if !kept && fallback != nil {
			need.Set(fallback.Seq)
		}
	}
	return need
}

// NeedAll is Need with the whole subtree of every STRUCT listed: any SQL
// over those fields binds.
func NeedAll(s *Schema, fields []*Field) Bits {
	need := NewBits(s)
	var subtree func(f *Field)
	subtree = func(f *Field) {
		need.Set(f.Seq)
		for _, c := range f.Fields {
			subtree(c)
		}
	}
	for _, f := range fields {
		subtree(f)
		setPrimitiveSibling(need, s, f)
	}
	return need
}

func setPrimitiveSibling(need Bits, s *Schema, f *Field) {
	siblings := s.Fields
	if f.Parent != nil {
		siblings = f.Parent.Fields
	}
	for _, c := range siblings {
		if c.Name == PrimitiveExtField {
			need.Set(c.Seq)
		}
	}
}

// MissingField reports whether err is DuckDB failing to bind SQL that
// reads a field a lean table (Need) does not have yet.
func MissingField(err error) bool {
	return err != nil && strings.Contains(err.Error(), "Could not find key")
}
