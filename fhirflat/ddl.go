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

// CreateTable returns the DDL of the resource table (history false) or of
// the history table, which has no primary key and adds, as its last column,
// the deleted flag.
func (s *Schema) CreateTable(schema string, history bool) string {
	var b strings.Builder
	b.WriteString("CREATE TABLE IF NOT EXISTS ")
	if schema != "" {
		b.WriteString(QuoteIdent(schema))
		b.WriteByte('.')
	}
	if history {
		b.WriteString(QuoteIdent(HistoryTable(s.ResourceType)))
		b.WriteString(" (\n  id VARCHAR NOT NULL,\n  version_id BIGINT NOT NULL,\n  last_updated TIMESTAMPTZ NOT NULL")
	} else {
		b.WriteString(QuoteIdent(s.Table))
		b.WriteString(" (\n  id VARCHAR PRIMARY KEY,\n  version_id BIGINT NOT NULL,\n  last_updated TIMESTAMPTZ NOT NULL")
	}
	for _, f := range s.Fields {
		b.WriteString(",\n  ")
		b.WriteString(QuoteIdent(f.Name))
		b.WriteByte(' ')
		f.writeType(&b)
	}
	if history {
		b.WriteString(",\n  deleted BOOLEAN NOT NULL")
	}
	b.WriteString("\n)")
	return b.String()
}

// Columns lists the table's column names in order (without deleted).
func (s *Schema) Columns() []string {
	cols := []string{ColID, ColVersionID, ColLastUpdated}
	for _, f := range s.Fields {
		cols = append(cols, f.Name)
	}
	return cols
}

// Structure is the json_transform description of a row's FHIR fields (not
// the system columns), in column order: DuckDB turns a Row's JSON into the
// typed columns with json_transform(row, structure).
func (s *Schema) Structure() string {
	s.structureOnce.Do(func() {
		var b strings.Builder
		b.WriteByte('{')
		for i, f := range s.Fields {
			if i > 0 {
				b.WriteByte(',')
			}
			writeStructure(&b, f)
		}
		b.WriteByte('}')
		s.structure = b.String()
	})
	return s.structure
}

func writeStructure(b *strings.Builder, f *Field) {
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
		for i, c := range f.Fields {
			if i > 0 {
				b.WriteByte(',')
			}
			writeStructure(b, c)
		}
		b.WriteByte('}')
	}
	if f.Many && f.Kind != JSON {
		b.WriteByte(']')
	}
}

// RowsSQL is a SELECT of typed rows from JSON rows: source must be a FROM
// clause with columns id, version_id, last_updated and row (the Row JSON)
// from an item aliased p. The result has the resource table's columns, then
// the extra expressions.
func (s *Schema) RowsSQL(source string, extra ...string) string {
	var b strings.Builder
	b.WriteString("SELECT p.id, p.version_id, p.last_updated, unnest(json_transform(p.row, '")
	b.WriteString(strings.ReplaceAll(s.Structure(), "'", "''"))
	b.WriteString("'))")
	for _, e := range extra {
		b.WriteString(", ")
		b.WriteString(e)
	}
	b.WriteString(" FROM ")
	b.WriteString(source)
	return b.String()
}
