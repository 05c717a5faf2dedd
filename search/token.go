package search

import (
	"strings"

	"github.com/fhirlake/fhirlake/fhirsql"
)

// token matches [system]|[code], |code, system|, or code against items of
// a part (Coding, CodeableConcept, Identifier, ContactPoint, or a code,
// string, uri, id or boolean).
func (b *builder) token(part fhirsql.SQLPart, modifier string, v Value) (string, error) {
	if modifier == "text" {
		return b.tokenText(part, v)
	}
	if modifier == "of-type" {
		return b.ofType(part, v)
	}
	var sys, code *string
	if segs := splitEscaped(v.Raw, '|'); len(segs) == 2 {
		sys = &segs[0]
		if segs[1] != "" {
			code = &segs[1]
		}
	} else {
		c := strings.Join(segs, "|")
		code = &c
	}
	cond := func(s, c string) string {
		var and []string
		if sys != nil {
			if *sys == "" {
				and = append(and, s+" IS NULL")
			} else {
				and = append(and, s+" = "+b.arg(*sys))
			}
		}
		if code != nil {
			and = append(and, c+" = "+b.arg(*code))
		}
		if len(and) == 0 {
			return "true"
		}
		return strings.Join(and, " AND ")
	}
	switch part.Type {
	case "Coding":
		return b.anyItem(part.SQL, func(x string) string { return cond(x+".system", x+".code") }), nil
	case "CodeableConcept":
		return b.anyItem(part.SQL, func(x string) string {
			return b.anyItem(x+".coding", func(y string) string { return cond(y+".system", y+".code") })
		}), nil
	case "Identifier":
		return b.anyItem(part.SQL, func(x string) string { return cond(x+".system", x+".value") }), nil
	case "ContactPoint":
		return b.anyItem(part.SQL, func(x string) string { return cond(x+".system", x+".value") }), nil
	case "boolean":
		if code == nil || (*code != "true" && *code != "false") {
			return "", errorf("a boolean token is true or false, not %q", v.Raw)
		}
		return b.anyItem(part.SQL, func(x string) string { return x + " = " + *code }), nil
	case "code", "string", "uri", "id", "canonical", "url", "oid", "uuid", "markdown":
		if code == nil {
			// system| on a plain code: the code system is implied
			return b.anyItem(part.SQL, func(x string) string { return x + " IS NOT NULL" }), nil
		}
		return b.anyItem(part.SQL, func(x string) string { return x + " = " + b.arg(*code) }), nil
	}
	return "", unsupportedType("token search on %s values is not supported", part.Type)
}

// tokenText is :text: the text or display, case- and accent-insensitive.
func (b *builder) tokenText(part fhirsql.SQLPart, v Value) (string, error) {
	match := func(s string) string {
		return "contains(strip_accents(lower(" + s + ")), strip_accents(lower(" + b.arg(v.Raw) + ")))"
	}
	switch part.Type {
	case "CodeableConcept":
		return b.anyItem(part.SQL, func(x string) string {
			return "coalesce(" + match(x+".text") + ", false) OR " + b.anyItem(x+".coding", func(y string) string { return match(y + ".display") })
		}), nil
	case "Coding":
		return b.anyItem(part.SQL, func(x string) string { return match(x + ".display") }), nil
	case "Identifier":
		return b.anyItem(part.SQL, func(x string) string { return match(x + ".type.text") }), nil
	}
	return "", errorf(":text is not supported on %s values", part.Type)
}

// ofType is Identifier :of-type, system|code|value.
func (b *builder) ofType(part fhirsql.SQLPart, v Value) (string, error) {
	if part.Type != "Identifier" {
		return "", errorf(":of-type applies to Identifier values, not %s", part.Type)
	}
	segs := splitEscaped(v.Raw, '|')
	if len(segs) != 3 {
		return "", errorf(":of-type takes type-system|type-code|value, not %q", v.Raw)
	}
	return b.anyItem(part.SQL, func(x string) string {
		return b.anyItem(x+".type.coding", func(y string) string {
			return y + ".system = " + b.arg(segs[0]) + " AND " + y + ".code = " + b.arg(segs[1])
		}) + " AND " + x + ".value = " + b.arg(segs[2])
	}), nil
}
