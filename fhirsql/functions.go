package fhirsql

import (
	"strconv"
	"strings"

	"github.com/fhirlake/fhirlake/fhirpath"
)

// Functions. Arguments that are not lambdas are evaluated against the
// caller's focus, as the Go evaluator does.

func (c *compiler) call(n *fhirpath.Call, s scope) (val, error) {
	in := s.this
	if n.Target != nil {
		var err error
		if in, err = c.compile(n.Target, s); err != nil {
			return val{}, err
		}
	}
	what := "function " + n.Name + "()"
	if in.resolved {
		switch n.Name {
		case "ofType", "as", "is":
		case "exists", "empty":
			// only references to a resource of a known type resolve
			var err error
			if in, err = c.resolvedOfType(in, &fhirpath.TypeSpecifier{Name: "Resource"}, n); err != nil {
				return val{}, err
			}
		default:
			return val{}, c.errorf(n, what, "the result of resolve() can only be tested with is, as, ofType(), exists() or empty() in SQL")
		}
	}
	switch n.Name {
	case "where":
		return c.where(in, n, s)
	case "select":
		return c.each(in, func(item val, idx string) (val, error) {
			return c.compile(n.Args[0], c.lambdaScope(s, item, idx))
		})
	case "exists", "empty":
		v := in
		if len(n.Args) == 1 {
			var err error
			if v, err = c.where(in, n, s); err != nil {
				return val{}, err
			}
		}
		e, err := c.exists(v)
		if err != nil {
			return val{}, err
		}
		if n.Name == "empty" {
			return boolVal("(NOT " + e + ")"), nil
		}
		return boolVal(e), nil
	case "all":
		return c.all(in, n, s)
	case "count":
		return c.count(in)
	case "first", "last", "single":
		return c.pick(in, n)
	case "tail", "skip", "take":
		return c.slice(in, n, s)
	case "distinct":
		if in.isPoly() || !in.many {
			return in, nil
		}
		return val{sql: c.distinct(in.sql), many: true, t: in.t}, nil
	case "isDistinct":
		if in.empty || !in.many {
			return boolVal("true"), nil
		}
		if in.isPoly() {
			return val{}, c.errorf(n, what, "the input has items of several types (%s)", in.typeNames())
		}
		return boolVal("(coalesce(len(list_distinct(" + in.sql + ")), 0) = coalesce(len(" + in.sql + "), 0))"), nil
	case "not":
		b, err := c.boolOf(in, n, what)
		if err != nil {
			return val{}, err
		}
		return boolVal("(NOT " + b + ")"), nil
	case "iif":
		return c.iif(in, n, s)
	case "union", "combine":
		other, err := c.compile(n.Args[0], s)
		if err != nil {
			return val{}, err
		}
		if n.Name == "union" {
			return c.union(in, other, n)
		}
		return c.combine(in, other, n)
	case "ofType", "as":
		ts, ok := n.Args[0].(*fhirpath.TypeSpecifier)
		if !ok {
			return val{}, c.errorf(n, what, "the argument must be a type name")
		}
		return c.ofType(in, ts, n, what)
	case "is":
		ts, ok := n.Args[0].(*fhirpath.TypeSpecifier)
		if !ok {
			return val{}, c.errorf(n, what, "the argument must be a type name")
		}
		return c.isType(in, ts, n)
	case "trace":
		return in, nil
	case "join":
		return c.join(in, n, s)
	case "extension":
		return c.extension(in, n, s)
	case "hasValue":
		if in.empty {
			return boolVal("false"), nil
		}
		if in.isPoly() || in.many || in.t.repr != scalar {
			return boolVal("false"), nil
		}
		return boolVal("(" + paren(in.sql) + " IS NOT NULL)"), nil
	case "getValue":
		if in.isPoly() || in.many || in.t.repr != scalar {
			return emptyVal(), nil
		}
		return val{sql: in.sql, t: sysType(in.t.sys)}, nil
	case "getResourceKey":
		return c.each(in, func(item val, _ string) (val, error) {
			switch {
			case item.t.repr == row:
				return val{sql: item.sql + ".id", t: sysType("String")}, nil
			case item.t.repr == jsonValue && c.model.IsResource(item.t.fhir):
				return val{sql: "json_extract_string(" + item.sql + ", '$.id')", t: sysType("String")}, nil
			}
			return val{}, c.errorf(n, what, "getResourceKey() applies to resources, got %s", item.t.typeName())
		})
	case "getReferenceKey":
		return c.referenceKey(in, n)
	case "resolve":
		return c.resolve(in, n)
	case "lowBoundary", "highBoundary":
		return c.boundary(in, n.Name == "highBoundary", n)
	case "toString":
		if in.empty {
			return in, nil
		}
		v, err := c.singleton(in, n, what)
		if err != nil {
			return val{}, err
		}
		if v.isPoly() || v.t.repr != scalar {
			return val{}, c.errorf(n, what, "toString() of %s is not supported in SQL", v.typeNames())
		}
		str, err := c.toString(v, n)
		return val{sql: str, t: sysType("String")}, err
	case "allTrue", "anyTrue", "allFalse", "anyFalse":
		return c.boolAggregate(in, n)
	}
	if f, ok := stringFunctions[n.Name]; ok {
		return c.stringFunction(in, n, s, f)
	}
	if f, ok := mathFunctions[n.Name]; ok {
		return c.mathFunction(in, n, f)
	}
	return val{}, c.errorf(n, what, "not supported in SQL")
}

