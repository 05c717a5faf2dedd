package search

import (
	"strings"

	"github.com/fhirlake/fhirlake/fhirflat"
	"github.com/fhirlake/fhirlake/fhirsql"
	"github.com/fhirlake/fhirlake/r4"
)

// refStrings gives the SQL of the reference strings of a part's items.
func refStrings(part fhirsql.SQLPart) (string, error) {
	switch part.Type {
	case "Reference":
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
	raw := v.Raw
	if b.base != "" && strings.HasPrefix(raw, b.base+"/") {
		raw = strings.TrimPrefix(raw, b.base+"/")
	}
	if i := strings.Index(raw, "/_history/"); i > 0 && !strings.Contains(raw, "://") {
		raw = raw[:i]
	}
	var exact, suffix []string
	switch {
	case strings.Contains(raw, "://"):
		exact = []string{raw}
	case strings.Contains(raw, "/"):
		exact, suffix = []string{raw}, []string{"/" + raw}
	default:
		typ := ""
		switch {
		case modifier != "" && modifier != "missing":
			typ = modifier
		case len(p.Targets) == 1:
			typ = p.Targets[0]
		}
		if typ != "" {
			exact, suffix = []string{typ + "/" + raw}, []string{"/" + typ + "/" + raw}
		} else {
			exact, suffix = []string{raw}, []string{"/" + raw}
		}
	}
	if modifier != "" && modifier != "missing" && strings.Contains(raw, "/") && !strings.HasPrefix(raw, modifier+"/") && !strings.Contains(raw, "://") {
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
