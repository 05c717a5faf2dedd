package search

import (
	"regexp"
	"strings"

	"github.com/fhirlake/fhirlake/fhirflat"
	"github.com/fhirlake/fhirlake/fhirpath"
	"github.com/fhirlake/fhirlake/fhirsql"
	"github.com/fhirlake/fhirlake/r4"
)

// refStrings gives the SQL of the reference strings of a part's items.
func refStrings(part fhirsql.SQLPart) (string, error) {
	switch part.Type {
	case "Reference":
		if item, ok := fhirsql.SingleItem(part.SQL); ok {
			return fhirsql.ListOf("struct_extract(" + item + ", 'reference')"), nil
		}
		return "list_transform(" + part.SQL + ", lambda _r: _r.reference)", nil
	case "canonical", "uri", "url", "string":
		return part.SQL, nil
	}
	return "", unsupportedType("reference search on %s values is not supported", part.Type)
}

// normalizedRefs maps reference strings to Type/id (dropping a base URL
// and a version).
func normalizedRefs(list string) string {
	return "list_filter(list_transform(" + list + ", lambda _n: nullif(regexp_extract(_n, '([A-Za-z]+/[A-Za-z0-9.\\-]{1,64})(/_history/[^/]*)?$', 1), '')), lambda _n: _n IS NOT NULL)"
}

// reference matches [Type/]id, an absolute URL, or a canonical URL.
func (b *builder) reference(p *r4.SearchParam, part fhirsql.SQLPart, modifier string, v Value) (string, error) {
	if modifier == "identifier" {
		if part.Type != "Reference" {
			return "", errorf(":identifier applies to Reference values, not %s", part.Type)
		}
		return b.token(fhirsql.SQLPart{SQL: "list_filter(list_transform(" + part.SQL + ", lambda _i: _i.identifier), lambda _i: _i IS NOT NULL)", Type: "Identifier"}, "", v)
	}
	refs, err := refStrings(part)
	if err != nil {
		return "", err
	}
	if part.Type != "Reference" {
		// canonical and uri references: the URL as written (with |version)
		return b.anyItem(refs, func(x string) string {
			return "(" + x + " = " + b.arg(v.Raw) + " OR starts_with(" + x + ", " + b.arg(v.Raw+"|") + "))"
		}), nil
	}
	exact, suffix, ok := b.refTargets(p, modifier, v)
	if !ok {
		return "false", nil // subject:Patient=Group/1 matches nothing
	}
	return b.anyItem(refs, func(x string) string {
		var ors []string
		for _, e := range exact {
			ors = append(ors, x+" = "+b.arg(e))
		}
		for _, s := range suffix {
			ors = append(ors, "ends_with("+x+", "+b.arg(s)+")")
		}
		return "(" + strings.Join(ors, " OR ") + ")"
	}), nil
}

// refTargets gives the reference strings a reference value matches: equal
// to one of exact, or ending with one of suffix. A typed value (Type/id,
// or an id with a type modifier or a parameter with one target) matches
// the relative reference and the absolute one on this server; an untyped
// id matches any reference ending in /id. ok is false when the value can
// match nothing (subject:Patient=Group/1).
func (b *builder) refTargets(p *r4.SearchParam, modifier string, v Value) (exact, suffix []string, ok bool) {
	raw := v.Raw
	if b.base != "" && strings.HasPrefix(raw, b.base+"/") {
		raw = strings.TrimPrefix(raw, b.base+"/")
	}
	if i := strings.Index(raw, "/_history/"); i > 0 && !strings.Contains(raw, "://") {
		raw = raw[:i]
	}
	if modifier != "" && modifier != "missing" && strings.Contains(raw, "/") && !strings.HasPrefix(raw, modifier+"/") && !strings.Contains(raw, "://") {
		return nil, nil, false
	}
	typed := func(ref string) []string {
		if b.base == "" {
			return []string{ref}
		}
		return []string{ref, b.base + "/" + ref}
	}
	switch {
	case strings.Contains(raw, "://"):
		return []string{raw}, nil, true
	case strings.Contains(raw, "/"):
		return typed(raw), nil, true
	}
	typ := ""
	switch {
	case modifier != "" && modifier != "missing":
		typ = modifier
	case len(p.Targets) == 1:
		typ = p.Targets[0]
	}
	if typ != "" {
		return typed(typ + "/" + raw), nil, true
	}
	return []string{raw}, []string{"/" + raw}, true
}

// resolveIs matches the type tests of reference search expressions.
var resolveIs = regexp.MustCompile(`\.where\(resolve\(\) is ([A-Za-z]+)\)`)

