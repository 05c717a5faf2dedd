package fhirsql

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/fhirlake/fhirlake/fhirflat"
	"github.com/fhirlake/fhirlake/fhirpath"
	"github.com/fhirlake/fhirlake/r4"
	"github.com/fhirlake/fhirlake/viewdef"
)

// ViewSQL is a ViewDefinition compiled to one DuckDB SELECT over its
// resource table, producing the rows viewdef's View.Rows produces.
type ViewSQL struct {
	Name    string // the ViewDefinition's name
	Table   string // the table read, qualified: main."patient"
	SQL     string // SELECT ... FROM main."patient" AS r ...
	Columns []ViewColumn
	// Fields are the fields the SQL reads: the table must have their
	// columns (engine.Store.EnsureColumns with fhirflat.Need). They leave
	// out the alternatives of a choice that ofType() or as leave out;
	// AllFields has them too, for NeedAll when the SQL does not bind
	// (fhirflat.MissingField).
	Fields, AllFields []*fhirflat.Field
}

// ViewColumn is an output column of a compiled view.
type ViewColumn struct {
	Name string
	// Type is the column's FHIR type (declared or inferred); "" when
	// unknown.
	Type string
	// SQLType is its DuckDB type: VARCHAR, INTEGER, BIGINT, DOUBLE, BOOLEAN,
	// TIMESTAMPTZ (instant), the STRUCT of the table layout for complex
	// types, JSON for values kept as JSON; a LIST of those for collection
	// columns.
	SQLType    string
	Collection bool
}

// RowAlias is the alias of the resource table in compiled views.
const RowAlias = "r"

// repeatDepth is how many levels deep a repeat select follows its paths;
// deeper data stops the query with an error saying so.
const repeatDepth = 10

// CompileView compiles a ViewDefinition to SQL over the table of its
// resource type in schema main, as fhirflat lays it out. The query reads
// that table only; JSON functions are used only on values stored as JSON
// by design (extensions, contained resources, deep recursion). Errors
// are *Error values naming the construct that has no SQL form; the Go
// runner (View.Rows) evaluates such views.
func CompileView(v *viewdef.View, b *fhirflat.Builder) (*ViewSQL, error) {
	schema, err := b.Schema(v.Resource)
	if err != nil {
		return nil, fmt.Errorf("fhirsql: %w", err)
	}
	vc := &viewCompiler{view: v, c: newCompiler(b), types: map[string]string{}}
	vc.c.ordered = true
	vc.c.vars = map[string]val{}
	for _, k := range v.Constants {
		cv, err := constantVal(k)
		if err != nil {
			return nil, err
		}
		vc.c.vars[k.Name] = cv
	}
	vc.root = val{sql: RowAlias, t: itemType{repr: row, schema: schema}}
	// The first pass learns the types of the columns whose type is not
	// declared; the second writes the query with every type known.
	if _, err := vc.query(schema); err != nil {
		return nil, err
	}
	vc.final = true
	out, err := vc.query(schema)
	if err != nil {
		return nil, err
	}
	out.Name = v.Name
	out.Fields, out.AllFields = vc.c.needed(), uniqueFields(*vc.c.used)
	for _, col := range v.Columns() {
		t := vc.types[col.Name]
		if col.Collection {
			t += "[]"
		}
		out.Columns = append(out.Columns, ViewColumn{Name: col.Name, Type: col.Type, SQLType: t, Collection: col.Collection})
	}
	return out, nil
}

