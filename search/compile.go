package search

import (
	"fmt"
	"strings"
	"sync"

	"github.com/fhirlake/fhirlake/fhirflat"
	"github.com/fhirlake/fhirlake/fhirpath"
	"github.com/fhirlake/fhirlake/fhirsql"
	"github.com/fhirlake/fhirlake/r4"
)

// Compiler turns parsed searches into SQL. It caches compiled parameter
// expressions and is safe for concurrent use.
type Compiler struct {
	b     *fhirflat.Builder
	m     *r4.Model
	cache sync.Map // exprKey → compiled
}

type exprKey struct{ typ, code, alias string }

type compiled struct {
	expr fhirsql.SQLExpr
	err  error
}

// NewCompiler returns a Compiler over a schema builder.
func NewCompiler(b *fhirflat.Builder) *Compiler { return &Compiler{b: b, m: b.Model()} }

// Plan is a compiled search: a predicate over the type's table aliased r,
// with its arguments, and the columns its SQL reads.
type Plan struct {
	Type  string
	Where string
	Args  []any
	Order string // ORDER BY items, ending with r.id
	// Fields lists, per resource type, the fields the SQL reads: the
	// tables must have their columns (fhirflat.Need).
	Fields map[string][]*fhirflat.Field
}

// builder accumulates one plan's SQL and arguments, in the order the
// arguments appear in the SQL.
type builder struct {
	c      *Compiler
	args   []any
	fields map[string][]*fhirflat.Field
	n      int // lambda variable and alias counter
	base   string
	need   needFunc // the columns a run adds for the fields (fhirflat.Need)
	// pre are conditions DuckDB can apply while it scans (refPrefilter),
	// of the search's own clauses, with their arguments.
	pre     []string
	preArgs []any
	// layouts gives the columns a type's tables have (nil: unknown, and
	// no key column is used).
	layouts func(typ string) (*fhirflat.Layout, error)
	// keyed says a prefilter tests a key column.
	keyed bool
}

func (b *builder) arg(v any) string {
	b.args = append(b.args, v)
	return "?"
}

func (b *builder) lambda() string {
	b.n++
	return fmt.Sprintf("_q%d", b.n)
}

// collection compiles a parameter's expression for a type, on table alias
// (compiled once per Compiler), keeping the parts the table can hold.
func (b *builder) collection(typ string, p *r4.SearchParam, alias string) (fhirsql.SQLExpr, error) {
	k := exprKey{typ, p.URL, alias}
	v, ok := b.c.cache.Load(k)
	if !ok {
		cv := &compiled{}
		src := p.ExpressionFor(typ)
		if src == "" {
			cv.err = errorf("the search parameter %s has no expression for %s and is not supported", p.Code, typ)
		} else if e, err := fhirpath.Parse(src); err != nil {
			cv.err = errorf("search parameter %s: %v", p.Code, err)
		} else if cv.expr, err = fhirsql.CompileCollection(e, typ, b.c.b, alias); err != nil {
			cv.err = errorf("search parameter %s of %s cannot be run in SQL: %v", p.Code, typ, err)
		}
		b.c.cache.Store(k, cv)
		v = cv
	}
	cv := v.(*compiled)
	if cv.err != nil {
		return cv.expr, cv.err
	}
	x := b.present(typ, cv.expr)
	b.fields[typ] = append(b.fields[typ], x.Fields...)
	return x, nil
}

// present drops the parts of x whose items are a column the table of typ
// does not have: the table grows a column when a write holds its element
// (Layout), so no row has items there. A search on Observation.effective
// then tests the one or two choices the data uses, not all four: DuckDB
// binds and plans a prepared statement again at every execution, and
// that costs in proportion to the predicate's size. The fields of the
// dropped parts are dropped too (the search need not add their columns)
// when every part kept is a column; otherwise they stay.
func (b *builder) present(typ string, x fhirsql.SQLExpr) fhirsql.SQLExpr {
	if b.layouts == nil {
		return x
	}
	l, err := b.layouts(typ)
	if err != nil || l == nil {
		return x
	}
	var kept []fhirsql.SQLPart
	dropped := map[*fhirflat.Field]bool{}
	columns := true // every kept part is a column
	for _, p := range x.Parts {
		switch {
		case p.Column != nil && !l.Has(p.Column):
			dropped[p.Column] = true
		case p.Column == nil:
			columns = false
			fallthrough
		default:
			kept = append(kept, p)
		}
	}
	if len(dropped) == 0 {
		return x
	}
	out := fhirsql.SQLExpr{Parts: kept, Fields: x.Fields}
	if columns {
		out.Fields = nil
		for _, f := range x.Fields {
			if !dropped[f.Root()] {
				out.Fields = append(out.Fields, f)
			}
		}
	}
	return out
}

