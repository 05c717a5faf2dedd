package fhirpath

import (
	"fmt"
	"math/big"
	"strings"
)

// Decimal is an exact decimal number: 0.1 + 0.2 = 0.3. It keeps the number
// of digits after the point it was written or computed with (its scale),
// which toString(), lowBoundary() and highBoundary() need.
type Decimal struct {
	r     *big.Rat // never modified after construction
	scale int
}

// maxDivisionScale is the number of fractional digits kept by a division
// whose result has no finite decimal expansion (FHIRPath asks for at
// least 8).
const maxDivisionScale = 8

// ParseDecimal reads a decimal in JSON or FHIRPath form: 1, -1.50, 1e3.
func ParseDecimal(s string) (Decimal, error) {
	t := s
	if !decimalSyntax(t) {
		return Decimal{}, fmt.Errorf("invalid decimal %q", s)
	}
	mant, exp := t, 0
	if i := strings.IndexAny(t, "eE"); i >= 0 {
		mant = t[:i]
		if _, err := fmt.Sscan(t[i+1:], &exp); err != nil {
			return Decimal{}, fmt.Errorf("invalid decimal %q", s)
		}
	}
	r, ok := new(big.Rat).SetString(t)
	if !ok {
		return Decimal{}, fmt.Errorf("invalid decimal %q", s)
	}
	scale := 0
	if i := strings.IndexByte(mant, '.'); i >= 0 {
		scale = len(mant) - i - 1
	}
	scale -= exp
	if scale < 0 {
		scale = 0
	}
	return Decimal{r: r, scale: scale}, nil
}

// decimalSyntax accepts -?digits(.digits)?([eE][+-]?digits)?
func decimalSyntax(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		i++
	}
	digits := func() bool {
		start := i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		return i > start
	}
	if !digits() {
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if !digits() {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '-' || s[i] == '+') {
			i++
		}
		if !digits() {
			return false
		}
	}
	return i == len(s)
}

// DecimalFromInt returns n as a Decimal with no fractional digits.
func DecimalFromInt(n int64) Decimal { return Decimal{r: new(big.Rat).SetInt64(n)} }

// decimalFromFloat converts a float64 (from JSON decoded without UseNumber)
// through its shortest decimal representation.
func decimalFromFloat(f float64) Decimal {
	d, err := ParseDecimal(fmt.Sprint(f))
	if err != nil {
		return Decimal{r: new(big.Rat).SetFloat64(f)}
	}
	return d
}

func (d Decimal) rat() *big.Rat {
	if d.r == nil {
		return new(big.Rat)
	}
	return d.r
}

// Scale is the number of digits after the decimal point.
func (d Decimal) Scale() int { return d.scale }

// Cmp compares d and e: -1, 0 or +1.
func (d Decimal) Cmp(e Decimal) int { return d.rat().Cmp(e.rat()) }

// Sign returns -1, 0 or +1.
func (d Decimal) Sign() int { return d.rat().Sign() }

// Add returns d + e.
func (d Decimal) Add(e Decimal) Decimal {
	return Decimal{r: new(big.Rat).Add(d.rat(), e.rat()), scale: max(d.scale, e.scale)}
}

// Sub returns d - e.
func (d Decimal) Sub(e Decimal) Decimal {
	return Decimal{r: new(big.Rat).Sub(d.rat(), e.rat()), scale: max(d.scale, e.scale)}
}

// Mul returns d × e.
func (d Decimal) Mul(e Decimal) Decimal {
	return Decimal{r: new(big.Rat).Mul(d.rat(), e.rat()), scale: d.scale + e.scale}.normalizeScale()
}

// Quo returns d / e and false when e is zero. A result without a finite
// decimal expansion is rounded to 8 fractional digits.
func (d Decimal) Quo(e Decimal) (Decimal, bool) {
	if e.Sign() == 0 {
		return Decimal{}, false
	}
	q := new(big.Rat).Quo(d.rat(), e.rat())
	for s := 0; s <= maxDivisionScale; s++ {
		if isIntegerRat(new(big.Rat).Mul(q, pow10Rat(s))) {
			return Decimal{r: q, scale: s}, true
		}
	}
	return Decimal{r: q, scale: maxDivisionScale}.Round(maxDivisionScale), true
}

// normalizeScale drops trailing zero digits introduced by multiplication
// beyond the larger operand scale, so 1.5 * 2.0 prints 3.00 at most.
func (d Decimal) normalizeScale() Decimal {
	if d.scale > 28 {
		d = d.Round(28)
	}
	return d
}

// Neg returns -d.
func (d Decimal) Neg() Decimal { return Decimal{r: new(big.Rat).Neg(d.rat()), scale: d.scale} }

// Abs returns |d|.
func (d Decimal) Abs() Decimal { return Decimal{r: new(big.Rat).Abs(d.rat()), scale: d.scale} }

// IsInteger reports whether d has no fractional part.
func (d Decimal) IsInteger() bool { return d.rat().IsInt() }

// Int64 returns the integer part of d (truncated toward zero) and whether it
// fits in an int64.
func (d Decimal) Int64() (int64, bool) {
	n := new(big.Int).Quo(d.rat().Num(), d.rat().Denom())
	return n.Int64(), n.IsInt64()
}

// Float64 returns the nearest float64.
func (d Decimal) Float64() float64 {
	f, _ := d.rat().Float64()
	return f
}

// Round rounds half away from zero to scale fractional digits.
func (d Decimal) Round(scale int) Decimal {
	p := pow10Rat(scale)
	x := new(big.Rat).Mul(d.rat(), p)
	half := big.NewRat(1, 2)
	if x.Sign() < 0 {
		x.Sub(x, half)
	} else {
		x.Add(x, half)
	}
	n := new(big.Int).Quo(x.Num(), x.Denom()) // truncates toward zero
	return Decimal{r: new(big.Rat).Quo(new(big.Rat).SetInt(n), p), scale: scale}
}

// Floor returns the greatest value ≤ d with scale fractional digits.
func (d Decimal) floorAt(scale int) Decimal {
	p := pow10Rat(scale)
	x := new(big.Rat).Mul(d.rat(), p)
	n := new(big.Int).Div(x.Num(), x.Denom()) // Euclidean: floor for positive denominators
	return Decimal{r: new(big.Rat).Quo(new(big.Rat).SetInt(n), p), scale: scale}
}

// ceilAt returns the least value ≥ d with scale fractional digits.
func (d Decimal) ceilAt(scale int) Decimal { return d.Neg().floorAt(scale).Neg() }

// truncAt truncates toward zero at scale fractional digits.
func (d Decimal) truncAt(scale int) Decimal {
	if d.Sign() < 0 {
		return d.ceilAt(scale)
	}
	return d.floorAt(scale)
}

// String writes d with its scale: 1.50 stays 1.50.
func (d Decimal) String() string {
	r := d.rat()
	if isIntegerRat(new(big.Rat).Mul(r, pow10Rat(d.scale))) {
		return r.FloatString(d.scale)
	}
	return r.FloatString(max(d.scale, maxDivisionScale))
}

func isIntegerRat(r *big.Rat) bool { return r.IsInt() }

var pow10Cache [40]*big.Rat

func init() {
	p := big.NewInt(1)
	for i := range pow10Cache {
		pow10Cache[i] = new(big.Rat).SetInt(new(big.Int).Set(p))
		p.Mul(p, big.NewInt(10))
	}
}

func pow10Rat(n int) *big.Rat {
	if n >= 0 && n < len(pow10Cache) {
		return pow10Cache[n]
	}
	return new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil))
}
