package fhirsql

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/fhirlake/fhirlake/fhirflat"
	"github.com/fhirlake/fhirlake/fhirpath"
	"github.com/fhirlake/fhirlake/r4"
)

// Error is a FHIRPath construct that cannot be compiled to SQL, or a
// compiled expression that cannot be used as asked.
type Error struct {
	Expr string // the FHIRPath source
	Pos  int    // byte offset of the construct in Expr
	What string // the construct: "function resolve()", "operator ~", "element value"
	Msg  string
}

func (e *Error) Error() string {
	if e.Expr == "" {
		return fmt.Sprintf("fhirsql: %s: %s", e.What, e.Msg)
	}
	return fmt.Sprintf("fhirsql: %s at offset %d of %q: %s", e.What, e.Pos, e.Expr, e.Msg)
}

// compiler turns FHIRPath syntax trees into SQL over the typed tables.
type compiler struct {
	b     *fhirflat.Builder
	model *r4.Model
	src   string         // source of the expression being compiled
	vars  map[string]val // view constants
	n     *int           // lambda variable counter, shared by the compilers of one statement
	// ordered keeps FHIRPath's order where that costs more (the distinct
	// of a union); search does not need it.
	ordered bool
	// used collects the fields the SQL reads, shared by the compilers of
	// one statement: the table must have their columns (fhirflat.Need).
	used *[]*fhirflat.Field
	// dropped are the spans of used that hold the fields of a choice's
	// alternatives ofType() or as left out (value.ofType(Quantity) reads
	// valueQuantity, not valueString): a view's table needs them only if
	// its SQL fails to bind without them.
	dropped *[][2]int
}

func newCompiler(b *fhirflat.Builder) *compiler {
	return &compiler{b: b, model: b.Model(), n: new(int), used: new([]*fhirflat.Field), dropped: new([][2]int)}
}

// needed is used without the fields of dropped alternatives, unless
// another use kept them.
func (c *compiler) needed() []*fhirflat.Field {
	out := slices.Clone(*c.used)
	for _, d := range *c.dropped {
		for i := d[0]; i < d[1]; i++ {
			out[i] = nil
		}
	}
	return uniqueFields(slices.DeleteFunc(out, func(f *fhirflat.Field) bool { return f == nil }))
}

// with returns a compiler for another expression of the same statement.
func (c *compiler) with(src string) *compiler {
	d := *c
	d.src = src
	return &d
}

// scope is what an expression is evaluated against.
type scope struct {
	this     val    // $this: the focus
	index    string // $index inside lambdas, 0-based; "" elsewhere
	rowIndex string // %rowIndex in views; "" elsewhere
	root     val    // %resource, %rootResource, %context
}

func (c *compiler) errorf(n fhirpath.Node, what, format string, args ...any) error {
	pos := 0
	if n != nil {
		pos = n.Pos()
	}
	return &Error{Expr: c.src, Pos: pos, What: what, Msg: fmt.Sprintf(format, args...)}
}

// lambdaVar returns a fresh lambda parameter name.
func (c *compiler) lambdaVar() string {
	*c.n++
	return "_x" + strconv.Itoa(*c.n)
}

func (c *compiler) compile(n fhirpath.Node, s scope) (val, error) {
	switch n := n.(type) {
	case *fhirpath.Literal:
		return c.literal(n)
	case *fhirpath.Member:
		return c.member(n, s)
	case *fhirpath.Call:
		return c.call(n, s)
	case *fhirpath.Index:
		return c.index(n, s)
	case *fhirpath.Variable:
		return c.variable(n, s)
	case *fhirpath.Special:
		switch n.Name {
		case "$this":
			return s.this, nil
		case "$index":
			if s.index == "" {
				return val{}, c.errorf(n, "$index", "$index is only defined inside where(), select(), exists() and all()")
			}
			return val{sql: s.index, t: sysType("Integer")}, nil
		}
		return val{}, c.errorf(n, n.Name, "%s (aggregate()) is not supported in SQL", n.Name)
	case *fhirpath.Unary:
		return c.unary(n, s)
	case *fhirpath.Binary:
		return c.binary(n, s)
	case *fhirpath.TypeOp:
		operand, err := c.compile(n.Operand, s)
		if err != nil {
			return val{}, err
		}
		if n.Op == "is" {
			return c.isType(operand, n.Type, n)
		}
		return c.ofType(operand, n.Type, n, "operator as")
	case *fhirpath.TypeSpecifier:
		return val{}, c.errorf(n, "type "+fhirpath.Format(n), "a type name is not an expression here")
	}
	return val{}, c.errorf(n, fmt.Sprintf("%T", n), "unknown syntax node")
}