// lambdaScope is the scope of a lambda argument for one item.
func (c *compiler) lambdaScope(s scope, item val, idx string) scope {
	s.this, s.index = item, idx
	return s
}

func (c *compiler) where(in val, n *fhirpath.Call, s scope) (val, error) {
	what := "function " + n.Name + "()"
	if in.resolved {
		return val{}, c.errorf(n, what, "filtering the result of resolve() is not supported in SQL")
	}
	if in.many && !in.isPoly() {
		x, i := c.lambdaVar(), c.lambdaVar()
		crit, err := c.compile(n.Args[0], c.lambdaScope(s, in.item(x), "("+i+" - 1)"))
		if err != nil {
			return val{}, err
		}
		b, err := c.condOf(crit, n.Args[0], what)
		if err != nil {
			return val{}, err
		}
		params := x
		if strings.Contains(b, i) {
			params += ", " + i
		}
		return val{sql: "list_filter(" + in.sql + ", lambda " + params + ": " + b + ")", many: true, t: in.t}, nil
	}
	return c.each(in, func(item val, idx string) (val, error) {
		crit, err := c.compile(n.Args[0], c.lambdaScope(s, item, idx))
		if err != nil {
			return val{}, err
		}
		b, err := c.condOf(crit, n.Args[0], what)
		if err != nil {
			return val{}, err
		}
		return guarded(item, b), nil
	})
}

// exists is the SQL (never NULL) of whether a collection has items.
func (c *compiler) exists(v val) (string, error) {
	switch {
	case v.empty:
		return "false", nil
	case v.isPoly():
		var parts []string
		for _, a := range v.alts {
			e, err := c.exists(a)
			if err != nil {
				return "", err
			}
			parts = append(parts, e)
		}
		return "(" + strings.Join(parts, " OR ") + ")", nil
	case v.t.repr == row:
		if v.guard != "" {
			return "coalesce(" + v.guard + ", false)", nil
		}
		return "true", nil
	case v.many:
		return "(coalesce(len(" + v.sql + "), 0) > 0)", nil
	case v.t.rowMeta != "" && v.sql == v.t.rowMeta+"."+ident("meta"):
		return "true", nil // the store serves versionId and lastUpdated
	}
	return "(" + paren(v.sql) + " IS NOT NULL)", nil
}

func (c *compiler) all(in val, n *fhirpath.Call, s scope) (val, error) {
	what := "function all()"
	if in.empty {
		return boolVal("true"), nil
	}
	if in.isPoly() || in.t.repr == row {
		return val{}, c.errorf(n, what, "all() over %s is not supported in SQL", in.typeNames())
	}
	x := c.lambdaVar()
	item := in.item(x)
	if !in.many {
		item = in
	}
	crit, err := c.compile(n.Args[0], c.lambdaScope(s, item, "0"))
	if err != nil {
		return val{}, err
	}
	b, err := c.boolOf(crit, n.Args[0], what)
	if err != nil {
		return val{}, err
	}
	if !in.many {
		return boolVal("(" + paren(in.sql) + " IS NULL OR coalesce(" + b + ", false))"), nil
	}
	return boolVal("(coalesce(len(list_filter(" + in.sql + ", lambda " + x + ": NOT coalesce(" + b + ", false))), 0) = 0)"), nil
}

