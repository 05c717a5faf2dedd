package fhirpath

import (
	"fmt"
	"math"
	"strings"
)

// Math functions (FHIRPath §5.7) and the boundary functions
// lowBoundary(), highBoundary() and precision().
func init() {
	numFn := func(name string, fn func(c *call, p any) (Collection, error)) func(c *call, in Collection) (Collection, error) {
		return func(c *call, in Collection) (Collection, error) {
			v, ok, err := inputSingleton(in)
			if err != nil || !ok {
				return nil, err
			}
			p, err := primitiveOf(v)
			if err != nil {
				return nil, err
			}
			switch p.(type) {
			case int64, Decimal:
				return fn(c, p)
			case Quantity:
				if name == "abs" || name == "ceiling" || name == "floor" || name == "round" || name == "truncate" {
					q := p.(Quantity)
					r, err := fn(c, q.Value)
					if err != nil || len(r) == 0 {
						return r, err
					}
					d, _ := toDecimal(r[0].data)
					q.Value = d
					return Collection{quantityValue(q)}, nil
				}
			}
			return nil, fmt.Errorf("expected a number, got %s", v.describe())
		}
	}
	floatFn := func(name string, f func(x float64) float64) {
		functions[name] = def(0, 0, numFn(name, func(_ *call, p any) (Collection, error) {
			d, _ := toDecimal(p)
			r := f(d.Float64())
			if math.IsNaN(r) || math.IsInf(r, 0) {
				return nil, nil
			}
			return Collection{decimalValue(decimalFromFloat(r))}, nil
		}))
	}
	functions["abs"] = def(0, 0, numFn("abs", func(_ *call, p any) (Collection, error) {
		if n, ok := p.(int64); ok {
			if n < 0 {
				n = -n
			}
			return Collection{intValue(n)}, nil
		}
		return Collection{decimalValue(p.(Decimal).Abs())}, nil
	}))
	intResult := func(round func(d Decimal) Decimal) func(*call, any) (Collection, error) {
		return func(_ *call, p any) (Collection, error) {
			if n, ok := p.(int64); ok {
				return Collection{intValue(n)}, nil
			}
			n, ok := round(p.(Decimal)).Int64()
			if !ok {
				return nil, fmt.Errorf("result out of range")
			}
			return Collection{intValue(n)}, nil
		}
	}
	functions["ceiling"] = def(0, 0, numFn("ceiling", intResult(func(d Decimal) Decimal { return d.ceilAt(0) })))
	functions["floor"] = def(0, 0, numFn("floor", intResult(func(d Decimal) Decimal { return d.floorAt(0) })))
	functions["truncate"] = def(0, 0, numFn("truncate", intResult(func(d Decimal) Decimal { return d.truncAt(0) })))
	functions["round"] = def(0, 1, numFn("round", func(c *call, p any) (Collection, error) {
		digits, ok, err := c.intArg(0)
		if err != nil {
			return nil, err
		}
		if !ok {
			digits = 0
		}
		if digits < 0 {
			return nil, fmt.Errorf("precision must be ≥ 0, got %d", digits)
		}
		d, _ := toDecimal(p)
		return Collection{decimalValue(d.Round(int(digits)))}, nil
	}))
	floatFn("sqrt", math.Sqrt)
	floatFn("ln", math.Log)
	floatFn("exp", math.Exp)
	functions["log"] = def(1, 1, numFn("log", func(c *call, p any) (Collection, error) {
		base, err := c.arg(0)
		if err != nil {
			return nil, err
		}
		b, ok, err := singleton(base)
		if err != nil || !ok {
			return nil, err
		}
		bp, err := primitiveOf(b)
		if err != nil {
			return nil, err
		}
		bd, ok := toDecimal(bp)
		if !ok {
			return nil, fmt.Errorf("base must be a number, got %s", b.describe())
		}
		d, _ := toDecimal(p)
		r := math.Log(d.Float64()) / math.Log(bd.Float64())
		if math.IsNaN(r) || math.IsInf(r, 0) {
			return nil, nil
		}
		return Collection{decimalValue(decimalFromFloat(r))}, nil
	}))
	functions["power"] = def(1, 1, numFn("power", func(c *call, p any) (Collection, error) {
		ex, err := c.arg(0)
		if err != nil {
			return nil, err
		}
		e, ok, err := singleton(ex)
		if err != nil || !ok {
			return nil, err
		}
		ep, err := primitiveOf(e)
		if err != nil {
			return nil, err
		}
		ed, ok := toDecimal(ep)
		if !ok {
			return nil, fmt.Errorf("exponent must be a number, got %s", e.describe())
		}
		base, _ := toDecimal(p)
		bi, baseInt := p.(int64)
		ei, expInt := ep.(int64)
		if baseInt && expInt && ei >= 0 {
			r := int64(1)
			for i := int64(0); i < ei; i++ {
				next := r * bi
				if bi != 0 && next/bi != r {
					return nil, fmt.Errorf("integer overflow in power")
				}
				r = next
			}
			return Collection{intValue(r)}, nil
		}
		r := math.Pow(base.Float64(), ed.Float64())
		if math.IsNaN(r) || math.IsInf(r, 0) {
			return nil, nil
		}
		return Collection{decimalValue(decimalFromFloat(r))}, nil
	}))
	functions["lowBoundary"] = def(0, 1, boundaryFn(false))
	functions["highBoundary"] = def(0, 1, boundaryFn(true))
	functions["precision"] = def(0, 0, func(c *call, in Collection) (Collection, error) {
		v, ok, err := inputSingleton(in)
		if err != nil || !ok {
			return nil, err
		}
		p, err := primitiveOf(v)
		if err != nil {
			return nil, err
		}
		switch x := p.(type) {
		case Decimal:
			return Collection{intValue(int64(x.Scale()))}, nil
		case int64:
			return Collection{intValue(0)}, nil
		case Temporal:
			return Collection{intValue(int64(temporalDigits(x)))}, nil
		}
		return nil, fmt.Errorf("precision() needs a decimal, date, dateTime or time, got %s", v.describe())
	})
}

