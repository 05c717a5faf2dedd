package fhirpath

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// Value is one item of a FHIRPath collection: a node of a FHIR resource
// (decoded JSON: map[string]any, string, json.Number, float64, bool) with
// its FHIR type, or a System value computed by the expression (bool,
// string, int64, Decimal, Temporal, Quantity).
type Value struct {
	data any
	typ  *typeDesc
	// ext holds the "_name" object of a FHIR primitive: its id and
	// extensions. A primitive may have extensions and no value (data nil).
	ext map[string]any
}

// Collection is an ordered FHIRPath collection.
type Collection []Value

// FromJSON wraps decoded JSON. An object with a resourceType is typed as
// that resource; anything else gets the System type of its JSON kind.
func FromJSON(v any) Value {
	md := fhirModel()
	switch x := v.(type) {
	case map[string]any:
		if rt, ok := x["resourceType"].(string); ok {
			if d := md.resourceType(rt); d != nil {
				return Value{data: x, typ: d}
			}
		}
		return Value{data: x, typ: md.anyType}
	case string:
		return Value{data: x, typ: md.system[SystemString]}
	case bool:
		return Value{data: x, typ: md.system[SystemBoolean]}
	case json.Number:
		if _, err := strconv.ParseInt(string(x), 10, 64); err == nil {
			return Value{data: x, typ: md.system[SystemInteger]}
		}
		return Value{data: x, typ: md.system[SystemDecimal]}
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			return Value{data: x, typ: md.system[SystemInteger]}
		}
		return Value{data: x, typ: md.system[SystemDecimal]}
	}
	return Value{data: v, typ: md.anyType}
}

// Typed wraps a decoded JSON value as an instance of a FHIR type (a
// primitive such as "date", or a complex type such as "Quantity").
func Typed(v any, fhirType string) (Value, error) {
	d := fhirModel().types[fhirType]
	if d == nil {
		return Value{}, fmt.Errorf("unknown FHIR type %q", fhirType)
	}
	val := Value{data: v, typ: d}
	if d.isPrimitive() {
		if _, err := val.system(); err != nil {
			return Value{}, err
		}
	}
	return val, nil
}

// Of wraps a Go value as a System value: bool, string, int, int32, int64,
// float64, Decimal, Temporal, Quantity.
func Of(v any) (Value, error) {
	md := fhirModel()
	switch x := v.(type) {
	case bool:
		return Value{data: x, typ: md.system[SystemBoolean]}, nil
	case string:
		return Value{data: x, typ: md.system[SystemString]}, nil
	case int:
		return Value{data: int64(x), typ: md.system[SystemInteger]}, nil
	case int32:
		return Value{data: int64(x), typ: md.system[SystemInteger]}, nil
	case int64:
		return Value{data: x, typ: md.system[SystemInteger]}, nil
	case float64:
		return Value{data: decimalFromFloat(x), typ: md.system[SystemDecimal]}, nil
	case Decimal:
		return Value{data: x, typ: md.system[SystemDecimal]}, nil
	case Temporal:
		return temporalValue(x), nil
	case Quantity:
		return Value{data: x, typ: md.system[SystemQuantity]}, nil
	}
	return Value{}, fmt.Errorf("cannot use %T as a FHIRPath value", v)
}

func boolValue(b bool) Value     { return Value{data: b, typ: fhirModel().system[SystemBoolean]} }
func stringValue(s string) Value { return Value{data: s, typ: fhirModel().system[SystemString]} }
func intValue(n int64) Value     { return Value{data: n, typ: fhirModel().system[SystemInteger]} }
func decimalValue(d Decimal) Value {
	return Value{data: d, typ: fhirModel().system[SystemDecimal]}
}
func quantityValue(q Quantity) Value { return Value{data: q, typ: fhirModel().system[SystemQuantity]} }
func temporalValue(t Temporal) Value {
	name := [...]string{SystemDate, SystemDateTime, SystemTime}[t.Kind]
	return Value{data: t, typ: fhirModel().system[name]}
}

// Type is the value's FHIR or System type.
func (v Value) Type() TypeInfo {
	if v.typ == nil {
		return TypeInfo{"System", "Any"}
	}
	return v.typ.info
}

// JSON returns the value as JSON would hold it: the decoded JSON of a FHIR
// node as it was; System values as string, bool, json.Number (integers and
// decimals), the FHIR string form of dates and times, and a Quantity
// object ({"value", "unit"/"code"}).
func (v Value) JSON() any {
	switch x := v.data.(type) {
	case int64:
		return json.Number(strconv.FormatInt(x, 10))
	case Decimal:
		return json.Number(x.String())
	case Temporal:
		return x.String()
	case Quantity:
		q := map[string]any{"value": json.Number(x.Value.String())}
		if x.Calendar {
			q["unit"] = x.Unit
		} else {
			q["unit"], q["system"], q["code"] = x.Unit, "http://unitsofmeasure.org", x.Unit
		}
		return q
	}
	return v.data
}

// Go returns the value as a Go value of its System type: bool, string,
// int64, Decimal, Temporal, Quantity; FHIR primitives are converted
// (a FHIR date becomes a Temporal); complex values are map[string]any.
func (v Value) Go() (any, error) {
	if v.typ != nil && v.typ.isPrimitive() {
		return v.system()
	}
	return v.data, nil
}