func (c *compiler) count(in val) (val, error) {
	switch {
	case in.empty:
		return val{sql: "0", t: sysType("Integer")}, nil
	case in.isPoly():
		var parts []string
		for _, a := range in.alts {
			p, err := c.count(a)
			if err != nil {
				return val{}, err
			}
			parts = append(parts, p.sql)
		}
		return val{sql: "(" + strings.Join(parts, " + ") + ")", t: sysType("Integer")}, nil
	case in.t.repr == row:
		e, _ := c.exists(in)
		return val{sql: "CASE WHEN " + e + " THEN 1 ELSE 0 END", t: sysType("Integer")}, nil
	case in.many:
		return val{sql: "CAST(coalesce(len(" + in.sql + "), 0) AS INTEGER)", t: sysType("Integer")}, nil
	}
	return val{sql: "CASE WHEN " + paren(in.sql) + " IS NULL THEN 0 ELSE 1 END", t: sysType("Integer")}, nil
}

// pick is first(), last() and single().
func (c *compiler) pick(in val, n *fhirpath.Call) (val, error) {
	what := "function " + n.Name + "()"
	if in.empty || in.t.repr == row && !in.isPoly() {
		return in, nil
	}
	if in.isPoly() {
		if in.exclusive {
			for _, a := range in.alts {
				if a.many {
					return val{}, c.errorf(n, what, "the input has items of several types (%s); use ofType() first", in.typeNames())
				}
			}
			return in, nil
		}
		return val{}, c.errorf(n, what, "the input has items of several types (%s); use ofType() first", in.typeNames())
	}
	if !in.many {
		return in, nil
	}
	switch n.Name {
	case "first":
		return val{sql: paren(in.sql) + "[1]", t: in.t}, nil
	case "last":
		return val{sql: paren(in.sql) + "[-1]", t: in.t}, nil
	}
	return c.singleton(in, n, what)
}

// slice is tail(), skip(n) and take(n).
func (c *compiler) slice(in val, n *fhirpath.Call, s scope) (val, error) {
	what := "function " + n.Name + "()"
	if in.empty {
		return in, nil
	}
	if in.isPoly() || in.t.repr == row {
		return val{}, c.errorf(n, what, "%s() over %s is not supported in SQL", n.Name, in.typeNames())
	}
	count := "1"
	if n.Name != "tail" {
		arg, err := c.compile(n.Args[0], s)
		if err != nil {
			return val{}, err
		}
		if arg.empty {
			return emptyVal(), nil
		}
		if arg.many || arg.t.sys != "Integer" {
			return val{}, c.errorf(n, what, "the argument must be one integer")
		}
		count = arg.sql
	}
	list := c.list(in)
	switch n.Name {
	case "take":
		return val{sql: "CASE WHEN " + paren(count) + " <= 0 THEN NULL ELSE list_slice(" + list + ", 1, " + count + ") END", many: true, t: in.t}, nil
	}
	return val{sql: "list_slice(" + list + ", greatest(" + count + ", 0) + 1, 2147483647)", many: true, t: in.t}, nil
}

