package fhirsql

import (
	"fmt"
	"strings"

	"github.com/fhirlake/fhirlake/fhirflat"
	"github.com/fhirlake/fhirlake/fhirpath"
)

// SQLExpr is a FHIRPath collection compiled to DuckDB: one LIST per FHIR
// type its items may have (Condition.onset.ofType(dateTime) |
// Condition.onset.ofType(Period) has a dateTime part and a Period part).
// The order of items across parts is not kept; within a part it is the
// FHIRPath order, except that unions (|) drop duplicates in any order.
type SQLExpr struct {
	Parts []SQLPart
	// Fields are the fields the SQL reads: the table must have their
	// columns (engine.Store.EnsureColumns with fhirflat.Need).
	Fields []*fhirflat.Field
}

// SQLPart is the items of one type.
type SQLPart struct {
	// SQL is a DuckDB expression over the table alias given to
	// CompileCollection: a LIST holding the items (NULL or [] when there
	// are none). It holds no NULL items.
	SQL string
	// Type is the FHIR type of every item: string, code, dateTime,
	// instant, decimal, boolean, Reference, Coding, CodeableConcept,
	// BackboneElement, ... (System values computed by the expression are
	// named by their FHIR counterpart: String → string).
	Type string
	// SQLType is the DuckDB type of one item: VARCHAR, INTEGER, DOUBLE,
	// BOOLEAN, TIMESTAMPTZ (instants), a STRUCT laid out as the table's
	// column, or JSON (FHIR JSON: extensions, contained resources).
	SQLType string
	// Column is the top-level field whose column's value the items are,
	// when they are exactly that (Observation.effective as dateTime), or
	// nil: a table without the column has no items of the part.
	Column *fhirflat.Field
}

// Single returns the only part, and false when there are several (or
// none: the expression is always empty).
func (e SQLExpr) Single() (SQLPart, bool) {
	if len(e.Parts) != 1 {
		return SQLPart{}, false
	}
	return e.Parts[0], true
}

// CompileCollection compiles a FHIRPath expression evaluated on one
// resource of type resourceType, the row of its table aliased alias, to
// DuckDB LIST expressions yielding the collection the expression yields.
// It is what FHIR search needs for a SearchParameter's expression:
//
//	e, _ := fhirpath.Parse("Observation.subject.where(resolve() is Patient)")
//	x, _ := fhirsql.CompileCollection(e, "Observation", fhirflat.Default(), "r")
//	// x.Parts[0].SQL lists the subject References pointing to a Patient
//
// resolve() is only supported where the type of what a reference points
// to is tested (is, as, ofType()): the test reads the reference string.
// Errors are *Error values naming the construct that has no SQL form.
func CompileCollection(expr *fhirpath.Expr, resourceType string, b *fhirflat.Builder, alias string) (SQLExpr, error) {
	schema, err := b.Schema(resourceType)
	if err != nil {
		return SQLExpr{}, fmt.Errorf("fhirsql: %w", err)
	}
	if alias == "" || !isSimple(alias) {
		return SQLExpr{}, fmt.Errorf("fhirsql: alias %q is not a SQL identifier", alias)
	}
	c := newCompiler(b).with(expr.Source())
	root := val{sql: alias, t: itemType{repr: row, schema: schema}}
	v, err := c.compile(expr.Root(), scope{this: root, root: root})
	if err != nil {
		return SQLExpr{}, err
	}
	if v.resolved {
		return SQLExpr{}, &Error{Expr: expr.Source(), What: "function resolve()", Msg: "the result of resolve() can only be tested with is, as or ofType() in SQL"}
	}
	var out SQLExpr
	for _, a := range c.altsOf(v) {
		if a.t.repr == row {
			part := SQLPart{SQL: "[" + alias + "]", Type: a.t.typeName(), SQLType: rowSQLType(schema)}
			if a.guard != "" {
				part.SQL = "CASE WHEN " + a.guard + " THEN [" + alias + "] END"
			}
			out.Parts = append(out.Parts, part)
			continue
		}
		part := SQLPart{SQL: c.list(a), Type: a.t.typeName(), SQLType: a.t.sqlType()}
		if f := a.t.field; f != nil && f.Parent == nil && a.guard == "" && a.sql == alias+"."+ident(f.Name) {
			part.Column = f
		}
		out.Parts = append(out.Parts, part)
	}
	out.Fields = uniqueFields(*c.used)
	return out, nil
}

// uniqueFields drops repeats, keeping the first occurrence of each field.
func uniqueFields(fs []*fhirflat.Field) []*fhirflat.Field {
	seen := map[*fhirflat.Field]bool{}
	var out []*fhirflat.Field
	for _, f := range fs {
		if !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	return out
}

// rowSQLType is the STRUCT type of a whole row of a table.
func rowSQLType(s *fhirflat.Schema) string {
	var b strings.Builder
	b.WriteString("STRUCT(id VARCHAR, version_id BIGINT, last_updated TIMESTAMPTZ")
	for _, f := range s.Fields {
		b.WriteString(", " + ident(f.Name) + " " + f.SQLType())
	}
	b.WriteString(")")
	return b.String()
}