// temporalDigits is the precision of a date or time in digits, as
// precision() and the boundary functions count them.
func temporalDigits(t Temporal) int {
	if t.Kind == TimeKind {
		return [...]int{0, 0, 0, 0, 2, 4, 6, 9}[t.Precision]
	}
	return [...]int{0, 4, 6, 8, 10, 12, 14, 17}[t.Precision]
}

func boundaryFn(high bool) func(c *call, in Collection) (Collection, error) {
	return func(c *call, in Collection) (Collection, error) {
		v, ok, err := inputSingleton(in)
		if err != nil || !ok {
			return nil, err
		}
		p, err := primitiveOf(v)
		if err != nil {
			return nil, err
		}
		digits, hasDigits, err := c.intArg(0)
		if err != nil {
			return nil, err
		}
		switch x := p.(type) {
		case int64, Decimal:
			d, _ := toDecimal(x)
			if !hasDigits {
				digits = 8
			}
			r, ok := decimalBoundary(d, high, int(digits))
			if !ok {
				return nil, nil
			}
			return Collection{decimalValue(r)}, nil
		case Quantity:
			if !hasDigits {
				digits = 8
			}
			r, ok := decimalBoundary(x.Value, high, int(digits))
			if !ok {
				return nil, nil
			}
			x.Value = r
			return Collection{quantityValue(x)}, nil
		case Temporal:
			if !hasDigits {
				digits = map[TemporalKind]int64{DateKind: 8, DateTimeKind: 17, TimeKind: 9}[x.Kind]
			}
			r, ok := x.boundary(high, int(digits))
			if !ok {
				return nil, nil
			}
			return Collection{temporalValue(r)}, nil
		}
		return nil, fmt.Errorf("expected a number, quantity, date, dateTime or time, got %s", v.describe())
	}
}

// decimalBoundary is the least (or greatest) value d may stand for, given
// the digits it was written with, at digits fractional digits:
// 1.587.lowBoundary() = 1.58650000, 1.587.highBoundary(2) = 1.59.
func decimalBoundary(d Decimal, high bool, digits int) (Decimal, bool) {
	if digits < 0 || digits > 28 {
		return Decimal{}, false
	}
	half, _ := ParseDecimal("0." + strings.Repeat("0", d.Scale()) + "5")
	var r Decimal
	if high {
		r = d.Add(half)
	} else {
		r = d.Sub(half)
	}
	if digits > r.Scale() {
		r.scale = digits
		return r, true
	}
	if high {
		return r.ceilAt(digits), true
	}
	return r.floorAt(digits), true
}