func (c *compiler) iif(in val, n *fhirpath.Call, s scope) (val, error) {
	what := "function iif()"
	if in.many || in.isPoly() {
		return val{}, c.errorf(n, what, "iif() on a collection is not supported in SQL")
	}
	sub := s
	if n.Target != nil && !in.empty {
		sub.this = in
	}
	cond, err := c.compile(n.Args[0], sub)
	if err != nil {
		return val{}, err
	}
	b, err := c.boolOf(cond, n.Args[0], what)
	if err != nil {
		return val{}, err
	}
	yes, err := c.compile(n.Args[1], sub)
	if err != nil {
		return val{}, err
	}
	no := emptyVal()
	if len(n.Args) > 2 {
		if no, err = c.compile(n.Args[2], sub); err != nil {
			return val{}, err
		}
	}
	switch {
	case yes.isPoly() || no.isPoly() || yes.t.repr == row || no.t.repr == row:
		return val{}, c.errorf(n, what, "results of several types are not supported in SQL")
	case no.empty && yes.empty:
		return yes, nil
	case no.empty:
		return val{sql: "CASE WHEN " + b + " THEN " + yes.sql + " END", many: yes.many, t: yes.t}, nil
	case yes.empty:
		return val{sql: "CASE WHEN " + b + " THEN NULL ELSE " + no.sql + " END", many: no.many, t: no.t}, nil
	}
	if !sameSQL(yes.t, no.t) {
		return val{}, c.errorf(n, what, "the results have different types (%s, %s)", yes.t.typeName(), no.t.typeName())
	}
	if yes.many != no.many {
		return val{sql: "CASE WHEN " + b + " THEN " + c.list(yes) + " ELSE " + c.list(no) + " END", many: true, t: yes.t}, nil
	}
	return val{sql: "CASE WHEN " + b + " THEN " + yes.sql + " ELSE " + no.sql + " END", many: yes.many, t: yes.t}, nil
}

// combine is combine(): the items of both, duplicates kept.
func (c *compiler) combine(l, r val, n fhirpath.Node) (val, error) {
	var out []val
	for _, a := range append(c.altsOf(l), c.altsOf(r)...) {
		if a.t.repr == row || a.resolved {
			return val{}, c.errorf(n, "function combine()", "combining %s is not supported in SQL", a.t.typeName())
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
			out = append(out, a)
		}
	}
	return polyOf(out, false), nil
}

func (c *compiler) join(in val, n *fhirpath.Call, s scope) (val, error) {
	sep := "''"
	if len(n.Args) == 1 {
		arg, err := c.compile(n.Args[0], s)
		if err != nil {
			return val{}, err
		}
		if !arg.empty {
			if arg.many || !arg.t.isString() {
				return val{}, c.errorf(n, "function join()", "the separator must be one string")
			}
			sep = arg.sql
		}
	}
	if in.empty {
		return val{sql: "''", t: sysType("String")}, nil
	}
	if in.isPoly() || !in.t.isString() {
		return val{}, c.errorf(n, "function join()", "join() needs strings, got %s", in.typeNames())
	}
	return val{sql: "coalesce(array_to_string(" + c.list(in) + ", " + sep + "), '')", t: sysType("String")}, nil
}

// extension(url): the extensions (JSON by design) with that url.
func (c *compiler) extension(in val, n *fhirpath.Call, s scope) (val, error) {
	arg, err := c.compile(n.Args[0], s)
	if err != nil {
		return val{}, err
	}
	if arg.empty {
		return emptyVal(), nil
	}
	if arg.many || arg.isPoly() || !arg.t.isString() {
		return val{}, c.errorf(n, "function extension()", "the url must be one string")
	}
	exts, err := c.child(in, "extension", n)
	if err != nil {
		return val{}, err
	}
	if exts.empty {
		return exts, nil
	}
	y := c.lambdaVar()
	cond := "json_extract_string(" + y + ", '$.url') = " + arg.sql
	if exts.many {
		return val{sql: "list_filter(" + exts.sql + ", lambda " + y + ": " + cond + ")", many: true, t: exts.t}, nil
	}
	return val{sql: "list_filter([" + exts.sql + "], lambda " + y + ": " + cond + ")", many: true, t: exts.t}, nil
}

// referenceOf is the reference string and type of a Reference item.
func (c *compiler) referenceOf(item val) (ref, typ string, ok bool) {
	switch {
	case item.t.repr == structured && item.t.fhir == "Reference":
		return paren(item.sql) + ".reference", paren(item.sql) + "." + ident("type"), true
	case item.t.repr == jsonValue && item.t.fhir == "Reference":
		return "json_extract_string(" + item.sql + ", '$.reference')", "json_extract_string(" + item.sql + ", '$.type')", true
	}
	return "", "", false
}

