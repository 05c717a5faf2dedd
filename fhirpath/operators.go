package fhirpath

import (
	"fmt"
	"math"
)

func (c *compiler) unary(n *Unary) (evalFn, error) {
	operand, err := c.compile(n.Operand)
	if err != nil {
		return nil, err
	}
	if n.Op == "+" {
		return operand, nil
	}
	return func(s *scope) (Collection, error) {
		in, err := operand(s)
		if err != nil {
			return nil, err
		}
		v, ok, err := singleton(in)
		if err != nil || !ok {
			return nil, wrapOp(n.At, "unary -", err)
		}
		p, err := primitiveOf(v)
		if err != nil {
			return nil, wrapOp(n.At, "unary -", err)
		}
		switch x := p.(type) {
		case int64:
			return Collection{intValue(-x)}, nil
		case Decimal:
			return Collection{decimalValue(x.Neg())}, nil
		case Quantity:
			x.Value = x.Value.Neg()
			return Collection{quantityValue(x)}, nil
		}
		return nil, wrapOp(n.At, "unary -", fmt.Errorf("cannot negate %s", v.describe()))
	}, nil
}

func wrapOp(at int, what string, err error) error {
	if err == nil {
		return nil
	}
	return &EvalError{at, what, err}
}

func (c *compiler) binary(n *Binary) (evalFn, error) {
	left, err := c.compile(n.Left)
	if err != nil {
		return nil, err
	}
	right, err := c.compile(n.Right)
	if err != nil {
		return nil, err
	}
	op := n.Op
	switch op {
	case "and", "or", "xor", "implies":
		return logical(n, left, right), nil
	}
	var apply func(l, r Collection) (Collection, error)
	switch op {
	case "|":
		apply = func(l, r Collection) (Collection, error) {
			return distinct(append(append(Collection{}, l...), r...))
		}
	case "=", "!=":
		apply = func(l, r Collection) (Collection, error) {
			if len(l) == 0 || len(r) == 0 {
				return nil, nil
			}
			eq := isEqual
			if len(l) != len(r) {
				eq = notEqual
			} else {
				for i := range l {
					k, err := equal(l[i], r[i], true)
					if err != nil {
						return nil, err
					}
					if k != isEqual {
						eq = k
						if k == notEqual {
							break
						}
					}
				}
			}
			if eq == unknownEqual {
				return nil, nil
			}
			return boolCollection((eq == isEqual) == (op == "=")), nil
		}
	case "~", "!~":
		apply = func(l, r Collection) (Collection, error) {
			eq, err := equivalentCollections(l, r)
			if err != nil {
				return nil, err
			}
			return boolCollection(eq == (op == "~")), nil
		}
	case "<", "<=", ">", ">=":
		apply = func(l, r Collection) (Collection, error) {
			a, ok1, err := singleton(l)
			if err != nil {
				return nil, fmt.Errorf("left operand: %w", err)
			}
			b, ok2, err := singleton(r)
			if err != nil {
				return nil, fmt.Errorf("right operand: %w", err)
			}
			if !ok1 || !ok2 {
				return nil, nil
			}
			c, known, err := compare(op, a, b)
			if err != nil || !known {
				return nil, err
			}
			var res bool
			switch op {
			case "<":
				res = c < 0
			case "<=":
				res = c <= 0
			case ">":
				res = c > 0
			default:
				res = c >= 0
			}
			return boolCollection(res), nil
		}
	case "in", "contains":
		apply = func(l, r Collection) (Collection, error) {
			item, coll := l, r
			if op == "contains" {
				item, coll = r, l
			}
			v, ok, err := singleton(item)
			if err != nil {
				return nil, err
			}
			if !ok {
				return nil, nil
			}
			found, err := containsValue(coll, v)
			if err != nil {
				return nil, err
			}
			return boolCollection(found), nil
		}
	case "&":
		apply = func(l, r Collection) (Collection, error) {
			a, err := concatOperand(l)
			if err != nil {
				return nil, err
			}
			b, err := concatOperand(r)
			if err != nil {
				return nil, err
			}
			return Collection{stringValue(a + b)}, nil
		}
	default: // + - * / div mod
		apply = func(l, r Collection) (Collection, error) {
			a, ok1, err := singleton(l)
			if err != nil {
				return nil, fmt.Errorf("left operand: %w", err)
			}
			b, ok2, err := singleton(r)
			if err != nil {
				return nil, fmt.Errorf("right operand: %w", err)
			}
			if !ok1 || !ok2 {
				return nil, nil
			}
			return arithmetic(op, a, b)
		}
	}
	return func(s *scope) (Collection, error) {
		l, err := left(s)
		if err != nil {
			return nil, err
		}
		r, err := right(s)
		if err != nil {
			return nil, err
		}
		out, err := apply(l, r)
		return out, wrapOp(n.At, "operator "+op, err)
	}, nil
}

