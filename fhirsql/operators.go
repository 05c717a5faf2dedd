package fhirsql

import (
	"strings"

	"github.com/fhirlake/fhirlake/fhirpath"
)

// Operators: boolean logic, equality, comparison, arithmetic, union,
// membership and string concatenation.

var nullBool = val{sql: "CAST(NULL AS BOOLEAN)", t: sysType("Boolean")}

func boolVal(sql string) val { return val{sql: sql, t: sysType("Boolean")} }

func (c *compiler) binary(n *fhirpath.Binary, s scope) (val, error) {
	l, err := c.compile(n.Left, s)
	if err != nil {
		return val{}, err
	}
	r, err := c.compile(n.Right, s)
	if err != nil {
		return val{}, err
	}
	what := "operator " + n.Op
	switch n.Op {
	case "and", "or", "xor", "implies":
		a, err := c.boolOf(l, n.Left, what)
		if err != nil {
			return val{}, err
		}
		b, err := c.boolOf(r, n.Right, what)
		if err != nil {
			return val{}, err
		}
		switch n.Op {
		case "and":
			return boolVal("(" + a + " AND " + b + ")"), nil
		case "or":
			return boolVal("(" + a + " OR " + b + ")"), nil
		case "xor":
			return boolVal("(" + a + " <> " + b + ")"), nil
		}
		return boolVal("((NOT " + a + ") OR " + b + ")"), nil
	case "=", "!=":
		return c.equality(l, r, n.Op == "!=", n)
	case "~", "!~":
		return c.equivalence(l, r, n.Op == "!~", n)
	case "<", "<=", ">", ">=":
		return c.comparison(l, r, n.Op, n)
	case "|":
		return c.union(l, r, n)
	case "in", "contains":
		item, coll := l, r
		itemNode := n.Left
		if n.Op == "contains" {
			item, coll, itemNode = r, l, n.Right
		}
		return c.membership(item, coll, itemNode, what)
	case "&":
		a, err := c.concatOperand(l, n.Left)
		if err != nil {
			return val{}, err
		}
		b, err := c.concatOperand(r, n.Right)
		if err != nil {
			return val{}, err
		}
		return val{sql: "(" + a + " || " + b + ")", t: sysType("String")}, nil
	}
	return c.arithmetic(l, r, n)
}

// boolOf is the singleton evaluation of a collection as a Boolean: empty
// is NULL, a Boolean is its value, any other single item is true.
func (c *compiler) boolOf(v val, n fhirpath.Node, what string) (string, error) {
	if v.empty {
		return nullBool.sql, nil
	}
	if v.isPoly() {
		e, err := c.exists(v)
		if err != nil {
			return "", err
		}
		if !v.exclusive {
			return "", c.errorf(n, what, "needs a single item, but the collection holds items of several types (%s)", v.typeNames())
		}
		// one item of some type: true when there is one
		return "CASE WHEN " + e + " THEN true END", nil
	}
	if v.t.repr == row {
		if v.guard != "" {
			return "CASE WHEN " + v.guard + " THEN true END", nil
		}
		return "true", nil
	}
	v, err := c.singleton(v, n, what)
	if err != nil {
		return "", err
	}
	if v.t.sys == "Boolean" {
		return v.sql, nil
	}
	return "CASE WHEN " + paren(v.sql) + " IS NOT NULL THEN true END", nil
}

// condOf is a condition that holds exactly when the collection is true
// (for filters, where NULL and false are alike); it may be cheaper than
// boolOf.
func (c *compiler) condOf(v val, n fhirpath.Node, what string) (string, error) {
	if v.cond != "" {
		return v.cond, nil
	}
	return c.boolOf(v, n, what)
}

// kind classifies scalar items for equality and comparison.
func kind(t itemType) string {
	switch {
	case t.repr != scalar:
		if t.repr == structured || t.repr == jsonValue {
			return "complex"
		}
		return "row"
	case t.isString():
		return "string"
	case t.isNumber():
		return "number"
	case t.sys == "Boolean":
		return "boolean"
	case t.sys == "Time":
		return "time"
	case t.isTemporal():
		return "datetime"
	}
	return "other"
}

