package search

import (
	"math"
	"strconv"
	"strings"

	"github.com/fhirlake/fhirlake/fhirsql"
)

// numberValue is a search number with the range its precision implies.
type numberValue struct {
	V, Lo, Hi float64 // [Lo, Hi): the values the written number stands for
}

func parseNumber(s string) (numberValue, error) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return numberValue{}, errorf("%q is not a number", s)
	}
	mant := strings.ToLower(s)
	exp := 0
	if i := strings.IndexByte(mant, 'e'); i >= 0 {
		exp, _ = strconv.Atoi(mant[i+1:])
		mant = mant[:i]
	}
	decimals := 0
	if i := strings.IndexByte(mant, '.'); i >= 0 {
		decimals = len(mant) - i - 1
	}
	half := 0.5 * math.Pow(10, float64(exp-decimals))
	return numberValue{V: f, Lo: f - half, Hi: f + half}, nil
}

// numberCond is the prefix's condition on a numeric SQL value.
func (b *builder) numberCond(x, prefix string, n numberValue) string {
	switch prefix {
	case "ne":
		return "NOT (" + x + " >= " + b.arg(n.Lo) + " AND " + x + " < " + b.arg(n.Hi) + ")"
	case "gt", "sa":
		return x + " > " + b.arg(n.V)
	case "lt", "eb":
		return x + " < " + b.arg(n.V)
	case "ge":
		return x + " >= " + b.arg(n.V)
	case "le":
		return x + " <= " + b.arg(n.V)
	case "ap":
		d := math.Abs(n.V) / 10
		return "(" + x + " >= " + b.arg(n.V-d) + " AND " + x + " <= " + b.arg(n.V+d) + ")"
	}
	return "(" + x + " >= " + b.arg(n.Lo) + " AND " + x + " < " + b.arg(n.Hi) + ")"
}

// number compares integer and decimal items.
func (b *builder) number(part fhirsql.SQLPart, v Value) (string, error) {
	n, err := parseNumber(v.Raw)
	if err != nil {
		return "", err
	}
	switch part.Type {
	case "integer", "decimal", "positiveInt", "unsignedInt":
		return b.anyItem(part.SQL, func(x string) string { return b.numberCond(x, v.Prefix, n) }), nil
	}
	return "", unsupportedType("number search on %s values is not supported", part.Type)
}

// quantity matches [prefix]number[|system|code] against Quantity items
// (and Money: number||currency).
func (b *builder) quantity(part fhirsql.SQLPart, v Value) (string, error) {
	segs := splitEscaped(v.Raw, '|')
	if len(segs) != 1 && len(segs) != 3 {
		return "", errorf("a quantity is number or number|system|code, not %q", v.Raw)
	}
	n, err := parseNumber(segs[0])
	if err != nil {
		return "", err
	}
	switch part.Type {
	case "Quantity", "Age", "Count", "Distance", "Duration", "SimpleQuantity", "MoneyQuantity":
		return b.anyItem(part.SQL, func(x string) string {
			cond := b.numberCond(x+".value", v.Prefix, n)
			if len(segs) == 3 {
				if segs[1] != "" {
					cond += " AND " + x + ".system = " + b.arg(segs[1])
				}
				if segs[2] != "" {
					if segs[1] != "" {
						cond += " AND " + x + ".code = " + b.arg(segs[2])
					} else {
						cond += " AND (" + x + ".code = " + b.arg(segs[2]) + " OR " + x + ".unit = " + b.arg(segs[2]) + ")"
					}
				}
			}
			return cond
		}), nil
	case "Money":
		return b.anyItem(part.SQL, func(x string) string {
			cond := b.numberCond(x+".value", v.Prefix, n)
			if len(segs) == 3 && segs[2] != "" {
				cond += " AND " + x + ".currency = " + b.arg(segs[2])
			}
			return cond
		}), nil
	case "integer", "decimal":
		return b.number(part, Value{Prefix: v.Prefix, Raw: segs[0]})
	}
	return "", unsupportedType("quantity search on %s values is not supported", part.Type)
}