func concatOperand(c Collection) (string, error) {
	v, ok, err := singleton(c)
	if err != nil || !ok {
		return "", err
	}
	s, ok := v.toString()
	if !ok {
		return "", fmt.Errorf("cannot concatenate %s", v.describe())
	}
	return s, nil
}

func equivalentCollections(l, r Collection) (bool, error) {
	if len(l) != len(r) {
		return false, nil
	}
	used := make([]bool, len(r))
outer:
	for _, a := range l {
		for j, b := range r {
			if used[j] {
				continue
			}
			eq, err := equivalent(a, b)
			if err != nil {
				return false, err
			}
			if eq {
				used[j] = true
				continue outer
			}
		}
		return false, nil
	}
	return true, nil
}

// logical implements three-valued and, or, xor and implies, evaluating
// the right operand only when the left one does not decide.
func logical(n *Binary, left, right evalFn) evalFn {
	op := n.Op
	operand := func(s *scope, f evalFn, side string) (bool, bool, error) {
		c, err := f(s)
		if err != nil {
			return false, false, err
		}
		b, ok, err := singletonBool(c)
		if err != nil {
			return false, false, &EvalError{n.At, "operator " + op, fmt.Errorf("%s operand: %w", side, err)}
		}
		return b, ok, nil
	}
	return func(s *scope) (Collection, error) {
		l, lok, err := operand(s, left, "left")
		if err != nil {
			return nil, err
		}
		switch {
		case op == "and" && lok && !l:
			return boolCollection(false), nil
		case op == "or" && lok && l:
			return boolCollection(true), nil
		case op == "implies" && lok && !l:
			return boolCollection(true), nil
		}
		r, rok, err := operand(s, right, "right")
		if err != nil {
			return nil, err
		}
		switch op {
		case "and":
			if rok && !r {
				return boolCollection(false), nil
			}
			if lok && rok {
				return boolCollection(true), nil
			}
		case "or":
			if rok && r {
				return boolCollection(true), nil
			}
			if lok && rok {
				return boolCollection(false), nil
			}
		case "xor":
			if lok && rok {
				return boolCollection(l != r), nil
			}
		case "implies":
			if rok && r {
				return boolCollection(true), nil
			}
			if lok && rok {
				return boolCollection(false), nil
			}
		}
		return nil, nil
	}
}

// arithmetic applies + - * / div mod to two items.
func arithmetic(op string, a, b Value) (Collection, error) {
	pa, err := primitiveOf(a)
	if err != nil {
		return nil, err
	}
	pb, err := primitiveOf(b)
	if err != nil {
		return nil, err
	}
	mismatch := fmt.Errorf("cannot apply %s to %s and %s", op, a.describe(), b.describe())
	switch x := pa.(type) {
	case string:
		y, ok := pb.(string)
		if op == "+" && ok {
			return Collection{stringValue(x + y)}, nil
		}
		return nil, mismatch
	case int64:
		if y, ok := pb.(int64); ok {
			return intArithmetic(op, x, y)
		}
		if _, ok := pb.(Decimal); ok {
			return decimalArithmetic(op, DecimalFromInt(x), pb.(Decimal))
		}
		if q, ok := pb.(Quantity); ok && op == "*" {
			q.Value = q.Value.Mul(DecimalFromInt(x))
			return Collection{quantityValue(q)}, nil
		}
	case Decimal:
		if y, ok := toDecimal(pb); ok {
			return decimalArithmetic(op, x, y)
		}
		if q, ok := pb.(Quantity); ok && op == "*" {
			q.Value = q.Value.Mul(x)
			return Collection{quantityValue(q)}, nil
		}
	case Quantity:
		return quantityArithmetic(op, x, pb, mismatch)
	case Temporal:
		q, ok := pb.(Quantity)
		if !ok || (op != "+" && op != "-") {
			return nil, mismatch
		}
		return temporalArithmetic(op, x, q)
	}
	return nil, mismatch
}