// anyItem is true when some item x of list satisfies cond(x).
func (b *builder) anyItem(list string, cond func(x string) string) string {
	if item, ok := fhirsql.SingleItem(list); ok {
		return "coalesce(" + item + " IS NOT NULL AND " + cond(item) + ", false)"
	}
	x := b.lambda()
	return "coalesce(len(list_filter(" + list + ", lambda " + x + ": " + cond(x) + ")) > 0, false)"
}

// Compile compiles a search. base is the server's FHIR base URL (for
// absolute references to its own resources).
func (c *Compiler) Compile(q *Query, base string) (*Plan, error) {
	return c.compile(q, base, nil)
}

// compile compiles a search for tables with the given layouts (nil when
// not known).
func (c *Compiler) compile(q *Query, base string, layouts func(string) (*fhirflat.Layout, error)) (*Plan, error) {
	b := &builder{c: c, fields: map[string][]*fhirflat.Field{}, base: strings.TrimRight(base, "/"), layouts: layouts}
	var preds []string
	for _, cl := range q.Clauses {
		p, err := b.clause(q.Type, "r", cl)
		if err != nil {
			return nil, err
		}
		preds = append(preds, p)
	}
	if q.Compartment != nil {
		p, err := b.compartment(q.Type, q.Compartment)
		if err != nil {
			return nil, err
		}
		preds = append(preds, p)
	}
	where := "true"
	if len(preds) > 0 {
		where = strings.Join(preds, " AND ")
	}
	order, err := b.order(q) // its arguments follow the predicate's
	if err != nil {
		return nil, err
	}
	args := b.args
	switch {
	case b.keyed:
		// a key column's equality: DuckDB tests it while scanning and
		// skips the row groups its statistics exclude, whatever else
		// the predicate holds
		where = strings.Join(b.pre, " AND ") + " AND " + where
		args = append(append([]any{}, b.preArgs...), b.args...)
	case len(b.pre) > 0:
		// DuckDB applies a condition on one column while it scans, before
		// it reads the other columns, and the rest afterwards: the
		// prefilters alone on one side, the whole predicate in a CASE on
		// the other (a CASE is not split up and pushed into the scan)
		pre := strings.Join(b.pre, " AND ")
		where = pre + " AND CASE WHEN " + pre + " THEN " + where + " ELSE false END"
		args = append(append(append([]any{}, b.preArgs...), b.preArgs...), b.args...)
	}
	return &Plan{Type: q.Type, Where: where, Args: args, Order: order, Fields: b.fields}, nil
}

// clause is the predicate of one parameter occurrence on alias.
func (b *builder) clause(typ, alias string, cl *Clause) (string, error) {
	switch {
	case cl.Has != nil:
		return b.has(typ, alias, cl.Has)
	case cl.Chain != nil:
		return b.chain(typ, alias, cl)
	}
	switch cl.Name {
	case "_id":
		return b.idClause(alias, cl)
	case "_lastUpdated":
		return b.lastUpdated(alias, cl)
	}
	if cl.Param.Type == "composite" {
		return b.composite(typ, alias, cl)
	}
	if cl.Param.Type == "special" && cl.Modifier != "missing" {
		return b.near(typ, alias, cl)
	}
	if cl.Param.Type == "reference" && (cl.Modifier == "below" || cl.Modifier == "above") {
		return b.refHierarchy(typ, alias, cl)
	}
	x, err := b.collection(typ, cl.Param, alias)
	if err != nil {
		return "", err
	}
	if cl.Modifier == "missing" {
		return b.missing(x, cl)
	}
	pre, preArgs, sufficient, keyed := b.refPrefilter(typ, alias, cl)
	if pre != "" && alias == "r" {
		// a clause of the search itself: Compile puts it first
		b.pre = append(b.pre, pre)
		b.keyed = b.keyed || keyed
		b.preArgs = append(b.preArgs, preArgs...)
		if sufficient {
			return "true", nil
		}
		pre = ""
	}
	if pre != "" {
		b.args = append(b.args, preArgs...) // pre comes first in the clause
	}
	var ors []string
	for _, v := range cl.Values {
		p, err := b.value(typ, cl, x, v)
		if err != nil {
			return "", err
		}
		ors = append(ors, p)
	}
	pred := "(" + strings.Join(ors, " OR ") + ")"
	if cl.Modifier == "not" || cl.Modifier == "not-in" {
		pred = "NOT " + pred
	}
	if pre != "" {
		pred = "(" + pre + " AND " + pred + ")"
	}
	return pred, nil
}