func (c *compiler) literal(n *fhirpath.Literal) (val, error) {
	switch n.Kind {
	case fhirpath.NullLiteral:
		return emptyVal(), nil
	case fhirpath.BooleanLiteral:
		return val{sql: strconv.FormatBool(n.Value.(bool)), t: sysType("Boolean")}, nil
	case fhirpath.StringLiteral:
		str := n.Value.(string)
		if !utf8.ValidString(str) || strings.ContainsRune(str, 0) {
			return val{}, c.errorf(n, "string literal", "not valid UTF-8, or holds a NUL character, which SQL text cannot")
		}
		return val{sql: quote(str), t: sysType("String")}, nil
	case fhirpath.IntegerLiteral:
		i := n.Value.(int64)
		if i > 1<<31-1 || i < -(1<<31) {
			return val{sql: "CAST(" + strconv.FormatInt(i, 10) + " AS BIGINT)", t: sysType("Long")}, nil
		}
		return val{sql: strconv.FormatInt(i, 10), t: sysType("Integer")}, nil
	case fhirpath.LongLiteral:
		return val{sql: "CAST(" + strconv.FormatInt(n.Value.(int64), 10) + " AS BIGINT)", t: sysType("Long")}, nil
	case fhirpath.DecimalLiteral:
		return val{sql: "CAST(" + n.Value.(fhirpath.Decimal).String() + " AS DOUBLE)", t: sysType("Decimal")}, nil
	case fhirpath.DateLiteral, fhirpath.DateTimeLiteral, fhirpath.TimeLiteral:
		t := n.Value.(fhirpath.Temporal)
		name := map[fhirpath.LiteralKind]string{fhirpath.DateLiteral: "Date", fhirpath.DateTimeLiteral: "DateTime", fhirpath.TimeLiteral: "Time"}[n.Kind]
		return val{sql: quote(t.String()), t: sysType(name), literal: &t}, nil
	}
	return val{}, c.errorf(n, n.Kind.String()+" literal", "%s literals are not supported in SQL (no UCUM arithmetic)", n.Kind)
}

func (c *compiler) variable(n *fhirpath.Variable, s scope) (val, error) {
	switch n.Name {
	case "resource", "rootResource", "context":
		return s.root, nil
	case "rowIndex":
		if s.rowIndex == "" {
			return val{}, c.errorf(n, "%rowIndex", "%%rowIndex is only defined in ViewDefinitions")
		}
		return val{sql: s.rowIndex, t: sysType("Integer")}, nil
	case "ucum":
		return val{sql: quote("http://unitsofmeasure.org"), t: sysType("String")}, nil
	case "sct":
		return val{sql: quote("http://snomed.info/sct"), t: sysType("String")}, nil
	case "loinc":
		return val{sql: quote("http://loinc.org"), t: sysType("String")}, nil
	}
	if v, ok := c.vars[n.Name]; ok {
		return v, nil
	}
	if rest, ok := strings.CutPrefix(n.Name, "vs-"); ok {
		return val{sql: quote("http://hl7.org/fhir/ValueSet/" + rest), t: sysType("String")}, nil
	}
	if rest, ok := strings.CutPrefix(n.Name, "ext-"); ok {
		return val{sql: quote("http://hl7.org/fhir/StructureDefinition/" + rest), t: sysType("String")}, nil
	}
	return val{}, c.errorf(n, "%"+n.Name, "undefined variable %%%s", n.Name)
}

func (c *compiler) unary(n *fhirpath.Unary, s scope) (val, error) {
	v, err := c.compile(n.Operand, s)
	if err != nil || v.empty {
		return v, err
	}
	v, err = c.singleton(v, n, "unary "+n.Op)
	if err != nil {
		return val{}, err
	}
	if !v.t.isNumber() {
		return val{}, c.errorf(n, "unary "+n.Op, "needs a number, got %s", v.t.typeName())
	}
	if n.Op == "+" {
		return v, nil
	}
	return val{sql: "(-" + paren(v.sql) + ")", t: sysType(v.t.sys)}, nil
}