func (c *compiler) referenceKey(in val, n *fhirpath.Call) (val, error) {
	what := "function getReferenceKey()"
	want := ""
	if len(n.Args) == 1 {
		ts, ok := n.Args[0].(*fhirpath.TypeSpecifier)
		if !ok || !c.model.IsResource(ts.Name) {
			return val{}, c.errorf(n, what, "the argument must be a resource type")
		}
		want = ts.Name
	}
	return c.each(in, func(item val, _ string) (val, error) {
		ref, typ, ok := c.referenceOf(item)
		if !ok {
			return val{}, c.errorf(n, what, "getReferenceKey() applies to References, got %s", item.t.typeName())
		}
		urnOK := "true"
		if want != "" {
			urnOK = typ + " = " + quote(want)
		}
		fast := ""
		if want != "" {
			// the common Type/id, without a regular expression
			n := itoa(len(want) + 2)
			fast = " WHEN starts_with(" + ref + ", " + quote(want+"/") + ") AND strpos(substr(" + ref + ", " + n + "), '/') = 0 THEN nullif(substr(" + ref + ", " + n + "), '')"
		}
		return val{sql: "CASE WHEN " + ref + " IS NULL OR starts_with(" + ref + ", '#') OR contains(" + ref + ", '?') THEN NULL" + fast +
			" WHEN starts_with(" + ref + ", 'urn:uuid:') THEN CASE WHEN " + urnOK + " THEN nullif(substr(" + ref + ", 10), '') END" +
			" WHEN starts_with(" + ref + ", 'urn:oid:') THEN CASE WHEN " + urnOK + " THEN nullif(substr(" + ref + ", 9), '') END" +
			" ELSE nullif(regexp_extract(" + ref + ", " + quote(c.referencePattern(want)) + ", 2), '') END", t: sysType("String")}, nil
	})
}

// referencePattern matches a literal reference to a resource of type want
// (any resource type when empty), as fhirpath.ReferenceKey reads it:
// group 1 is the type, group 2 the id.
func (c *compiler) referencePattern(want string) string {
	types := want
	if want == "" {
		types = strings.Join(c.model.ResourceTypes(), "|")
	}
	return "^(?:.*/)?(" + types + ")/([^/]+)(?:/_history/[^/]+)?/?$"
}

// resolve() keeps the reference strings; is, as and ofType() then test
// the type they name.
func (c *compiler) resolve(in val, n *fhirpath.Call) (val, error) {
	r, err := c.each(in, func(item val, _ string) (val, error) {
		if ref, _, ok := c.referenceOf(item); ok {
			return val{sql: ref, t: sysType("String")}, nil
		}
		if item.t.repr == scalar && item.t.isString() {
			return val{sql: item.sql, t: sysType("String")}, nil
		}
		return val{}, c.errorf(n, "function resolve()", "resolve() applies to References, canonicals and uris, got %s", item.t.typeName())
	})
	if err != nil || r.empty {
		return r, err
	}
	r.resolved = true
	return r, nil
}

// resolvedOfType keeps the references to resources of a type.
func (c *compiler) resolvedOfType(v val, ts *fhirpath.TypeSpecifier, n fhirpath.Node) (val, error) {
	if v.empty {
		return v, nil
	}
	want := ts.Name
	switch {
	case want == "Resource" || want == "DomainResource" && ts.Namespace != "System":
		if want == "DomainResource" {
			return val{}, c.errorf(n, "type DomainResource", "testing a reference for DomainResource is not supported in SQL")
		}
		want = ""
	case !c.model.IsResource(want):
		return emptyVal(), nil
	}
	cond := func(ref string) string {
		re := "regexp_matches(" + ref + ", " + quote(c.referencePattern(want)) + ")"
		if want != "" {
			// the common Type/id, without a regular expression
			n := itoa(len(want) + 2)
			re = "CASE WHEN starts_with(" + ref + ", " + quote(want+"/") + ") AND strpos(substr(" + ref + ", " + n + "), '/') = 0 THEN length(" + ref + ") >= " + n + " ELSE " + re + " END"
		}
		return "(NOT starts_with(" + ref + ", '#') AND NOT contains(" + ref + ", '?') AND " + re + ")"
	}
	if v.many {
		y := c.lambdaVar()
		return val{sql: "list_filter(" + v.sql + ", lambda " + y + ": " + cond(y) + ")", many: true, t: v.t, resolved: true}, nil
	}
	return val{sql: "CASE WHEN " + cond(v.sql) + " THEN " + v.sql + " END", t: v.t, resolved: true}, nil
}

