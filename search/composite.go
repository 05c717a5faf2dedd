package search

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/fhirlake/fhirlake/fhirpath"
	"github.com/fhirlake/fhirlake/fhirsql"
)

// composite matches a composite parameter (code-value-quantity=
// http://loinc.org|8480-6$gt100): every component must match on the same
// item of the parameter's base. The search is written as a FHIRPath
// expression, base.where(component matches and ...), and compiled to SQL
// like any parameter expression; values are quoted as FHIRPath literals.
func (b *builder) composite(typ, alias string, cl *Clause) (string, error) {
	p := cl.Param
	base := p.ExpressionFor(typ)
	if base == "" || len(p.Components) == 0 {
		return "", errorf("the composite parameter %s has no expression for %s", p.Code, typ)
	}
	var ors []string
	for _, v := range cl.Values {
		vals := splitEscaped(v.Raw, '$')
		if len(vals) != len(p.Components) {
			return "", errorf("%s takes %d values joined by $, not %q", cl.Name, len(p.Components), v.Raw)
		}
		var conds []string
		for i, comp := range p.Components {
			def := b.c.m.SearchParamByURL(comp.Definition)
			if def == nil {
				return "", errorf("component %d of %s is not a known search parameter", i, cl.Name)
			}
			itemType, err := b.componentType(typ, base, comp.Expression)
			if err != nil {
				return "", err
			}
			val := vals[i]
			prefix := "eq"
			if hasPrefixes(def.Type) {
				prefix, val = splitPrefix(val)
			}
			cond, err := componentCond(def.Type, itemType, prefix, val)
			if err != nil {
				return "", fmt.Errorf("%s: %w", cl.Name, err)
			}
			conds = append(conds, "("+comp.Expression+").where("+cond+").exists()")
		}
		src := "(" + base + ").where(" + strings.Join(conds, " and ") + ")"
		e, err := fhirpath.Parse(src)
		if err != nil {
			return "", errorf("%s: %v", cl.Name, err)
		}
		x, err := fhirsql.CompileCollection(e, typ, b.c.b, alias)
		if err != nil {
			return "", errorf("%s cannot be run in SQL: %v", cl.Name, err)
		}
		b.fields[typ] = append(b.fields[typ], x.Fields...)
		var any []string
		for _, part := range x.Parts {
			any = append(any, "coalesce(len("+part.SQL+") > 0, false)")
		}
		if len(any) == 0 {
			any = []string{"false"}
		}
		ors = append(ors, "("+strings.Join(any, " OR ")+")")
	}
	return "(" + strings.Join(ors, " OR ") + ")", nil
}

// componentType is the FHIR type of a component's items.
func (b *builder) componentType(typ, base, comp string) (string, error) {
	e, err := fhirpath.Parse("(" + base + ").select(" + comp + ")")
	if err != nil {
		return "", errorf("component %s: %v", comp, err)
	}
	x, err := fhirsql.CompileCollection(e, typ, b.c.b, "r")
	if err != nil {
		return "", errorf("component %s cannot be run in SQL: %v", comp, err)
	}
	part, ok := x.Single()
	if !ok {
		return "", errorf("component %s has values of several types, which composite search does not support", comp)
	}
	return part.Type, nil
}

// fpString quotes a FHIRPath string literal.
func fpString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

// fpNumber writes a FHIRPath decimal literal.
func fpNumber(f float64) string {
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

// componentCond is the FHIRPath condition one component value puts on an item.
func componentCond(paramType, itemType, prefix, val string) (string, error) {
	switch paramType {
	case "token":
		var sys, code string
		hasSys := false
		if segs := splitEscaped(val, '|'); len(segs) == 2 {
			sys, code, hasSys = segs[0], segs[1], true
		} else {
			code = strings.Join(segs, "|")
		}
		match := func() string {
			var and []string
			if hasSys && sys != "" {
				and = append(and, "system = "+fpString(sys))
			}
			if code != "" {
				and = append(and, "code = "+fpString(code))
			}
			if len(and) == 0 {
				return "true"
			}
			return strings.Join(and, " and ")
		}
		switch itemType {
		case "CodeableConcept":
			return "coding.where(" + match() + ").exists()", nil
		case "Coding":
			return match(), nil
		case "code", "string", "uri", "id":
			return "$this = " + fpString(code), nil
		}
	case "quantity", "number":
		segs := splitEscaped(val, '|')
		n, err := parseNumber(segs[0])
		if err != nil {
			return "", err
		}
		num := "$this"
		if itemType != "integer" && itemType != "decimal" {
			num = "value"
		}
		var c string
		switch prefix {
		case "gt", "sa":
			c = num + " > " + fpNumber(n.V)
		case "lt", "eb":
			c = num + " < " + fpNumber(n.V)
		case "ge":
			c = num + " >= " + fpNumber(n.V)
		case "le":
			c = num + " <= " + fpNumber(n.V)
		case "ne":
			c = "(" + num + " < " + fpNumber(n.Lo) + " or " + num + " >= " + fpNumber(n.Hi) + ")"
		case "ap":
			c = "(" + num + " >= " + fpNumber(n.V*0.9) + " and " + num + " <= " + fpNumber(n.V*1.1) + ")"
		default:
			c = num + " >= " + fpNumber(n.Lo) + " and " + num + " < " + fpNumber(n.Hi)
		}
		if len(segs) == 3 && num == "value" {
			if segs[1] != "" {
				c += " and system = " + fpString(segs[1])
			}
			if segs[2] != "" {
				c += " and (code = " + fpString(segs[2]) + " or unit = " + fpString(segs[2]) + ")"
			}
		}
		return c, nil
	case "string":
		return "$this.lower().startsWith(" + fpString(strings.ToLower(val)) + ")", nil
	}
	return "", errorf("composite components of type %s on %s values are not supported", paramType, itemType)
}
