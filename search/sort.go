package search

import (
	"strings"

	"github.com/fhirlake/fhirlake/fhirsql"
)

// order is the ORDER BY of a search: its _sort keys, then the id.
func (b *builder) order(q *Query) (string, error) {
	var keys []string
	for _, k := range q.Sort {
		dir := " ASC NULLS LAST"
		agg := "list_min"
		if k.Descending {
			dir, agg = " DESC NULLS LAST", "list_max"
		}
		switch k.Name {
		case "_id":
			keys = append(keys, "r.id"+dir)
			continue
		case "_lastUpdated":
			keys = append(keys, "r.last_updated"+dir)
			continue
		}
		x, err := b.collection(q.Type, k.Param, "r")
		if err != nil {
			return "", err
		}
		var lists []string
		var firstErr error
		for _, part := range x.Parts {
			l, err := sortValues(part, k.Param.Type, k.Descending)
			if err != nil {
				firstErr = err // a type with no order sorts as absent
				continue
			}
			lists = append(lists, l)
		}
		if len(lists) == 0 {
			if firstErr != nil {
				return "", errorf("cannot sort by %s: %v", k.Name, firstErr)
			}
			continue
		}
		list := lists[0]
		if len(lists) > 1 {
			list = "list_concat(" + strings.Join(lists, ", ") + ")"
		}
		keys = append(keys, agg+"("+list+")"+dir)
	}
	return strings.Join(append(keys, "r.id"), ", "), nil
}

// sortValues is the LIST of sortable scalars of a part's items.
func sortValues(part fhirsql.SQLPart, paramType string, desc bool) (string, error) {
	each := func(f string) string { return "list_transform(" + part.SQL + ", lambda _s: " + f + ")" }
	switch paramType {
	case "date":
		bound := "fhir_date_lo"
		if desc {
			bound = "fhir_date_hi"
		}
		switch part.Type {
		case "date", "dateTime":
			return each(bound + "(_s)"), nil
		case "instant":
			return part.SQL, nil
		case "Period":
			if desc {
				return each("fhir_date_hi(_s.\"end\")"), nil
			}
			return each("fhir_date_lo(_s.\"start\")"), nil
		case "Timing":
			return "flatten(" + each("list_transform(_s.event, lambda _t: "+bound+"(_t))") + ")", nil
		}
	case "string":
		strs, err := stringsOf(part.Type)
		if err != nil {
			return "", err
		}
		return "flatten(" + each("list_transform("+strs("_s")+", lambda _t: strip_accents(lower(_t)))") + ")", nil
	case "token":
		switch part.Type {
		case "Coding":
			return each("_s.code"), nil
		case "CodeableConcept":
			return "flatten(" + each("list_transform(_s.coding, lambda _t: _t.code)") + ")", nil
		case "Identifier", "ContactPoint":
			return each("_s.value"), nil
		case "code", "string", "uri", "id", "boolean":
			return each("CAST(_s AS VARCHAR)"), nil
		}
	case "reference":
		if part.Type == "Reference" {
			return each("_s.reference"), nil
		}
		return part.SQL, nil
	case "quantity":
		if part.Type == "integer" || part.Type == "decimal" {
			return each("CAST(_s AS DOUBLE)"), nil
		}
		return each("_s.value"), nil
	case "number":
		return each("CAST(_s AS DOUBLE)"), nil
	case "uri":
		return part.SQL, nil
	}
	return "", errorf("%s values of type %s cannot be sorted", paramType, part.Type)
}