// toString is the FHIRPath string form of a single primitive.
func (c *compiler) toString(v val, n fhirpath.Node) (string, error) {
	x := paren(v.sql)
	switch {
	case v.t.isString() || v.t.sys == "Date" || v.t.sys == "Time" || v.t.sys == "DateTime" && !v.t.isInstant():
		return v.sql, nil
	case v.t.sys == "Boolean", v.t.sys == "Integer", v.t.sys == "Long":
		return "CAST(" + v.sql + " AS VARCHAR)", nil
	case v.t.sys == "Decimal":
		s := "CASE WHEN " + x + " = trunc(" + x + ") AND abs(" + x + ") < 1e15 THEN CAST(CAST(" + x + " AS BIGINT) AS VARCHAR) ELSE CAST(" + x + " AS VARCHAR) END"
		if v.prim != "" {
			s = "coalesce(" + v.prim + ", " + s + ")"
		}
		return s, nil
	case v.t.isInstant():
		s := "regexp_replace(strftime(" + x + " AT TIME ZONE 'UTC', " + keyFormat + "), '\\.?0+$', '') || 'Z'"
		if v.prim != "" {
			s = "coalesce(" + v.prim + ", " + s + ")"
		}
		return s, nil
	}
	return "", c.errorf(n, "function toString()", "toString() of %s is not supported in SQL", v.t.typeName())
}

func (c *compiler) boolAggregate(in val, n *fhirpath.Call) (val, error) {
	what := "function " + n.Name + "()"
	if in.empty {
		return boolVal(boolLit(n.Name == "allTrue" || n.Name == "allFalse")), nil
	}
	if in.isPoly() {
		return val{}, c.errorf(n, what, "%s() needs Booleans, got %s", n.Name, in.typeNames())
	}
	l := c.list(in)
	if in.t.sys != "Boolean" {
		// an error unless empty, as the Go evaluator
		e, _ := c.exists(in)
		msg := "fhirsql: " + what + ": needs Booleans, got " + in.t.typeName()
		return boolVal("CASE WHEN " + e + " THEN error(" + quote(msg) + ") ELSE " + boolLit(n.Name == "allTrue" || n.Name == "allFalse") + " END"), nil
	}
	y := c.lambdaVar()
	switch n.Name {
	case "allTrue":
		return boolVal("(coalesce(len(list_filter(" + l + ", lambda " + y + ": NOT " + y + ")), 0) = 0)"), nil
	case "allFalse":
		return boolVal("(coalesce(len(list_filter(" + l + ", lambda " + y + ": " + y + ")), 0) = 0)"), nil
	case "anyTrue":
		return boolVal("(coalesce(len(list_filter(" + l + ", lambda " + y + ": " + y + ")), 0) > 0)"), nil
	}
	return boolVal("(coalesce(len(list_filter(" + l + ", lambda " + y + ": NOT " + y + ")), 0) > 0)"), nil
}

// String functions on a single string input.

type stringFunction struct {
	args   []string // System types of the arguments
	result string   // System type of the result
	sql    func(in string, args []string) string
}

var stringFunctions = map[string]stringFunction{
	"startsWith": {[]string{"String"}, "Boolean", func(in string, a []string) string { return "starts_with(" + in + ", " + a[0] + ")" }},
	"endsWith":   {[]string{"String"}, "Boolean", func(in string, a []string) string { return "ends_with(" + in + ", " + a[0] + ")" }},
	"contains":   {[]string{"String"}, "Boolean", func(in string, a []string) string { return "contains(" + in + ", " + a[0] + ")" }},
	"upper":      {nil, "String", func(in string, _ []string) string { return "upper(" + in + ")" }},
	"lower":      {nil, "String", func(in string, _ []string) string { return "lower(" + in + ")" }},
	"trim":       {nil, "String", func(in string, _ []string) string { return "trim(" + in + ")" }},
	"length":     {nil, "Integer", func(in string, _ []string) string { return "CAST(length(" + in + ") AS INTEGER)" }},
	"indexOf": {[]string{"String"}, "Integer", func(in string, a []string) string {
		return "CASE WHEN " + a[0] + " = '' THEN 0 ELSE CAST(strpos(" + in + ", " + a[0] + ") - 1 AS INTEGER) END"
	}},
	"replace": {[]string{"String", "String"}, "String", func(in string, a []string) string {
		return "replace(" + in + ", " + a[0] + ", " + a[1] + ")"
	}},
	"matches": {[]string{"String"}, "Boolean", func(in string, a []string) string {
		return "regexp_matches(" + in + ", " + a[0] + ", 's')"
	}},
	"replaceMatches": {[]string{"String", "String"}, "String", func(in string, a []string) string {
		return "regexp_replace(" + in + ", " + a[0] + ", " + a[1] + ", 'g')"
	}},
	"substring": {[]string{"Integer", "Integer"}, "String", func(in string, a []string) string {
		start := "CASE WHEN " + a[0] + " < 0 OR " + a[0] + " >= length(" + in + ") THEN NULL ELSE " + a[0] + " + 1 END"
		if len(a) == 1 {
			return "substr(" + in + ", " + start + ")"
		}
		return "substr(" + in + ", " + start + ", greatest(" + a[1] + ", 0))"
	}},
}

