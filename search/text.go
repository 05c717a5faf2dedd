package search

import (
	"github.com/fhirlake/fhirlake/fhirsql"
)

// stringMatch is a string search: by default case- and accent-insensitive
// "starts with"; :exact is equality; :contains anywhere.
func (b *builder) stringMatch(part fhirsql.SQLPart, modifier string, v Value) (string, error) {
	match := func(s string) string {
		switch modifier {
		case "exact":
			return s + " = " + b.arg(v.Raw)
		case "contains":
			return "contains(strip_accents(lower(" + s + ")), strip_accents(lower(" + b.arg(v.Raw) + ")))"
		}
		return "starts_with(strip_accents(lower(" + s + ")), strip_accents(lower(" + b.arg(v.Raw) + ")))"
	}
	strs, err := stringsOf(part.Type)
	if err != nil {
		return "", err
	}
	return b.anyItem(part.SQL, func(x string) string {
		return b.anyItem(strs(x), match)
	}), nil
}

// stringsOf returns, for items of a type, the SQL of the LIST of strings
// a string search looks at.
func stringsOf(t string) (func(x string) string, error) {
	switch t {
	case "string", "markdown", "code", "uri", "url", "canonical", "id", "xhtml":
		return func(x string) string { return "[" + x + "]" }, nil
	case "HumanName":
		return func(x string) string {
			return "list_concat([" + x + ".family, " + x + ".text], coalesce(" + x + ".given, []), coalesce(" + x + ".prefix, []), coalesce(" + x + ".suffix, []))"
		}, nil
	case "Address":
		return func(x string) string {
			return "list_concat(coalesce(" + x + ".line, []), [" + x + ".city, " + x + ".district, " + x + ".state, " + x + ".postalCode, " + x + ".country, " + x + ".text])"
		}, nil
	}
	return nil, unsupportedType("string search on %s values is not supported", t)
}

// uri is a uri search: equality, :below (the value is a prefix of the
// item) or :above (the item is a prefix of the value).
func (b *builder) uri(part fhirsql.SQLPart, modifier string, v Value) (string, error) {
	switch part.Type {
	case "uri", "url", "canonical", "string", "code", "oid", "uuid":
	default:
		return "", unsupportedType("uri search on %s values is not supported", part.Type)
	}
	return b.anyItem(part.SQL, func(x string) string {
		switch modifier {
		case "below":
			return "starts_with(" + x + ", " + b.arg(v.Raw) + ")"
		case "above":
			return "starts_with(" + b.arg(v.Raw) + ", " + x + ")"
		}
		return x + " = " + b.arg(v.Raw)
	}), nil
}