func (c *compiler) index(n *fhirpath.Index, s scope) (val, error) {
	target, err := c.compile(n.Target, s)
	if err != nil {
		return val{}, err
	}
	idx, err := c.compile(n.Index, s)
	if err != nil {
		return val{}, err
	}
	if target.empty || idx.empty {
		return emptyVal(), nil
	}
	if target.isPoly() {
		return val{}, c.errorf(n, "indexer []", "the collection holds items of several types (%s); use ofType() first", target.typeNames())
	}
	idx, err = c.singleton(idx, n.Index, "indexer []")
	if err != nil {
		return val{}, err
	}
	if idx.t.sys != "Integer" {
		return val{}, c.errorf(n.Index, "indexer []", "the index must be an integer, got %s", idx.t.typeName())
	}
	if lit, err := strconv.Atoi(idx.sql); err == nil {
		if lit < 0 {
			return emptyVal(), nil
		}
		if !target.many {
			if lit == 0 {
				return target, nil
			}
			return emptyVal(), nil
		}
		return val{sql: paren(target.sql) + "[" + strconv.Itoa(lit+1) + "]", t: target.t}, nil
	}
	if target.t.repr == row {
		return val{}, c.errorf(n, "indexer []", "indexing the resource by a computed index is not supported")
	}
	if !target.many {
		return val{sql: "CASE WHEN " + idx.sql + " = 0 THEN " + target.sql + " END", t: target.t}, nil
	}
	return val{sql: "CASE WHEN " + idx.sql + " >= 0 THEN " + paren(target.sql) + "[" + paren(idx.sql) + " + 1] END", t: target.t}, nil
}

// singleton makes a collection one item: an error (at run time) when it
// holds more.
func (c *compiler) singleton(v val, n fhirpath.Node, what string) (val, error) {
	if v.empty || (!v.many && !v.isPoly()) {
		return v, nil
	}
	if v.isPoly() {
		if v.exclusive && !anyMany(v.alts) {
			return v, nil
		}
		m, ok := c.merge(v)
		if !ok {
			return val{}, c.errorf(n, what, "needs a single item, but the collection holds items of several types (%s); use ofType()", v.typeNames())
		}
		v = m
		if !v.many {
			return v, nil
		}
	}
	if v.t.repr == row {
		return v, nil
	}
	msg := fmt.Sprintf("fhirsql: %s at offset %d of %s: expected a single item, got ", what, n.Pos(), strconv.Quote(c.src))
	return val{
		sql: "CASE WHEN len(" + v.sql + ") > 1 THEN error(" + quote(msg) + " || len(" + v.sql + ")) ELSE " + paren(v.sql) + "[1] END",
		t:   v.t,
	}, nil
}

func anyMany(alts []val) bool {
	for _, a := range alts {
		if a.many {
			return true
		}
	}
	return false
}

// merge makes one collection of the alternatives of a collection when
// they share a SQL type (integer, positiveInt and unsignedInt of an
// ofType(integer)); the items of one type then come before those of the
// next.
func (c *compiler) merge(v val) (val, bool) {
	if !v.isPoly() {
		return v, true
	}
	first := v.alts[0]
	for _, a := range v.alts[1:] {
		if !sameSQL(a.t, first.t) || kind(a.t) != kind(first.t) || a.t.repr == row {
			return val{}, false
		}
	}
	if v.exclusive && !anyMany(v.alts) {
		parts := make([]string, len(v.alts))
		for i, a := range v.alts {
			parts[i] = a.sql
		}
		return val{sql: "coalesce(" + strings.Join(parts, ", ") + ")", t: first.t}, true
	}
	l := c.list(v.alts[len(v.alts)-1])
	for i := len(v.alts) - 2; i >= 0; i-- {
		l = "list_concat(" + c.list(v.alts[i]) + ", " + l + ")"
	}
	return val{sql: l, many: true, t: first.t}, true
}

// list returns the SQL of a LIST holding the items of a collection of one
// type.
func (c *compiler) list(v val) string {
	if v.many {
		return v.sql
	}
	return ListOf(v.sql)
}

// ListOf is the SQL of a LIST holding the value of item, or NULL when
// item is NULL: how a 0..1 element is given as a collection.
func ListOf(item string) string {
	return "CASE WHEN " + paren(item) + " IS NULL THEN NULL ELSE [" + item + "] END"
}