// HasValue reports whether the value is not just a primitive's extensions.
func (v Value) HasValue() bool { return v.data != nil }

// Extensions returns the id and extensions of a FHIR primitive (its
// "_name" object), or nil.
func (v Value) Extensions() map[string]any { return v.ext }

// String is the FHIRPath toString() of a primitive, or a short
// description of a complex value.
func (v Value) String() string {
	if s, ok := v.toString(); ok {
		return s
	}
	return fmt.Sprintf("%s %v", v.Type(), v.data)
}

// system converts a primitive to its System representation: bool, string,
// int64, Decimal, Temporal or Quantity.
func (v Value) system() (any, error) {
	switch x := v.data.(type) {
	case bool, int64, Decimal, Temporal, Quantity:
		return x, nil
	case nil:
		return nil, nil
	}
	kind := ""
	if v.typ != nil {
		kind = v.typ.system
	}
	switch kind {
	case SystemString:
		if s, ok := v.data.(string); ok {
			return s, nil
		}
	case SystemBoolean:
		if b, ok := v.data.(bool); ok {
			return b, nil
		}
	case SystemInteger, SystemLong:
		switch x := v.data.(type) {
		case json.Number:
			n, err := strconv.ParseInt(string(x), 10, 64)
			if err != nil {
				return nil, fmt.Errorf("invalid %s %s", v.typ.info.Name, x)
			}
			return n, nil
		case float64:
			if x != math.Trunc(x) {
				return nil, fmt.Errorf("invalid %s %v", v.typ.info.Name, x)
			}
			return int64(x), nil
		}
	case SystemDecimal:
		switch x := v.data.(type) {
		case json.Number:
			return ParseDecimal(string(x))
		case float64:
			return decimalFromFloat(x), nil
		case string: // decimals kept as text by some decoders
			return ParseDecimal(x)
		}
	case SystemDate, SystemDateTime, SystemTime:
		s, ok := v.data.(string)
		if !ok {
			break
		}
		var t Temporal
		var err error
		switch kind {
		case SystemDate:
			t, err = ParseDate(s)
		case SystemDateTime:
			t, err = ParseDateTime(s)
		default:
			t, err = ParseTime(s)
		}
		return t, err
	case "":
		switch x := v.data.(type) {
		case string:
			return x, nil
		case json.Number, float64:
			return FromJSON(x).system()
		}
	}
	return nil, fmt.Errorf("%s value %v (%T) is not valid", v.Type(), v.data, v.data)
}

// toString is the FHIRPath toString() conversion.
func (v Value) toString() (string, bool) {
	s, err := v.system()
	if err != nil || s == nil {
		if q, ok := v.asQuantity(); ok {
			return q.Value.String() + " " + quoteString(q.Unit), true
		}
		return "", false
	}
	switch x := s.(type) {
	case string:
		return x, true
	case bool:
		return strconv.FormatBool(x), true
	case int64:
		return strconv.FormatInt(x, 10), true
	case Decimal:
		return x.String(), true
	case Temporal:
		return x.String(), true
	case Quantity:
		return x.Value.String() + " " + quoteString(x.Unit), true
	}
	return "", false
}

// asQuantity converts a System.Quantity or a FHIR Quantity (and its
// specializations Age, Duration, …) to a Quantity. The unit is the UCUM
// code when the system is UCUM or absent, else the human unit.
func (v Value) asQuantity() (Quantity, bool) {
	if q, ok := v.data.(Quantity); ok {
		return q, true
	}
	m, ok := v.data.(map[string]any)
	if !ok || v.typ == nil || !v.typ.isA(fhirModel().types["Quantity"]) {
		return Quantity{}, false
	}
	var d Decimal
	switch x := m["value"].(type) {
	case json.Number:
		var err error
		if d, err = ParseDecimal(string(x)); err != nil {
			return Quantity{}, false
		}
	case float64:
		d = decimalFromFloat(x)
	default:
		return Quantity{}, false
	}
	unit, _ := m["code"].(string)
	if unit == "" {
		unit, _ = m["unit"].(string)
	}
	if c, ok := calendarUnits[unit]; ok && m["code"] == nil {
		return Quantity{Value: d, Unit: c, Calendar: true}, true
	}
	if unit == "" {
		unit = "1"
	}
	return Quantity{Value: d, Unit: unit}, true
}

// typeName is a short name for error messages.
func (v Value) typeName() string {
	if v.typ == nil {
		return "Any"
	}
	if v.typ.elem != nil {
		return v.typ.info.Name + " (" + v.typ.elem.Path + ")"
	}
	return v.typ.info.String()
}

// describe shows a value in an error message.
func (v Value) describe() string {
	if s, ok := v.toString(); ok {
		if len(s) > 40 {
			s = s[:40] + "…"
		}
		if v.typ != nil && v.typ.system == SystemString {
			s = quoteString(s)
		}
		return s + " (" + v.typeName() + ")"
	}
	return v.typeName()
}

// Describe writes a collection for messages and tests: [1, 'a', @2019].
func (c Collection) String() string {
	parts := make([]string, len(c))
	for i, v := range c {
		parts[i] = v.String()
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