func intArithmetic(op string, x, y int64) (Collection, error) {
	var r int64
	switch op {
	case "+":
		r = x + y
		if (r > x) != (y > 0) {
			return nil, fmt.Errorf("integer overflow in %d + %d", x, y)
		}
	case "-":
		r = x - y
		if (r < x) != (y > 0) {
			return nil, fmt.Errorf("integer overflow in %d - %d", x, y)
		}
	case "*":
		if x != 0 && y != 0 {
			r = x * y
			if r/y != x || (x == -1 && y == math.MinInt64) || (y == -1 && x == math.MinInt64) {
				return nil, fmt.Errorf("integer overflow in %d * %d", x, y)
			}
		}
	case "/":
		return decimalArithmetic(op, DecimalFromInt(x), DecimalFromInt(y))
	case "div":
		if y == 0 {
			return nil, nil
		}
		r = x / y
	case "mod":
		if y == 0 {
			return nil, nil
		}
		r = x % y
	}
	return Collection{intValue(r)}, nil
}

func decimalArithmetic(op string, x, y Decimal) (Collection, error) {
	switch op {
	case "+":
		return Collection{decimalValue(x.Add(y))}, nil
	case "-":
		return Collection{decimalValue(x.Sub(y))}, nil
	case "*":
		return Collection{decimalValue(x.Mul(y))}, nil
	case "/":
		q, ok := x.Quo(y)
		if !ok {
			return nil, nil
		}
		return Collection{decimalValue(q)}, nil
	case "div":
		q, ok := x.Quo(y)
		if !ok {
			return nil, nil
		}
		n, _ := q.truncAt(0).Int64()
		return Collection{intValue(n)}, nil
	case "mod":
		q, ok := x.Quo(y)
		if !ok {
			return nil, nil
		}
		return Collection{decimalValue(x.Sub(q.truncAt(0).Mul(y)))}, nil
	}
	return nil, fmt.Errorf("unknown operator %s", op)
}

func quantityArithmetic(op string, x Quantity, pb any, mismatch error) (Collection, error) {
	switch y := pb.(type) {
	case Quantity:
		switch op {
		case "+", "-":
			if !sameUnit(x, y) {
				return nil, unitMismatch(op, x, y)
			}
			if op == "+" {
				x.Value = x.Value.Add(y.Value)
			} else {
				x.Value = x.Value.Sub(y.Value)
			}
			return Collection{quantityValue(x)}, nil
		case "*", "/":
			if y.Unit == "1" || y.Unit == "" {
				return quantityArithmetic(op, x, y.Value, mismatch)
			}
			if op == "/" && sameUnit(x, y) {
				q, ok := x.Value.Quo(y.Value)
				if !ok {
					return nil, nil
				}
				return Collection{quantityValue(Quantity{Value: q, Unit: "1"})}, nil
			}
			return nil, fmt.Errorf("%s of quantities in %s and %s needs UCUM unit algebra, which is not supported", op, unitName(x), unitName(y))
		}
	case int64, Decimal:
		d, _ := toDecimal(y)
		switch op {
		case "*":
			x.Value = x.Value.Mul(d)
			return Collection{quantityValue(x)}, nil
		case "/":
			q, ok := x.Value.Quo(d)
			if !ok {
				return nil, nil
			}
			x.Value = q
			return Collection{quantityValue(x)}, nil
		}
	}
	return nil, mismatch
}

func temporalArithmetic(op string, t Temporal, q Quantity) (Collection, error) {
	unit := q.Unit
	if !q.Calendar {
		c, ok := calendarForUCUM[unit]
		if !ok || unit == "a" || unit == "mo" {
			return nil, fmt.Errorf("cannot add %s to a date or time: use a calendar duration (1 year, 2 months, 3 days)", unitName(q))
		}
		unit = c
	}
	n, ok := q.Value.truncAt(0).Int64()
	if !ok || !q.Value.IsInteger() && unit != "second" {
		return nil, fmt.Errorf("cannot add a fractional %s to a date or time", unit)
	}
	if op == "-" {
		n = -n
	}
	r, err := t.addDuration(n, unit)
	if err != nil {
		return nil, err
	}
	return Collection{temporalValue(r)}, nil
}