func (c *compiler) stringFunction(in val, n *fhirpath.Call, s scope, f stringFunction) (val, error) {
	what := "function " + n.Name + "()"
	min := len(f.args)
	if n.Name == "substring" {
		min = 1
	}
	if len(n.Args) < min || len(n.Args) > len(f.args) {
		return val{}, c.errorf(n, what, "expected %d arguments, got %d", len(f.args), len(n.Args))
	}
	var args []string
	for i, a := range n.Args {
		v, err := c.compile(a, s)
		if err != nil {
			return val{}, err
		}
		if v.empty {
			return emptyVal(), nil
		}
		if v.many || v.isPoly() || v.t.sys != f.args[i] {
			return val{}, c.errorf(a, what, "argument %d must be one %s", i+1, f.args[i])
		}
		args = append(args, v.sql)
	}
	if in.empty {
		return in, nil
	}
	in, err := c.singleton(in, n, what)
	if err != nil {
		return val{}, err
	}
	if in.isPoly() || !in.t.isString() {
		return val{}, c.errorf(n, what, "%s() needs a string, got %s", n.Name, in.typeNames())
	}
	return val{sql: f.sql(in.sql, args), t: sysType(f.result)}, nil
}

// Math functions on a single number.

var mathFunctions = map[string]func(x string) (sql, result string){
	"abs":      func(x string) (string, string) { return "abs(" + x + ")", "" },
	"ceiling":  func(x string) (string, string) { return "CAST(ceil(" + x + ") AS INTEGER)", "Integer" },
	"floor":    func(x string) (string, string) { return "CAST(floor(" + x + ") AS INTEGER)", "Integer" },
	"truncate": func(x string) (string, string) { return "CAST(trunc(" + x + ") AS INTEGER)", "Integer" },
	"sqrt": func(x string) (string, string) {
		return "CASE WHEN " + x + " < 0 THEN NULL ELSE sqrt(" + x + ") END", "Decimal"
	},
	"exp": func(x string) (string, string) { return "exp(" + x + ")", "Decimal" },
	"ln": func(x string) (string, string) {
		return "CASE WHEN " + x + " <= 0 THEN NULL ELSE ln(" + x + ") END", "Decimal"
	},
	"round": func(x string) (string, string) { return "round(CAST(" + x + " AS DOUBLE))", "Decimal" },
}

func (c *compiler) mathFunction(in val, n *fhirpath.Call, f func(string) (string, string)) (val, error) {
	what := "function " + n.Name + "()"
	if len(n.Args) > 0 {
		return val{}, c.errorf(n, what, "arguments are not supported in SQL")
	}
	if in.empty {
		return in, nil
	}
	in, err := c.singleton(in, n, what)
	if err != nil {
		return val{}, err
	}
	if in.isPoly() || !in.t.isNumber() {
		return val{}, c.errorf(n, what, "%s() needs a number, got %s", n.Name, in.typeNames())
	}
	sql, result := f(paren(in.sql))
	if result == "" {
		result = in.t.sys
	}
	return val{sql: sql, t: sysType(result)}, nil
}

func itoa(i int) string { return strconv.Itoa(i) }
