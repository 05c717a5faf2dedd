package fhirpath

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
)

// equalKind is the outcome of comparing two items for equality.
type equalKind int

const (
	notEqual equalKind = iota
	isEqual
	unknownEqual // dates of different precision: the spec answers {}
)

// primitiveOf returns the System value of a primitive item, or nil for
// complex values (a FHIR Quantity becomes a Quantity).
func primitiveOf(v Value) (any, error) {
	if v.typ != nil && !v.typ.isPrimitive() && v.typ != fhirModel().anyType {
		if q, ok := v.asQuantity(); ok {
			return q, nil
		}
		return nil, nil
	}
	if _, ok := v.data.(map[string]any); ok {
		return nil, nil
	}
	return v.system()
}

// equal implements '=' for two items. strict makes quantities in different
// units an error (the '=' operator) rather than unequal (distinct() etc.).
func equal(a, b Value, strict bool) (equalKind, error) {
	pa, err := primitiveOf(a)
	if err != nil {
		return notEqual, err
	}
	pb, err := primitiveOf(b)
	if err != nil {
		return notEqual, err
	}
	if pa == nil || pb == nil {
		if pa == nil && pb == nil {
			return toKind(jsonEqual(a.data, b.data)), nil
		}
		return notEqual, nil
	}
	switch x := pa.(type) {
	case string:
		y, ok := pb.(string)
		return toKind(ok && x == y), nil
	case bool:
		y, ok := pb.(bool)
		return toKind(ok && x == y), nil
	case int64, Decimal:
		dx, _ := toDecimal(pa)
		dy, ok := toDecimal(pb)
		return toKind(ok && dx.Cmp(dy) == 0), nil
	case Temporal:
		y, ok := pb.(Temporal)
		if !ok || (x.Kind == TimeKind) != (y.Kind == TimeKind) {
			return notEqual, nil
		}
		c, known := compareTemporal(x, y)
		if !known {
			return unknownEqual, nil
		}
		return toKind(c == 0), nil
	case Quantity:
		y, ok := pb.(Quantity)
		if !ok {
			return notEqual, nil
		}
		if !sameUnit(x, y) {
			if strict {
				return notEqual, unitMismatch("=", x, y)
			}
			return notEqual, nil
		}
		return toKind(x.Value.Cmp(y.Value) == 0), nil
	}
	return notEqual, nil
}

func toKind(b bool) equalKind {
	if b {
		return isEqual
	}
	return notEqual
}

// jsonEqual compares decoded JSON, treating numbers by value.
func jsonEqual(a, b any) bool {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, xv := range x {
			yv, ok := y[k]
			if !ok || !jsonEqual(xv, yv) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !jsonEqual(x[i], y[i]) {
				return false
			}
		}
		return true
	case json.Number, float64:
		dx, ok1 := toDecimal(FromJSON(a).mustSystem())
		dy, ok2 := toDecimal(FromJSON(b).mustSystem())
		return ok1 && ok2 && dx.Cmp(dy) == 0
	}
	return reflect.DeepEqual(a, b)
}

func (v Value) mustSystem() any {
	s, _ := v.system()
	return s
}

// toDecimal converts an Integer or Decimal system value.
func toDecimal(v any) (Decimal, bool) {
	switch x := v.(type) {
	case int64:
		return DecimalFromInt(x), true
	case Decimal:
		return x, true
	}
	return Decimal{}, false
}

