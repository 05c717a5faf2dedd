package fhirpath

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Conversion functions (FHIRPath §5.5): toX() returns {} when the input
// cannot be converted; convertsToX() says whether it can.
func init() {
	conversions := map[string]func(v Value) (Value, bool, error){
		"Boolean":  toBoolean,
		"Integer":  toInteger,
		"Decimal":  toDecimalValue,
		"String":   toStringValue,
		"Date":     func(v Value) (Value, bool, error) { return toTemporal(v, DateKind) },
		"DateTime": func(v Value) (Value, bool, error) { return toTemporal(v, DateTimeKind) },
		"Time":     func(v Value) (Value, bool, error) { return toTemporal(v, TimeKind) },
		"Quantity": func(v Value) (Value, bool, error) { return toQuantity(v) },
	}
	for name, conv := range conversions {
		conv := conv
		max := 0
		if name == "Quantity" {
			max = 1
		}
		functions["to"+name] = def(0, max, func(c *call, in Collection) (Collection, error) {
			v, ok, err := inputSingleton(in)
			if err != nil || !ok {
				return nil, err
			}
			r, ok, err := conv(v)
			if err != nil || !ok {
				return nil, err
			}
			if c.hasArg(0) {
				unit, ok, err := c.stringArg(0)
				if err != nil || !ok {
					return nil, err
				}
				q := r.data.(Quantity)
				if q.Unit != unit && !(q.Calendar && ucumForCalendar[q.Unit] == unit) {
					return nil, fmt.Errorf("converting %s to %s needs UCUM unit conversion, which is not supported", unitName(q), quoteString(unit))
				}
			}
			return Collection{r}, nil
		})
		functions["convertsTo"+name] = def(0, 0, func(c *call, in Collection) (Collection, error) {
			v, ok, err := inputSingleton(in)
			if err != nil || !ok {
				return nil, err
			}
			_, ok, err = conv(v)
			if err != nil {
				return boolCollection(false), nil
			}
			return boolCollection(ok), nil
		})
	}
}

var (
	integerPattern = regexp.MustCompile(`^[+-]?\d+$`)
	decimalPattern = regexp.MustCompile(`^[+-]?\d+(\.\d+)?$`)
)

func toBoolean(v Value) (Value, bool, error) {
	p, err := primitiveOf(v)
	if err != nil {
		return Value{}, false, err
	}
	switch x := p.(type) {
	case bool:
		return boolValue(x), true, nil
	case int64:
		if x == 0 || x == 1 {
			return boolValue(x == 1), true, nil
		}
	case Decimal:
		switch {
		case x.Cmp(DecimalFromInt(1)) == 0:
			return boolValue(true), true, nil
		case x.Sign() == 0:
			return boolValue(false), true, nil
		}
	case string:
		switch strings.ToLower(x) {
		case "true", "t", "yes", "y", "1", "1.0":
			return boolValue(true), true, nil
		case "false", "f", "no", "n", "0", "0.0":
			return boolValue(false), true, nil
		}
	}
	return Value{}, false, nil
}

func toInteger(v Value) (Value, bool, error) {
	p, err := primitiveOf(v)
	if err != nil {
		return Value{}, false, err
	}
	switch x := p.(type) {
	case int64:
		return intValue(x), true, nil
	case bool:
		if x {
			return intValue(1), true, nil
		}
		return intValue(0), true, nil
	case string:
		if integerPattern.MatchString(x) {
			n, err := strconv.ParseInt(x, 10, 32)
			if err == nil {
				return intValue(n), true, nil
			}
		}
	}
	return Value{}, false, nil
}

func toDecimalValue(v Value) (Value, bool, error) {
	p, err := primitiveOf(v)
	if err != nil {
		return Value{}, false, err
	}
	switch x := p.(type) {
	case int64:
		return decimalValue(DecimalFromInt(x)), true, nil
	case Decimal:
		return decimalValue(x), true, nil
	case bool:
		d := DecimalFromInt(0)
		if x {
			d = DecimalFromInt(1)
		}
		d.scale = 1
		return decimalValue(d), true, nil
	case string:
		if decimalPattern.MatchString(x) {
			d, err := ParseDecimal(x)
			if err == nil {
				return decimalValue(d), true, nil
			}
		}
	}
	return Value{}, false, nil
}

func toStringValue(v Value) (Value, bool, error) {
	if s, ok := v.toString(); ok {
		return stringValue(s), true, nil
	}
	return Value{}, false, nil
}

func toTemporal(v Value, kind TemporalKind) (Value, bool, error) {
	p, err := primitiveOf(v)
	if err != nil {
		return Value{}, false, err
	}
	switch x := p.(type) {
	case Temporal:
		switch {
		case x.Kind == kind:
			return temporalValue(x), true, nil
		case kind == DateTimeKind && x.Kind == DateKind:
			return temporalValue(x.asDateTime()), true, nil
		case kind == DateKind && x.Kind == DateTimeKind:
			x.Kind = DateKind
			x.Precision = min(x.Precision, DayPrecision)
			x.Hour, x.Minute, x.Second, x.Nano, x.FracDigits, x.HasZone, x.ZoneMinutes = 0, 0, 0, 0, 0, false, 0
			return temporalValue(x), true, nil
		}
	case string:
		var t Temporal
		var err error
		switch kind {
		case DateKind:
			t, err = ParseDate(x)
		case DateTimeKind:
			t, err = ParseDateTime(x)
		default:
			t, err = ParseTime(strings.TrimPrefix(x, "T"))
		}
		if err == nil {
			return temporalValue(t), true, nil
		}
	}
	return Value{}, false, nil
}

func toQuantity(v Value) (Value, bool, error) {
	if q, ok := v.asQuantity(); ok {
		return quantityValue(q), true, nil
	}
	p, err := primitiveOf(v)
	if err != nil {
		return Value{}, false, err
	}
	switch x := p.(type) {
	case int64, Decimal:
		d, _ := toDecimal(x)
		return quantityValue(Quantity{Value: d, Unit: "1"}), true, nil
	case bool:
		d := DecimalFromInt(0)
		if x {
			d = DecimalFromInt(1)
		}
		return quantityValue(Quantity{Value: d, Unit: "1"}), true, nil
	case string:
		if q, ok := parseQuantityString(x); ok {
			return quantityValue(q), true, nil
		}
	}
	return Value{}, false, nil
}