// constantVal is the SQL of a view constant.
func constantVal(k viewdef.Constant) (val, error) {
	raw := k.Value.JSON()
	switch k.Type {
	case "boolean":
		return val{sql: fmt.Sprint(raw), t: primitiveType("boolean")}, nil
	case "integer", "positiveInt", "unsignedInt":
		return val{sql: fmt.Sprint(raw), t: primitiveType(k.Type)}, nil
	case "decimal":
		return val{sql: "CAST(" + fmt.Sprint(raw) + " AS DOUBLE)", t: primitiveType("decimal")}, nil
	case "instant":
		return val{sql: "CAST(" + quote(fmt.Sprint(raw)) + " AS TIMESTAMPTZ)", t: primitiveType("instant")}, nil
	case "date", "dateTime", "time":
		g, err := k.Value.Go()
		if err != nil {
			return val{}, fmt.Errorf("fhirsql: constant %s: %w", k.Name, err)
		}
		t, ok := g.(fhirpath.Temporal)
		if !ok {
			return val{}, fmt.Errorf("fhirsql: constant %s: not a %s", k.Name, k.Type)
		}
		return val{sql: quote(fmt.Sprint(raw)), t: primitiveType(k.Type), literal: &t}, nil
	}
	s, ok := raw.(string)
	if !ok {
		return val{}, fmt.Errorf("fhirsql: constant %s: expected a string", k.Name)
	}
	if strings.ContainsRune(s, 0) || !utf8.ValidString(s) {
		return val{}, fmt.Errorf("fhirsql: constant %s: not valid UTF-8, or holds a NUL character, which SQL text cannot", k.Name)
	}
	return val{sql: quote(s), t: primitiveType(k.Type)}, nil
}

type viewCompiler struct {
	view  *viewdef.View
	c     *compiler
	root  val
	types map[string]string // column name → DuckDB type of one value
	final bool              // every column type is known
}

func (vc *viewCompiler) query(schema *fhirflat.Schema) (*ViewSQL, error) {
	table := "main." + ident(schema.Table)
	var where []string
	top := scope{this: vc.root, root: vc.root, rowIndex: "0"}
	for i, w := range vc.view.Where {
		c := vc.c.with(w.Source())
		v, err := c.compile(w.Root(), top)
		if err != nil {
			return nil, err
		}
		at := fmt.Sprintf("where[%d]", i)
		if !v.empty && !v.isPoly() && v.t.repr == scalar && v.t.sys != "Boolean" {
			return nil, &Error{Expr: w.Source(), What: at, Msg: "the path must give a boolean, got " + v.t.typeName()}
		}
		b, err := c.boolOf(v, w.Root(), at)
		if err != nil {
			return nil, err
		}
		where = append(where, b)
	}
	rs := rowset{}
	for _, s := range vc.view.Select {
		part, err := vc.selectRows(s, top)
		if err != nil {
			return nil, err
		}
		rs = vc.product(rs, part)
	}
	var b strings.Builder
	cols := vc.view.Columns()
	from := " FROM " + table + " AS " + RowAlias
	if len(where) > 0 {
		from += " WHERE " + strings.Join(where, " AND ")
	}
	if rs.list == "" {
		b.WriteString("SELECT ")
		for i, col := range cols {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(rs.single[col.Name] + " AS " + ident(col.Name))
		}
		b.WriteString(from)
		return &ViewSQL{Table: table, SQL: b.String()}, nil
	}
	b.WriteString("SELECT ")
	for i, col := range cols {
		if i > 0 {
			b.WriteString(", ")
		}
		if _, ok := rs.single[col.Name]; ok {
			b.WriteString(ident(col.Name))
		} else {
			b.WriteString("_u." + ident(col.Name) + " AS " + ident(col.Name))
		}
	}
	b.WriteString(" FROM (SELECT ")
	for _, col := range cols {
		if s, ok := rs.single[col.Name]; ok {
			b.WriteString(s + " AS " + ident(col.Name) + ", ")
		}
	}
	b.WriteString("unnest(" + rs.list + ") AS _u" + from + ") AS _v")
	return &ViewSQL{Table: table, SQL: b.String()}, nil
}

// rowset is the rows a select gives for one focus: columns with one value
// for all of them, and a LIST of STRUCTs for the other columns.
type rowset struct {
	names  []string          // the columns, in output order
	single map[string]string // columns with the same value in every row
	list   string            // the rows (the other columns); "" for one row
}

func (rs rowset) listNames() []string {
	var out []string
	for _, n := range rs.names {
		if _, ok := rs.single[n]; !ok {
			out = append(out, n)
		}
	}
	return out
}