// SingleItem returns item (in parentheses unless it is simple) when list
// is ListOf(item): the collection has at most one item, and a test on
// "some item" is a test on item itself, which DuckDB evaluates far faster
// than a lambda over a built list.
func SingleItem(list string) (string, bool) {
	const pre, mid, post = "CASE WHEN ", " IS NULL THEN NULL ELSE [", "] END"
	if !strings.HasPrefix(list, pre) || !strings.HasSuffix(list, post) {
		return "", false
	}
	body := list[len(pre) : len(list)-len(post)]
	// body is paren(item) + mid + item; item is the text after the last
	// occurrence of mid that rebuilds the whole list.
	for i := strings.LastIndex(body, mid); i >= 0; i = strings.LastIndex(body[:i], mid) {
		item := body[i+len(mid):]
		if ListOf(item) == list {
			return paren(item), true
		}
	}
	return "", false
}

// each applies f to every item of v and collects the results: f gets one
// item (and its 0-based index) and returns a collection.
func (c *compiler) each(v val, f func(item val, index string) (val, error)) (val, error) {
	if v.empty {
		return v, nil
	}
	if v.isPoly() {
		var alts []val
		for _, a := range v.alts {
			r, err := c.each(a, f)
			if err != nil {
				return val{}, err
			}
			alts = append(alts, r)
		}
		return polyOf(alts, v.exclusive), nil
	}
	if !v.many {
		r, err := f(v, "0")
		if err != nil {
			return val{}, err
		}
		if v.guard != "" {
			r = guarded(r, v.guard)
		}
		return r, nil
	}
	x, i := c.lambdaVar(), c.lambdaVar()
	r, err := f(v.item(x), "("+i+" - 1)")
	if err != nil {
		return val{}, err
	}
	return c.mapOver(v.sql, x, i, r), nil
}

// mapOver collects r, computed for each item x (with 1-based index i) of
// the list src.
func (c *compiler) mapOver(src, x, i string, r val) val {
	if r.empty {
		return r
	}
	if r.isPoly() {
		var alts []val
		for _, a := range r.alts {
			alts = append(alts, c.mapOver(src, x, i, a))
		}
		return polyOf(alts, false)
	}
	params := x
	if i != "" && strings.Contains(r.sql, i) {
		params += ", " + i
	}
	if r.many {
		return val{sql: "flatten(list_transform(" + src + ", lambda " + params + ": " + r.sql + "))", many: true, t: r.t}
	}
	y := c.lambdaVar()
	out := val{sql: "list_filter(list_transform(" + src + ", lambda " + params + ": " + r.sql + "), lambda " + y + ": " + y + " IS NOT NULL)", many: true, t: r.t}
	if params == x && r.guard == "" && r.t.repr != row {
		out.mapped = &mapping{src: src, x: x, body: r.sql}
	}
	return out
}

// guarded makes a collection empty unless cond holds.
func guarded(v val, cond string) val {
	if v.empty {
		return v
	}
	if v.isPoly() {
		for i, a := range v.alts {
			v.alts[i] = guarded(a, cond)
		}
		return v
	}
	if v.t.repr == row {
		if v.guard != "" {
			cond = "(" + v.guard + ") AND (" + cond + ")"
		}
		v.guard = cond
		return v
	}
	v.sql = "CASE WHEN " + cond + " THEN " + v.sql + " END"
	v.mapped, v.prim, v.cond = nil, "", ""
	return v
}

// polyOf is the union of typed alternatives; exclusive when at most one of
// them holds items (the types of one choice element of one item).
func polyOf(alts []val, exclusive bool) val {
	var kept []val
	for _, a := range alts {
		if a.empty {
			continue
		}
		if a.isPoly() {
			kept = append(kept, a.alts...)
			exclusive = exclusive && a.exclusive
			continue
		}
		kept = append(kept, a)
	}
	switch len(kept) {
	case 0:
		return emptyVal()
	case 1:
		return kept[0]
	}
	return val{alts: kept, exclusive: exclusive}
}

// typeNames lists the types of a collection's alternatives.
func (v val) typeNames() string {
	if !v.isPoly() {
		return v.t.typeName()
	}
	names := make([]string, len(v.alts))
	for i, a := range v.alts {
		names[i] = a.t.typeName()
	}
	return strings.Join(names, ", ")
}
