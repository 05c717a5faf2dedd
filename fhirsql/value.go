package fhirsql

import (
	"strings"

	"github.com/fhirlake/fhirlake/fhirflat"
	"github.com/fhirlake/fhirlake/fhirpath"
	"github.com/fhirlake/fhirlake/r4"
)

// repr is how the items of a collection are held in SQL.
type repr uint8

const (
	// scalar: a FHIR primitive or System value in a SQL scalar (VARCHAR,
	// INTEGER, DOUBLE, BOOLEAN, TIMESTAMPTZ).
	scalar repr = iota
	// structured: a complex value in a STRUCT laid out by a fhirflat.Field.
	structured
	// jsonValue: the FHIR JSON of a complex value, in a DuckDB JSON value
	// (extensions, contained resources, recursion kept as JSON).
	jsonValue
	// row: the resource itself, a row of its table.
	row
)

// itemType is the type of the items of a collection.
type itemType struct {
	// fhir is the FHIR type code (string, HumanName, BackboneElement,
	// Patient); empty for System values computed by the expression.
	fhir string
	// sys is the System type of primitives (String, Integer, Decimal,
	// Boolean, Date, DateTime, Time, Long); empty for complex values.
	sys  string
	repr repr
	// field is the storage layout of structured values (and the column of
	// stored primitives); nil for computed values.
	field *fhirflat.Field
	// elem is the definition of a backbone element held as JSON, whose
	// children navigation follows.
	elem *r4.Element
	// schema is the table of a row.
	schema *fhirflat.Schema
	// anyResource: JSON of a resource whose type is only known at run time
	// (contained, Bundle.entry.resource).
	anyResource bool
	// rowMeta: the meta STRUCT of a row, whose versionId and lastUpdated
	// are the version_id and last_updated columns of the row alias.
	rowMeta string
}

// val is a compiled FHIRPath collection.
type val struct {
	// sql is a scalar expression (NULL when empty) or, when many, a LIST
	// expression (NULL or [] when empty) holding no NULL items.
	sql  string
	many bool
	t    itemType
	// alts are the typed alternatives of a collection whose items may have
	// several types (Observation.value): the collection is their union.
	alts []val
	// exclusive: at most one alternative holds items (the value[x] of one
	// item).
	exclusive bool
	// empty is the empty collection {}.
	empty bool
	// guard is a condition on a row (row.where(...)): the row is in the
	// collection when the guard is true.
	guard string
	// resolved: the items are the references resolve() would follow
	// (reference strings); only their type can be tested.
	resolved bool
	// prim is the SQL of the literal kept in _primitive for a stored
	// primitive whose column cannot say it exactly (1.50), or "".
	prim string
	// mapped, for a list made by mapping a list with a NULL-propagating
	// body (list_filter(list_transform(src, lambda x: body), ... IS NOT
	// NULL)), lets navigation continue inside the same lambda.
	mapped *mapping
	// cond, for a Boolean, is a condition true exactly when it is true
	// (NULL or false otherwise), cheaper than sql; "" when sql is all.
	cond string
	// literal is the value of a date, dateTime or time literal.
	literal *fhirpath.Temporal
	// uses, for an alternative of a choice element, is the span of the
	// compiler's used fields that reading it added.
	uses [2]int
}

// mapping is how a list was made: body over each x of src.
type mapping struct {
	src, x, body string
}

func emptyVal() val { return val{empty: true} }

// isPoly reports whether the collection has several typed alternatives.
func (v val) isPoly() bool { return len(v.alts) > 0 }

// single is an item of the collection (the same type, one item) held in
// the SQL expression sql.
func (v val) item(sql string) val {
	return val{sql: sql, t: v.t}
}

// typeName is the FHIR name of the item type: the FHIR type code, or the
// FHIR primitive a System type corresponds to.
func (t itemType) typeName() string {
	if t.fhir != "" {
		return t.fhir
	}
	if t.repr == row && t.schema != nil {
		return t.schema.ResourceType
	}
	return systemFHIR[t.sys]
}

var systemFHIR = map[string]string{
	"Boolean": "boolean", "String": "string", "Integer": "integer", "Long": "integer64",
	"Decimal": "decimal", "Date": "date", "DateTime": "dateTime", "Time": "time", "Quantity": "Quantity",
}