func (c *compiler) equality(l, r val, negate bool, n *fhirpath.Binary) (val, error) {
	what := "operator " + n.Op
	if l.empty || r.empty {
		return nullBool, nil
	}
	if l.resolved || r.resolved {
		return val{}, c.errorf(n, what, "the result of resolve() can only be tested with is or ofType()")
	}
	if l.isPoly() || r.isPoly() {
		return c.polyEquality(l, r, negate, n)
	}
	if l.many || r.many {
		if l.many && r.many {
			if !sameSQL(l.t, r.t) || kind(l.t) == "datetime" || kind(l.t) == "time" {
				return val{}, c.errorf(n, what, "comparing two collections of %s and %s is not supported in SQL", l.t.typeName(), r.t.typeName())
			}
			op := "="
			if negate {
				op = "<>"
			}
			return boolVal("CASE WHEN coalesce(len(" + l.sql + "), 0) = 0 OR coalesce(len(" + r.sql + "), 0) = 0 THEN NULL WHEN len(" + l.sql + ") <> len(" + r.sql + ") THEN " + boolLit(negate) + " ELSE " + paren(l.sql) + " " + op + " " + paren(r.sql) + " END"), nil
		}
		// a collection equals a single item only when it holds one item
		coll, one, left := l, r, true
		if r.many {
			coll, one, left = r, l, false
		}
		first := coll.item(paren(coll.sql) + "[1]")
		var eq val
		var err error
		if left {
			eq, err = c.scalarEquality(first, one, negate, n)
		} else {
			eq, err = c.scalarEquality(one, first, negate, n)
		}
		if err != nil {
			return val{}, err
		}
		return boolVal("CASE WHEN coalesce(len(" + coll.sql + "), 0) = 0 OR " + paren(one.sql) + " IS NULL THEN NULL WHEN len(" + coll.sql + ") <> 1 THEN " + boolLit(negate) + " ELSE " + eq.sql + " END"), nil
	}
	return c.scalarEquality(l, r, negate, n)
}

