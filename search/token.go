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
	if termModifiers[modifier] {
		return b.tokenIn(part, modifier, v)
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

// tokenIn matches the codes a value stands for (Value.Codes): those of a
// value set for :in and :not-in (negated by the clause), of a hierarchy
// for :below and :above. A code element without a system matches on the
// code alone.
func (b *builder) tokenIn(part fhirsql.SQLPart, modifier string, v Value) (string, error) {
	if v.Codes == nil {
		return "", errorf(":%s is answered from the terminology stored in a data store, and needs a search run on one", modifier)
	}
	systems := v.Codes.Systems()
	coded := func(s, c string) string {
		var ors []string
		for _, sys := range systems {
			all, list := v.Codes.Codes(sys)
			cond := s + " = " + b.arg(sys)
			switch {
			case all && len(list) > 0:
				cond += " AND NOT list_contains(" + b.arg(list) + ", " + c + ")"
			case !all:
				cond += " AND list_contains(" + b.arg(list) + ", " + c + ")"
			}
			ors = append(ors, "("+cond+")")
		}
		if len(ors) == 0 {
			return "false"
		}
		return "(" + strings.Join(ors, " OR ") + ")"
	}
	switch part.Type {
	case "Coding":
		return b.anyItem(part.SQL, func(x string) string { return coded(x+".system", x+".code") }), nil
	case "CodeableConcept":
		return b.anyItem(part.SQL, func(x string) string {
			return b.anyItem(x+".coding", func(y string) string { return coded(y+".system", y+".code") })
		}), nil
	case "code", "string", "uri", "canonical", "url", "oid", "uuid", "id":
		var listed []string // the codes of every system, listed
		for _, sys := range systems {
			if all, list := v.Codes.Codes(sys); !all {
				listed = append(listed, list...)
			}
		}
		return b.anyItem(part.SQL, func(x string) string {
			var ors []string
			if len(listed) > 0 {
				ors = append(ors, "list_contains("+b.arg(listed)+", "+x+")")
			}
			for _, sys := range systems {
				switch all, except := v.Codes.Codes(sys); {
				case all && len(except) == 0:
					ors = append(ors, "true")
				case all:
					ors = append(ors, "NOT list_contains("+b.arg(except)+", "+x+")")
				}
			}
			if len(ors) == 0 {
				return "false"
			}
			return "(" + strings.Join(ors, " OR ") + ")"
		}), nil
	}
	return "", unsupportedType(":%s applies to coded values, not %s", modifier, part.Type)
}