// primitiveSystem maps FHIR primitives to their System types.
var primitiveSystem = map[string]string{
	"boolean": "Boolean", "string": "String", "code": "String", "id": "String",
	"markdown": "String", "uri": "String", "url": "String", "canonical": "String",
	"oid": "String", "uuid": "String", "base64Binary": "String", "xhtml": "String",
	"integer": "Integer", "positiveInt": "Integer", "unsignedInt": "Integer",
	"integer64": "Long", "decimal": "Decimal", "date": "Date",
	"dateTime": "DateTime", "instant": "DateTime", "time": "Time",
}

// sysType is the type of a System value.
func sysType(name string) itemType { return itemType{sys: name, repr: scalar} }

// primitiveType is the type of a FHIR primitive held in a scalar.
func primitiveType(code string) itemType {
	return itemType{fhir: code, sys: primitiveSystem[code], repr: scalar}
}

// sqlType is the DuckDB type of one item.
func (t itemType) sqlType() string {
	switch t.repr {
	case jsonValue:
		return "JSON"
	case structured:
		return structSQLType(t.field)
	case row:
		return "STRUCT(id VARCHAR)" // rows are never materialised as values
	}
	if t.fhir != "" {
		if t.fhir == "integer64" {
			return "BIGINT"
		}
		return fhirflat.PrimitiveSQLType(t.fhir)
	}
	switch t.sys {
	case "Boolean":
		return "BOOLEAN"
	case "Integer":
		return "INTEGER"
	case "Long":
		return "BIGINT"
	case "Decimal":
		return "DOUBLE"
	}
	return "VARCHAR"
}

// structSQLType is the STRUCT type of one value of a field (without the
// list of a many-valued field).
func structSQLType(f *fhirflat.Field) string {
	s := f.SQLType()
	if f.Many {
		s = strings.TrimSuffix(s, "[]")
	}
	return s
}

// isTemporal reports whether items are dates, dateTimes or times.
func (t itemType) isTemporal() bool {
	return t.sys == "Date" || t.sys == "DateTime" || t.sys == "Time"
}

// isNumber reports whether items are integers or decimals.
func (t itemType) isNumber() bool {
	return t.sys == "Integer" || t.sys == "Decimal" || t.sys == "Long"
}

// isString reports whether items are strings (of any FHIR string type).
func (t itemType) isString() bool { return t.sys == "String" }

// isInstant reports whether items are held as TIMESTAMPTZ.
func (t itemType) isInstant() bool { return t.repr == scalar && t.fhir == "instant" }

// isPrimitive reports whether items are primitive values.
func (t itemType) isPrimitive() bool { return t.repr == scalar }

// sameSQL reports whether items of the two types have the same SQL type
// (they may share a LIST).
func sameSQL(a, b itemType) bool {
	if a.repr != b.repr {
		return false
	}
	switch a.repr {
	case structured:
		return a.field == b.field || structSQLType(a.field) == structSQLType(b.field)
	case jsonValue:
		return true
	case row:
		return false
	}
	return a.sqlType() == b.sqlType()
}

// quote writes a SQL string literal.
func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// ident quotes an identifier.
func ident(s string) string { return fhirflat.QuoteIdent(s) }

// paren wraps an expression in parentheses unless it is an identifier
// chain, a literal or already wrapped.
func paren(sql string) string {
	if isSimple(sql) {
		return sql
	}
	return "(" + sql + ")"
}

func isSimple(sql string) bool {
	if sql == "" {
		return false
	}
	if sql[0] == '(' && closing(sql, 0) == len(sql)-1 {
		return true
	}
	inStr, inIdent := false, false
	for i := 0; i < len(sql); i++ {
		c := sql[i]
		switch {
		case inStr:
			if c == '\'' {
				inStr = false
			}
		case inIdent:
			if c == '"' {
				inIdent = false
			}
		case c == '\'':
			inStr = true
		case c == '"':
			inIdent = true
		case !(c == '.' || c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'):
			return false
		}
	}
	return true
}

// closing returns the index of the parenthesis closing the one at open,
// or -1.
func closing(sql string, open int) int {
	depth := 0
	inStr, inIdent := false, false
	for i := open; i < len(sql); i++ {
		c := sql[i]
		switch {
		case inStr:
			if c == '\'' {
				inStr = false
			}
		case inIdent:
			if c == '"' {
				inIdent = false
			}
		case c == '\'':
			inStr = true
		case c == '"':
			inIdent = true
		case c == '(':
			depth++
		case c == ')':
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return -1
}