func boolLit(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// polyEquality compares a value[x] (one item of one of several types)
// with a value: items of another type are not equal.
func (c *compiler) polyEquality(l, r val, negate bool, n *fhirpath.Binary) (val, error) {
	what := "operator " + n.Op
	if l.isPoly() && r.isPoly() {
		return val{}, c.errorf(n, what, "comparing two collections of several types (%s and %s) is not supported in SQL", l.typeNames(), r.typeNames())
	}
	p, other, left := l, r, true
	if r.isPoly() {
		p, other, left = r, l, false
	}
	if !p.exclusive {
		return val{}, c.errorf(n, what, "needs a single item, but the collection holds items of several types (%s)", p.typeNames())
	}
	other, err := c.singleton(other, n, what)
	if err != nil {
		return val{}, err
	}
	var b strings.Builder
	b.WriteString("CASE WHEN " + paren(other.sql) + " IS NULL THEN NULL")
	for _, a := range p.alts {
		if a.many {
			return val{}, c.errorf(n, what, "needs a single item, got a collection of %s", a.t.typeName())
		}
		var eq val
		if left {
			eq, err = c.scalarEquality(a, other, negate, n)
		} else {
			eq, err = c.scalarEquality(other, a, negate, n)
		}
		if err != nil {
			return val{}, err
		}
		b.WriteString(" WHEN " + paren(a.sql) + " IS NOT NULL THEN " + eq.sql)
	}
	b.WriteString(" END")
	return boolVal(b.String()), nil
}

// scalarEquality compares two single items.
func (c *compiler) scalarEquality(l, r val, negate bool, n *fhirpath.Binary) (val, error) {
	op := "="
	if negate {
		op = "<>"
	}
	kl, kr := kind(l.t), kind(r.t)
	switch {
	case kl == "row" || kr == "row":
		return val{}, c.errorf(n, "operator "+n.Op, "comparing resources is not supported in SQL")
	case kl == "datetime" && kr == "datetime", kl == "time" && kr == "time":
		return boolVal(c.temporalCompare(l, r, op)), nil
	case kl == kr && kl != "complex" && kl != "other":
		return boolVal("(" + paren(l.sql) + " " + op + " " + paren(r.sql) + ")"), nil
	case kl == "complex" && kr == "complex":
		if l.t.repr != r.t.repr || !sameSQL(l.t, r.t) {
			return val{}, c.errorf(n, "operator "+n.Op, "comparing %s with %s is not supported in SQL", l.t.typeName(), r.t.typeName())
		}
		return boolVal("(" + paren(l.sql) + " " + op + " " + paren(r.sql) + ")"), nil
	}
	// items of different kinds are never equal
	return boolVal("CASE WHEN " + paren(l.sql) + " IS NOT NULL AND " + paren(r.sql) + " IS NOT NULL THEN " + boolLit(negate) + " END"), nil
}

// equivalence is ~: empty ~ empty is true, collections of different
// sizes are not equivalent; strings compare ignoring case and collapsing
// white space.
func (c *compiler) equivalence(l, r val, negate bool, n *fhirpath.Binary) (val, error) {
	what := "operator " + n.Op
	if l.isPoly() || r.isPoly() || l.resolved || r.resolved || l.t.repr == row || r.t.repr == row {
		return val{}, c.errorf(n, what, "operands of several types are not supported in SQL")
	}
	if l.many && r.many {
		return val{}, c.errorf(n, what, "equivalence of two collections is not supported in SQL; compare with a single item")
	}
	if l.empty && r.empty {
		return boolVal(boolLit(!negate)), nil
	}
	// the size and first item of each side
	side := func(v val) (count, first string) {
		switch {
		case v.empty:
			return "0", "NULL"
		case v.many:
			return "coalesce(len(" + v.sql + "), 0)", paren(v.sql) + "[1]"
		}
		return "CASE WHEN " + paren(v.sql) + " IS NULL THEN 0 ELSE 1 END", v.sql
	}
	cl, a := side(l)
	cr, b := side(r)
	var eq string
	if l.empty || r.empty {
		eq = "false"
	} else {
		kl, kr := kind(l.t), kind(r.t)
		switch {
		case kl == "string" && kr == "string":
			norm := func(s string) string { return "lower(trim(regexp_replace(" + s + ", '\\s+', ' ', 'g')))" }
			eq = "(" + norm(a) + " = " + norm(b) + ")"
		case kl == "number" && kr == "number", kl == kr && kl == "boolean":
			eq = "(" + paren(a) + " = " + paren(b) + ")"
		case (kl == "datetime" && kr == "datetime") || (kl == "time" && kr == "time"):
			lv, rv := l, r
			lv.sql, lv.many, rv.sql, rv.many = a, false, b, false
			eq = "coalesce(" + c.temporalCompare(lv, rv, "=") + ", false)"
		default:
			eq = "false"
		}
	}
	res := "CASE WHEN " + cl + " = 0 AND " + cr + " = 0 THEN true WHEN " + cl + " <> " + cr + " THEN false ELSE " + eq + " END"
	if negate {
		return boolVal("(NOT " + res + ")"), nil
	}
	return boolVal(res), nil
}

func (c *compiler) comparison(l, r val, op string, n *fhirpath.Binary) (val, error) {
	what := "operator " + op
	if l.empty || r.empty {
		return nullBool, nil
	}
	var err error
	if l, err = c.singleton(l, n.Left, what); err != nil {
		return val{}, err
	}
	if r, err = c.singleton(r, n.Right, what); err != nil {
		return val{}, err
	}
	if l.isPoly() || r.isPoly() {
		return val{}, c.errorf(n, what, "the operands have several possible types (%s, %s); use ofType()", l.typeNames(), r.typeNames())
	}
	kl, kr := kind(l.t), kind(r.t)
	switch {
	case kl == "string" && kr == "string", kl == "number" && kr == "number":
		return boolVal("(" + paren(l.sql) + " " + op + " " + paren(r.sql) + ")"), nil
	case kl == "datetime" && kr == "datetime", kl == "time" && kr == "time":
		return boolVal(c.temporalCompare(l, r, op)), nil
	}
	return val{}, c.errorf(n, what, "cannot compare %s with %s in SQL", l.t.typeName(), r.t.typeName())
}

func (c *compiler) arithmetic(l, r val, n *fhirpath.Binary) (val, error) {
	what := "operator " + n.Op
	if l.empty || r.empty {
		return emptyVal(), nil
	}
	var err error
	if l, err = c.singleton(l, n.Left, what); err != nil {
		return val{}, err
	}
	if r, err = c.singleton(r, n.Right, what); err != nil {
		return val{}, err
	}
	if l.isPoly() || r.isPoly() {
		return val{}, c.errorf(n, what, "the operands have several possible types (%s, %s); use ofType()", l.typeNames(), r.typeNames())
	}
	a, b := paren(l.sql), paren(r.sql)
	if n.Op == "+" && l.t.isString() && r.t.isString() {
		return val{sql: "(" + a + " || " + b + ")", t: sysType("String")}, nil
	}
	if !l.t.isNumber() || !r.t.isNumber() {
		return val{}, c.errorf(n, what, "arithmetic on %s and %s is not supported in SQL (numbers only)", l.t.typeName(), r.t.typeName())
	}
	result := "Decimal"
	if l.t.sys != "Decimal" && r.t.sys != "Decimal" {
		result = "Integer"
		if l.t.sys == "Long" || r.t.sys == "Long" {
			result = "Long"
		}
	}
	switch n.Op {
	case "+", "-", "*":
		return val{sql: "(" + a + " " + n.Op + " " + b + ")", t: sysType(result)}, nil
	case "/":
		return val{sql: "CASE WHEN " + b + " = 0 THEN NULL ELSE CAST(" + a + " AS DOUBLE) / " + b + " END", t: sysType("Decimal")}, nil
	case "div":
		if result == "Decimal" {
			return val{sql: "CASE WHEN " + b + " = 0 THEN NULL ELSE CAST(trunc(" + a + " / " + b + ") AS INTEGER) END", t: sysType("Integer")}, nil
		}
		return val{sql: "CASE WHEN " + b + " = 0 THEN NULL ELSE " + a + " // " + b + " END", t: sysType(result)}, nil
	case "mod":
		return val{sql: "CASE WHEN " + b + " = 0 THEN NULL ELSE " + a + " % " + b + " END", t: sysType(result)}, nil
	}
	return val{}, c.errorf(n, what, "unknown operator")
}

// union is |: the items of both, without duplicates.
func (c *compiler) union(l, r val, n fhirpath.Node) (val, error) {
	if l.resolved || r.resolved {
		return val{}, c.errorf(n, "operator |", "the result of resolve() can only be tested with is or ofType()")
	}
	alts := append(c.altsOf(l), c.altsOf(r)...)
	// merge the alternatives of the same type
	var out []val
	for _, a := range alts {
		if a.t.repr == row {
			// the resource itself: its own part (Observation | Observation.component)
			dup := false
			for _, o := range out {
				dup = dup || o.t.repr == row
			}
			if !dup {
				out = append(out, a)
			}
			continue
		}
		merged := false
		for i, o := range out {
			if o.t.typeName() == a.t.typeName() && sameSQL(o.t, a.t) {
				out[i] = val{sql: "list_concat(" + c.list(o) + ", " + c.list(a) + ")", many: true, t: o.t}
				merged = true
				break
			}
		}
		if !merged {
			out = append(out, val{sql: c.list(a), many: true, t: a.t})
		}
	}
	for i, o := range out {
		if o.t.repr != row {
			out[i].sql = c.distinct(o.sql)
		}
	}
	return polyOf(out, false), nil
}

// altsOf lists the typed parts of a collection.
func (c *compiler) altsOf(v val) []val {
	switch {
	case v.empty:
		return nil
	case v.isPoly():
		return v.alts
	}
	return []val{v}
}

// distinct removes duplicates from a list, keeping the first of each when
// the order matters.
func (c *compiler) distinct(list string) string {
	if !c.ordered {
		return "list_distinct(" + list + ")"
	}
	x, i := c.lambdaVar(), c.lambdaVar()
	l := c.lambdaVar()
	// list_position finds the first equal item
	return "list_transform([" + list + "], lambda " + l + ": list_filter(" + l + ", lambda " + x + ", " + i + ": list_position(" + l + ", " + x + ") = " + i + "))[1]"
}

func (c *compiler) membership(item, coll val, n fhirpath.Node, what string) (val, error) {
	if item.empty {
		return nullBool, nil
	}
	item, err := c.singleton(item, n, what)
	if err != nil {
		return val{}, err
	}
	if item.isPoly() && coll.empty {
		return val{}, c.errorf(n, what, "operands of several types (%s) are not supported in SQL", item.typeNames())
	}
	if coll.empty {
		return boolVal("CASE WHEN " + paren(item.sql) + " IS NOT NULL THEN false END"), nil
	}
	if item.isPoly() || coll.isPoly() {
		return val{}, c.errorf(n, what, "operands of several types (%s, %s) are not supported in SQL", item.typeNames(), coll.typeNames())
	}
	if kind(item.t) != kind(coll.t) || kind(item.t) == "datetime" || kind(item.t) == "time" || item.t.repr == row {
		return val{}, c.errorf(n, what, "membership of %s in %s is not supported in SQL", item.t.typeName(), coll.t.typeName())
	}
	return boolVal("CASE WHEN " + paren(item.sql) + " IS NOT NULL THEN coalesce(list_contains(" + c.list(coll) + ", " + item.sql + "), false) END"), nil
}

// concatOperand is an operand of &: empty is the empty string.
func (c *compiler) concatOperand(v val, n fhirpath.Node) (string, error) {
	if v.empty {
		return "''", nil
	}
	v, err := c.singleton(v, n, "operator &")
	if err != nil {
		return "", err
	}
	if v.isPoly() || v.t.repr != scalar {
		return "", c.errorf(n, "operator &", "cannot concatenate %s", v.typeNames())
	}
	s, err := c.toString(v, n)
	if err != nil {
		return "", err
	}
	return "coalesce(" + s + ", '')", nil
}
