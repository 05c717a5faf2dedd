package fhirflat

import (
	"strings"
)

// SQLType is the DuckDB type of a field's column.
func (f *Field) SQLType() string {
	var b strings.Builder
	f.writeType(&b)
	return b.String()
}

func (f *Field) writeType(b *strings.Builder) {
	switch f.Kind {
	case JSON:
		b.WriteString("JSON")
		return // a many-valued JSON field holds the whole array
	case Primitive:
		b.WriteString(PrimitiveSQLType(f.Type))
	case Struct:
		b.WriteString("STRUCT(")
		for i, c := range f.Fields {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(QuoteIdent(c.Name))
			b.WriteByte(' ')
			c.writeType(b)
		}
		b.WriteByte(')')
	}
	if f.Many {
		b.WriteString("[]")
	}
}

// PrimitiveSQLType maps a FHIR primitive type to its DuckDB column type.
// date, dateTime and time keep their FHIR text, so a value keeps its
// precision ("2019", "2019-03") and time-zone offset; instant is always
// complete and becomes TIMESTAMPTZ.
func PrimitiveSQLType(code string) string {
	switch code {
	case "boolean":
		return "BOOLEAN"
	case "integer", "positiveInt", "unsignedInt":
		return "INTEGER"
	case "decimal":
		return "DOUBLE"
	case "instant":
		return "TIMESTAMPTZ"
	}
	return "VARCHAR"
}

// QuoteIdent quotes a SQL identifier for DuckDB.
func QuoteIdent(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// QuoteString quotes a string literal for DuckDB SQL.
func QuoteString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// CreateTable returns the DDL of the resource table (history false) or of
// the history table: the system columns only; the FHIR elements are added
// as they arrive (see Layout). The history table has a deleted flag.
//
// Neither has a primary key. The store keeps one current row per id (its
// writer numbers versions, its merger and imports replace rows), and a
// DuckDB primary key costs more than it gives a table of millions of
// resources: its index (about 90 bytes a row for UUID ids) is loaded whole
// by the first statement that uses it and stays in memory, unevictable,
// until a checkpoint, so a large enough table cannot be written at all
// within the memory limit; and maintaining it took 13% of the time of a
// 1M-resource import. Reads by id come from the store's copy (engine's
// docs.go); SQL that looks for one id scans the id column.
func (s *Schema) CreateTable(schema string, history bool) string {
	var b strings.Builder
	b.WriteString("CREATE TABLE IF NOT EXISTS ")
	if schema != "" {
		b.WriteString(QuoteIdent(schema))
		b.WriteByte('.')
	}
	if history {
		b.WriteString(QuoteIdent(HistoryTable(s.ResourceType)))
		b.WriteString(" (id VARCHAR NOT NULL, version_id BIGINT NOT NULL, last_updated TIMESTAMPTZ NOT NULL, deleted BOOLEAN NOT NULL)")
	} else {
		b.WriteString(QuoteIdent(s.Table))
		b.WriteString(" (id VARCHAR NOT NULL, version_id BIGINT NOT NULL, last_updated TIMESTAMPTZ NOT NULL)")
	}
	return b.String()
}

// FullLayout is the layout with every field of the schema: what a table
// holding every R4 element of the type would have.
func (s *Schema) FullLayout() *Layout {
	all := NewBits(s)
	for _, f := range s.BySeq {
		all.Set(f.Seq)
	}
	l := NewLayout(s)
	l.Grow(all)
	return l
}