// refPrefilter is a condition every match of a reference clause meets: its
// reference string (of the parameter's expression without its
// where(resolve() is T) tests) is one of the values' exact targets. It is
// a plain IN on one column, which DuckDB applies while it scans, before
// it reads the other columns and evaluates the exact predicate. "" when
// the clause has no such condition (lists of references, untyped ids).
// sufficient says the condition is the whole clause: every target is a
// plain reference (Type/id, relative or absolute) to the type the
// expression's where(resolve() is T) asks for, so a reference equal to
// one of them passes every test of the exact predicate.
// The SQL's arguments are returned, not added to the builder's.
func (b *builder) refPrefilter(typ, alias string, cl *Clause) (sql string, args []any, sufficient, keyed bool) {
	if cl.Param.Type != "reference" || cl.Modifier == "identifier" || cl.Modifier == "missing" || cl.Modifier == "not" {
		return "", nil, false, false
	}
	src := cl.Param.ExpressionFor(typ)
	relaxed := resolveIs.ReplaceAllString(src, "")
	e, err := fhirpath.Parse(relaxed)
	if err != nil {
		return "", nil, false, false
	}
	x, err := fhirsql.CompileCollection(e, typ, b.c.b, alias)
	if err != nil {
		return "", nil, false, false
	}
	part, ok := x.Single()
	if !ok || part.Type != "Reference" {
		return "", nil, false, false
	}
	item, ok := fhirsql.SingleItem(part.SQL)
	if !ok {
		return "", nil, false, false
	}
	isType := ""
	switch tests := resolveIs.FindAllStringSubmatch(src, -1); len(tests) {
	case 0:
	case 1:
		isType = tests[0][1]
	default:
		isType = "?" // several tests: never sufficient
	}
	sufficient = cl.Modifier == "" || b.c.b.Model().IsResource(cl.Modifier)
	var targets []string
	for _, v := range cl.Values {
		exact, suffix, ok := b.refTargets(cl.Param, cl.Modifier, v)
		if len(suffix) > 0 {
			return "", nil, false, false
		}
		if ok {
			targets = append(targets, exact...)
		}
	}
	if len(targets) == 0 {
		return "", nil, false, false
	}
	for _, t := range targets {
		m := plainRef.FindStringSubmatch(t)
		if m == nil || (isType != "" && m[1] != isType) {
			sufficient = false
		}
	}
	b.fields[typ] = append(b.fields[typ], x.Fields...)
	marks := make([]string, len(targets))
	args = make([]any, len(targets))
	for i, t := range targets {
		marks[i], args[i] = "?", t
	}
	sql = "struct_extract(" + item + ", 'reference') IN (" + strings.Join(marks, ", ") + ")"
	if key := b.keyColumn(typ, alias, item); key != "" && oneKey(targets) {
		// The key first: DuckDB compares it while scanning, and reads
		// the strings only where it is equal. (It compares a column with
		// one value while scanning, not with a list: with several keys,
		// the key column would not help.)
		sql = key + " = ? AND " + sql
		args = append([]any{fhirflat.RefKey(targets[0])}, args...)
		keyed = true
	}
	return sql, args, sufficient, keyed
}

// oneKey says every reference has the same key: Patient/1 and its
// absolute forms do.
func oneKey(refs []string) bool {
	for _, r := range refs[1:] {
		if fhirflat.RefKey(r) != fhirflat.RefKey(refs[0]) {
			return false
		}
	}
	return true
}

// keyColumn is the key column (fhirflat's key.go) of the column item of
// typ's table aliased alias, or "" when the table has none for it.
func (b *builder) keyColumn(typ, alias, item string) string {
	if b.layouts == nil {
		return ""
	}
	l, err := b.layouts(typ)
	if err != nil {
		return ""
	}
	for _, n := range l.Root {
		if n.Key && item == alias+"."+fhirflat.QuoteIdent(n.Field.Name) {
			return alias + "." + fhirflat.QuoteIdent(fhirflat.KeyColumn(n.Field))
		}
	}
	return ""
}

// plainRef is a reference string to one resource, relative or absolute,
// with the type it names.
var plainRef = regexp.MustCompile(`^(?:[a-z]+://[^?#]*/)?([A-Z][A-Za-z]+)/[A-Za-z0-9\-.]{1,64}$`)

// refList gives the normalized (Type/id) references a reference
// parameter has on alias.
func (b *builder) refList(typ string, p *r4.SearchParam, alias string) (string, error) {
	x, err := b.collection(typ, p, alias)
	if err != nil {
		return "", err
	}
	var lists []string
	for _, part := range x.Parts {
		if part.Type != "Reference" {
			continue
		}
		refs, _ := refStrings(part)
		lists = append(lists, normalizedRefs(refs))
	}
	switch len(lists) {
	case 0:
		return "[]::VARCHAR[]", nil
	case 1:
		return lists[0], nil
	}
	return "list_concat(" + strings.Join(lists, ", ") + ")", nil
}

// chain is param[:Type].chained=value: the parameter's references point to
// resources of Type that match the chained parameter.
func (b *builder) chain(typ, alias string, cl *Clause) (string, error) {
	refs, err := b.refList(typ, cl.Param, alias)
	if err != nil {
		return "", err
	}
	sub := b.lambda()
	inner, err := b.clause(cl.ChainType, sub, cl.Chain)
	if err != nil {
		return "", err
	}
	target := "main." + fhirflat.QuoteIdent(fhirflat.TableName(cl.ChainType))
	return "coalesce(list_has_any(" + refs + ", (SELECT coalesce(list('" + cl.ChainType + "/' || " + sub + ".id), []) FROM " + target + " AS " + sub + " WHERE " + inner + ")), false)", nil
}

// has is _has:Type:ref:param=value: some resource of Type whose reference
// ref points to this resource matches param.
func (b *builder) has(typ, alias string, h *HasClause) (string, error) {
	sub := b.lambda()
	refs, err := b.refList(h.Type, h.Ref, sub)
	if err != nil {
		return "", err
	}
	inner, err := b.clause(h.Type, sub, h.Clause)
	if err != nil {
		return "", err
	}
	source := "main." + fhirflat.QuoteIdent(fhirflat.TableName(h.Type))
	return "('" + typ + "/' || " + alias + ".id) IN (SELECT unnest(" + refs + ") FROM " + source + " AS " + sub + " WHERE " + inner + ")", nil
}