// value is the predicate of one value on a compiled collection. Parts of
// a type the parameter's kind of search cannot compare (the SampledData of
// value-quantity) never match; it is an error only when no part can.
func (b *builder) value(typ string, cl *Clause, x fhirsql.SQLExpr, v Value) (string, error) {
	var parts []string
	var firstErr error
	for _, part := range x.Parts {
		var p string
		var err error
		switch cl.Param.Type {
		case "token":
			p, err = b.token(part, cl.Modifier, v)
		case "string":
			p, err = b.stringMatch(part, cl.Modifier, v)
		case "date":
			p, err = b.date(part, v)
		case "reference":
			p, err = b.reference(cl.Param, part, cl.Modifier, v)
		case "quantity":
			p, err = b.quantity(part, v)
		case "number":
			p, err = b.number(part, v)
		case "uri":
			p, err = b.uri(part, cl.Modifier, v)
		default:
			err = errorf("%s search parameters (%s) are not supported", cl.Param.Type, cl.Name)
		}
		if err != nil {
			if _, unsupported := err.(*typeError); unsupported {
				if firstErr == nil {
					firstErr = err
				}
				continue
			}
			return "", err
		}
		parts = append(parts, p)
	}
	if len(parts) == 0 {
		if firstErr != nil {
			return "", firstErr
		}
		return "false", nil // the expression never has a value
	}
	return "(" + strings.Join(parts, " OR ") + ")", nil
}

// typeError says a kind of search does not apply to a type of value; it is
// reported as an *Error.
type typeError struct{ msg string }

func (e *typeError) Error() string { return e.msg }

func (e *typeError) As(target any) bool {
	if t, ok := target.(**Error); ok {
		*t = &Error{Msg: e.msg}
		return true
	}
	return false
}

func unsupportedType(format string, args ...any) error {
	return &typeError{fmt.Sprintf(format, args...)}
}

// missing is :missing=true|false.
func (b *builder) missing(x fhirsql.SQLExpr, cl *Clause) (string, error) {
	if len(cl.Values) != 1 || (cl.Values[0].Raw != "true" && cl.Values[0].Raw != "false") {
		return "", errorf("%s:missing takes true or false", cl.Name)
	}
	var present []string
	for _, p := range x.Parts {
		present = append(present, "coalesce(len("+p.SQL+") > 0, false)")
	}
	any := "false"
	if len(present) > 0 {
		any = "(" + strings.Join(present, " OR ") + ")"
	}
	if cl.Values[0].Raw == "true" {
		return "NOT " + any, nil
	}
	return any, nil
}

func (b *builder) idClause(alias string, cl *Clause) (string, error) {
	if cl.Modifier == "missing" {
		return "false", nil
	}
	var ors []string
	for _, v := range cl.Values {
		ors = append(ors, alias+".id = "+b.arg(v.Raw))
	}
	p := "(" + strings.Join(ors, " OR ") + ")"
	if cl.Modifier == "not" {
		p = "NOT " + p
	}
	return p, nil
}

// compartment is true for resources that reference the compartment's
// owner through any of its parameters.
func (b *builder) compartment(typ string, c *Compartment) (string, error) {
	if typ == c.Type {
		return "r.id = " + b.arg(c.ID), nil
	}
	var ors []string
	for _, p := range c.Params {
		refs, err := b.refList(typ, p, "r")
		if err != nil {
			return "", err
		}
		ors = append(ors, "list_contains("+refs+", "+b.arg(c.Type+"/"+c.ID)+")")
	}
	if len(ors) == 0 {
		return "false", nil
	}
	return "(" + strings.Join(ors, " OR ") + ")", nil
}