// structOf writes a row STRUCT of the columns names, taking each from
// single or, for the others, from the STRUCT y.
func structOf(names []string, single map[string]string, y string) string {
	parts := make([]string, len(names))
	for i, n := range names {
		if s, ok := single[n]; ok {
			parts[i] = quote(n) + ": " + s
		} else {
			parts[i] = quote(n) + ": " + y + "." + ident(n)
		}
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// product joins each row of a with each row of b.
func (vc *viewCompiler) product(a, b rowset) rowset {
	out := rowset{names: append(append([]string{}, a.names...), b.names...), single: map[string]string{}}
	for k, v := range a.single {
		out.single[k] = v
	}
	for k, v := range b.single {
		out.single[k] = v
	}
	switch {
	case a.list == "":
		out.list = b.list
	case b.list == "":
		out.list = a.list
	default:
		p, q := vc.c.lambdaVar(), vc.c.lambdaVar()
		fields := map[string]string{}
		for _, n := range a.listNames() {
			fields[n] = p + "." + ident(n)
		}
		for _, n := range b.listNames() {
			fields[n] = q + "." + ident(n)
		}
		out.list = "flatten(list_transform(" + a.list + ", lambda " + p + ": list_transform(" + b.list + ", lambda " + q + ": " +
			structOf(append(a.listNames(), b.listNames()...), fields, "") + ")))"
	}
	return out
}

// toList is the SQL of all the rows of a set as a LIST of STRUCTs of
// every column.
func (vc *viewCompiler) toList(rs rowset) string {
	if rs.list == "" {
		return "[" + structOf(rs.names, rs.single, "") + "]"
	}
	if len(rs.single) == 0 {
		return rs.list
	}
	y := vc.c.lambdaVar()
	return "list_transform(" + rs.list + ", lambda " + y + ": " + structOf(rs.names, rs.single, y) + ")"
}

// selectRows is the rows of a select for the focus of s.
func (vc *viewCompiler) selectRows(sel *viewdef.Select, s scope) (rowset, error) {
	var items val
	var iterExpr *fhirpath.Expr
	orNull := false
	switch {
	case sel.ForEach != nil:
		iterExpr = sel.ForEach
	case sel.ForEachOrNull != nil:
		iterExpr, orNull = sel.ForEachOrNull, true
	case len(sel.Repeat) > 0:
		return vc.repeatRows(sel, s)
	default:
		return vc.itemRows(sel, s)
	}
	c := vc.c.with(iterExpr.Source())
	items, err := c.compile(iterExpr.Root(), s)
	if err != nil {
		return rowset{}, err
	}
	if items.isPoly() {
		return rowset{}, &Error{Expr: iterExpr.Source(), What: sel.Path, Msg: "the items have several types (" + items.typeNames() + "); use ofType()"}
	}
	if items.t.repr == row || items.resolved {
		return rowset{}, &Error{Expr: iterExpr.Source(), What: sel.Path, Msg: "iterating over " + items.t.typeName() + " is not supported in SQL"}
	}
	x, i := vc.c.lambdaVar(), vc.c.lambdaVar()
	var per rowset
	list := "NULL"
	if !items.empty {
		sub := s
		sub.this, sub.rowIndex = items.item(x), "CAST("+i+" - 1 AS INTEGER)"
		if per, err = vc.itemRows(sel, sub); err != nil {
			return rowset{}, err
		}
		body := vc.toList(per)
		fn := "flatten(list_transform("
		if per.list == "" {
			body = structOf(per.names, per.single, "")
			fn = "(list_transform("
		}
		list = fn + c.list(items) + ", lambda " + x + ", " + i + ": " + body + "))"
	} else {
		sub := s
		sub.this = emptyVal()
		if per, err = vc.itemRows(sel, sub); err != nil {
			return rowset{}, err
		}
	}
	if orNull {
		nullRow, err := vc.nullRow(sel, s)
		if err != nil {
			return rowset{}, err
		}
		if items.empty {
			list = "[" + nullRow + "]"
		} else {
			e, _ := c.exists(items)
			list = "CASE WHEN " + e + " THEN " + list + " ELSE [" + nullRow + "] END"
		}
	}
	if list == "NULL" {
		list = "CAST(NULL AS " + vc.rowType(per.names) + "[])"
	}
	return rowset{names: per.names, single: map[string]string{}, list: list}, nil
}

// rowType is the STRUCT type of rows of the given columns.
func (vc *viewCompiler) rowType(names []string) string {
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = ident(n) + " " + vc.columnType(n)
	}
	return "STRUCT(" + strings.Join(parts, ", ") + ")"
}

// columnType is the DuckDB type of a column (a LIST for collections).
func (vc *viewCompiler) columnType(name string) string {
	t := vc.types[name]
	if t == "" {
		t = "VARCHAR"
	}
	for _, col := range vc.view.Columns() {
		if col.Name == name && col.Collection {
			return t + "[]"
		}
	}
	return t
}

// nullRow is forEachOrNull's row for no items: the select's own columns
// evaluated on nothing (%rowIndex 0), NULL for the others.
func (vc *viewCompiler) nullRow(sel *viewdef.Select, s scope) (string, error) {
	s.this, s.rowIndex = emptyVal(), "0"
	own, err := vc.columns(sel, s)
	if err != nil {
		return "", err
	}
	var names []string
	for _, col := range columnsOf(sel) {
		names = append(names, col)
		if _, ok := own[col]; !ok {
			own[col] = "CAST(NULL AS " + vc.columnType(col) + ")"
		}
	}
	return structOf(names, own, ""), nil
}

// columnsOf lists the columns of a select in output order.
func columnsOf(sel *viewdef.Select) []string {
	var out []string
	for _, c := range sel.Columns {
		out = append(out, c.Name)
	}
	for _, n := range sel.Select {
		out = append(out, columnsOf(n)...)
	}
	if len(sel.UnionAll) > 0 {
		out = append(out, columnsOf(sel.UnionAll[0])...)
	}
	return out
}

// itemRows is the rows of a select's columns, nested selects and unionAll
// for one item.
func (vc *viewCompiler) itemRows(sel *viewdef.Select, s scope) (rowset, error) {
	own, err := vc.columns(sel, s)
	if err != nil {
		return rowset{}, err
	}
	rs := rowset{single: own}
	for _, col := range sel.Columns {
		rs.names = append(rs.names, col.Name)
	}
	for _, n := range sel.Select {
		part, err := vc.selectRows(n, s)
		if err != nil {
			return rowset{}, err
		}
		rs = vc.product(rs, part)
	}
	if len(sel.UnionAll) > 0 {
		var lists []string
		var names []string
		for _, u := range sel.UnionAll {
			part, err := vc.selectRows(u, s)
			if err != nil {
				return rowset{}, err
			}
			names = part.names
			lists = append(lists, vc.toList(part))
		}
		union := lists[len(lists)-1]
		for i := len(lists) - 2; i >= 0; i-- {
			union = "list_concat(" + lists[i] + ", " + union + ")"
		}
		rs = vc.product(rs, rowset{names: names, single: map[string]string{}, list: union})
	}
	return rs, nil
}

// columns compiles a select's own columns for one focus.
func (vc *viewCompiler) columns(sel *viewdef.Select, s scope) (map[string]string, error) {
	out := map[string]string{}
	for _, col := range sel.Columns {
		c := vc.c.with(col.Path)
		v, err := c.compile(col.Expr.Root(), s)
		if err != nil {
			return nil, err
		}
		sql, err := vc.columnValue(c, col, v)
		if err != nil {
			return nil, err
		}
		out[col.Name] = sql
	}
	return out, nil
}

// columnValue is the SQL of a column's value, of the column's type.
func (vc *viewCompiler) columnValue(c *compiler, col *viewdef.Column, v val) (string, error) {
	if v.resolved || v.t.repr == row && !v.empty && !v.isPoly() {
		return "", &Error{Expr: col.Path, What: "column " + col.Name, Msg: "a resource (or resolve()) is not a column value in SQL"}
	}
	if v.isPoly() {
		// several types: one list when they share a SQL type
		first := v.alts[0]
		for _, a := range v.alts[1:] {
			if !sameSQL(a.t, first.t) {
				return "", &Error{Expr: col.Path, What: "column " + col.Name, Msg: "the path gives values of several types (" + v.typeNames() + "); select one with ofType()"}
			}
		}
		if v.exclusive && !col.Collection {
			parts := make([]string, len(v.alts))
			for i, a := range v.alts {
				if a.many {
					return "", &Error{Expr: col.Path, What: "column " + col.Name, Msg: "the path gives values of several types (" + v.typeNames() + "); select one with ofType()"}
				}
				parts[i] = a.sql
			}
			v = val{sql: "coalesce(" + strings.Join(parts, ", ") + ")", t: first.t}
		} else {
			lists := make([]string, len(v.alts))
			for i, a := range v.alts {
				lists[i] = c.list(a)
			}
			l := lists[len(lists)-1]
			for i := len(lists) - 2; i >= 0; i-- {
				l = "list_concat(" + lists[i] + ", " + l + ")"
			}
			v = val{sql: l, many: true, t: first.t}
		}
	}
	t, err := vc.learnType(col, v)
	if err != nil {
		return "", err
	}
	if col.Collection {
		if v.empty {
			return "CAST([] AS " + t + "[])", nil
		}
		l := c.list(v)
		if v.t.sqlType() != t {
			y := c.lambdaVar()
			l = "list_transform(" + l + ", lambda " + y + ": " + castTo(y, v.t, t) + ")"
		}
		return "coalesce(" + l + ", CAST([] AS " + t + "[]))", nil
	}
	if v.empty {
		return "CAST(NULL AS " + t + ")", nil
	}
	if v.many {
		msg := fmt.Sprintf("fhirsql: column %s: %s gave more than one value (", col.Name, col.Path)
		one := paren(v.sql) + "[1]"
		if v.t.sqlType() != t {
			one = castTo(one, v.t, t)
		}
		return "CASE WHEN len(" + v.sql + ") > 1 THEN error(" + quote(msg) + " || len(" + v.sql + ") || ' values); a column holds one value unless it has collection: true') ELSE " + one + " END", nil
	}
	if v.t.sqlType() != t {
		return castTo(v.sql, v.t, t), nil
	}
	return v.sql, nil
}

// castTo converts one value to a column type.
func castTo(sql string, from itemType, to string) string {
	if to == "VARCHAR" || from.isNumber() && (to == "DOUBLE" || to == "BIGINT" || to == "INTEGER") {
		if from.repr == scalar {
			return "CAST(" + sql + " AS " + to + ")"
		}
	}
	return "TRY_CAST(" + sql + " AS " + to + ")"
}

// learnType returns the DuckDB type of one value of a column: from its
// declared FHIR type when that is a primitive, else from the value.
func (vc *viewCompiler) learnType(col *viewdef.Column, v val) (string, error) {
	if t, ok := vc.types[col.Name]; ok && (vc.final || t != "") {
		return t, nil
	}
	t := ""
	if pt := r4Primitive(vc.c.model, col.Type); pt != "" {
		t = pt
	} else if !v.empty {
		t = v.t.sqlType()
	}
	if t == "" {
		if vc.final {
			t = "VARCHAR"
		} else {
			return "VARCHAR", nil
		}
	}
	vc.types[col.Name] = t
	return t, nil
}

// r4Primitive is the DuckDB type of a FHIR primitive type, or "" when the
// type is not a primitive.
func r4Primitive(m *r4.Model, code string) string {
	t := m.Type(code)
	if t == nil || t.Kind != r4.Primitive {
		return ""
	}
	if code == "integer64" {
		return "BIGINT"
	}
	return fhirflat.PrimitiveSQLType(code)
}