// equivalent implements '~' for two items.
func equivalent(a, b Value) (bool, error) {
	pa, err := primitiveOf(a)
	if err != nil {
		return false, err
	}
	pb, err := primitiveOf(b)
	if err != nil {
		return false, err
	}
	if pa == nil || pb == nil {
		return pa == nil && pb == nil && jsonEqual(a.data, b.data), nil
	}
	switch x := pa.(type) {
	case string:
		y, ok := pb.(string)
		return ok && normalizeSpace(x) == normalizeSpace(y), nil
	case bool:
		y, ok := pb.(bool)
		return ok && x == y, nil
	case int64, Decimal:
		dx, _ := toDecimal(pa)
		dy, ok := toDecimal(pb)
		if !ok {
			return false, nil
		}
		scale := min(dx.Scale(), dy.Scale())
		return dx.Round(scale).Cmp(dy.Round(scale)) == 0, nil
	case Temporal:
		y, ok := pb.(Temporal)
		if !ok || min(x.Precision, SecondPrecision) != min(y.Precision, SecondPrecision) {
			return false, nil
		}
		c, known := compareTemporal(x, y)
		return known && c == 0, nil
	case Quantity:
		y, ok := pb.(Quantity)
		if !ok {
			return false, nil
		}
		ux, uy := x.comparableUnit(), y.comparableUnit()
		if x.Calendar && x.Unit == "year" {
			ux = "a"
		}
		if y.Calendar && y.Unit == "year" {
			uy = "a"
		}
		if x.Calendar && x.Unit == "month" {
			ux = "mo"
		}
		if y.Calendar && y.Unit == "month" {
			uy = "mo"
		}
		return ux == uy && x.Value.Cmp(y.Value) == 0, nil
	}
	return false, nil
}

func normalizeSpace(s string) string { return strings.ToLower(strings.Join(strings.Fields(s), " ")) }

// compare orders two items for <, <=, >, >=. ok is false when the answer
// is unknown (dates of different precision).
func compare(op string, a, b Value) (int, bool, error) {
	pa, err := primitiveOf(a)
	if err != nil {
		return 0, false, err
	}
	pb, err := primitiveOf(b)
	if err != nil {
		return 0, false, err
	}
	mismatch := func() error {
		return fmt.Errorf("cannot compare %s with %s", a.describe(), b.describe())
	}
	switch x := pa.(type) {
	case string:
		if y, ok := pb.(string); ok {
			return strings.Compare(x, y), true, nil
		}
	case int64, Decimal:
		dx, _ := toDecimal(pa)
		if dy, ok := toDecimal(pb); ok {
			return dx.Cmp(dy), true, nil
		}
	case Temporal:
		if y, ok := pb.(Temporal); ok && (x.Kind == TimeKind) == (y.Kind == TimeKind) {
			c, known := compareTemporal(x, y)
			return c, known, nil
		}
	case Quantity:
		if y, ok := pb.(Quantity); ok {
			if !sameUnit(x, y) {
				return 0, false, unitMismatch(op, x, y)
			}
			return x.Value.Cmp(y.Value), true, nil
		}
	}
	return 0, false, mismatch()
}

// contains reports whether c holds an item equal to v.
func containsValue(c Collection, v Value) (bool, error) {
	for _, item := range c {
		k, err := equal(item, v, false)
		if err != nil {
			return false, err
		}
		if k == isEqual {
			return true, nil
		}
	}
	return false, nil
}

// distinct removes items equal to an earlier one.
func distinct(c Collection) (Collection, error) {
	if len(c) < 2 {
		return c, nil
	}
	var out Collection
	seen := map[string]bool{}
	for _, v := range c {
		if key, ok := hashKey(v); ok {
			if seen[key] {
				continue
			}
			seen[key] = true
			out = append(out, v)
			continue
		}
		dup, err := containsValue(out, v)
		if err != nil {
			return nil, err
		}
		if !dup {
			out = append(out, v)
		}
	}
	return out, nil
}

// hashKey gives strings, booleans and numbers a key for fast distinct();
// dates and complex values are compared one by one.
func hashKey(v Value) (string, bool) {
	if v.typ == nil || v.typ.system == "" {
		return "", false
	}
	switch x := v.data.(type) {
	case string:
		if v.typ.system == SystemString {
			return "s:" + x, true
		}
	case bool:
		return fmt.Sprintf("b:%v", x), true
	}
	if v.typ.system == SystemInteger || v.typ.system == SystemDecimal {
		p, err := v.system()
		if d, ok := toDecimal(p); ok && err == nil {
			return "n:" + d.rat().RatString(), true
		}
	}
	return "", false
}
