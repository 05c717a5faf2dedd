package fhirpath

import (
	"fmt"
	"strconv"
	"strings"
)

// precedence of the infix operators, lowest first (FHIRPath §"Operator
// precedence"); all are left-associative.
var precedence = map[string]int{
	"implies": 1,
	"or":      2, "xor": 2,
	"and": 3,
	"in":  4, "contains": 4,
	"=": 5, "~": 5, "!=": 5, "!~": 5,
	"<": 6, "<=": 6, ">": 6, ">=": 6,
	"|":  7,
	"is": 8, "as": 8,
	"+": 9, "-": 9, "&": 9,
	"*": 10, "/": 10, "div": 10, "mod": 10,
}

const unaryPrecedence = 11

// keywords that cannot start a term (they are only operators).
var operatorKeywords = map[string]bool{"and": true, "or": true, "xor": true, "implies": true, "div": true, "mod": true}

// functions whose arguments are type names rather than expressions.
var typeArgFunctions = map[string]bool{"ofType": true, "is": true, "as": true, "getReferenceKey": true}

type parser struct {
	src  string
	toks []token
	i    int
}

// parseTree parses src to a syntax tree.
func parseTree(src string) (Node, error) {
	toks, err := lex(src)
	if err != nil {
		return nil, err
	}
	p := &parser{src: src, toks: toks}
	if p.peek().kind == tokEOF {
		return nil, errorAt(src, 0, "empty expression")
	}
	n, err := p.expr(0)
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tokEOF {
		return nil, p.errorf(t, "expected an operator or end of expression, found %s", t.describe())
	}
	return n, nil
}

func (p *parser) peek() token { return p.toks[p.i] }

func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tokEOF {
		p.i++
	}
	return t
}

func (p *parser) errorf(t token, format string, args ...any) error {
	return errorAt(p.src, t.pos, fmt.Sprintf(format, args...))
}

func (p *parser) isPunct(text string) bool {
	t := p.peek()
	return t.kind == tokPunct && t.text == text
}

// infixOp returns the operator at the current token, if any.
func (p *parser) infixOp() (string, int, bool) {
	t := p.peek()
	if t.kind != tokPunct && t.kind != tokIdent {
		return "", 0, false
	}
	prec, ok := precedence[t.text]
	return t.text, prec, ok
}

func (p *parser) expr(minPrec int) (Node, error) {
	left, err := p.unary()
	if err != nil {
		return nil, err
	}
	for {
		op, prec, ok := p.infixOp()
		if !ok || prec < minPrec {
			return left, nil
		}
		opTok := p.next()
		if op == "is" || op == "as" {
			ts, err := p.typeSpecifier()
			if err != nil {
				return nil, err
			}
			left = &TypeOp{At: left.Pos(), Op: op, Operand: left, Type: ts}
			continue
		}
		if p.peek().kind == tokEOF {
			return nil, p.errorf(p.peek(), "expected an expression after %s", opTok.describe())
		}
		right, err := p.expr(prec + 1)
		if err != nil {
			return nil, err
		}
		left = &Binary{At: left.Pos(), Op: op, Left: left, Right: right}
	}
}

func (p *parser) unary() (Node, error) {
	if p.isPunct("+") || p.isPunct("-") {
		t := p.next()
		operand, err := p.unary()
		if err != nil {
			return nil, err
		}
		return &Unary{At: t.pos, Op: t.text, Operand: operand}, nil
	}
	term, err := p.term()
	if err != nil {
		return nil, err
	}
	return p.postfix(term)
}

func (p *parser) postfix(n Node) (Node, error) {
	for {
		switch {
		case p.isPunct("."):
			dot := p.next()
			t := p.next()
			if t.kind != tokIdent && t.kind != tokDelimIdent {
				return nil, p.errorf(t, "expected a name or function after '.', found %s", t.describe())
			}
			inv, err := p.invocation(t, n)
			if err != nil {
				return nil, err
			}
			_ = dot
			n = inv
		case p.isPunct("["):
			open := p.next()
			idx, err := p.expr(0)
			if err != nil {
				return nil, err
			}
			if !p.isPunct("]") {
				return nil, p.errorf(p.peek(), "expected ']' to close '[' at %d, found %s", open.pos+1, p.peek().describe())
			}
			p.next()
			n = &Index{At: n.Pos(), Target: n, Index: idx}
		default:
			return n, nil
		}
	}
}

// invocation parses a member or function call named by t, applied to target.
func (p *parser) invocation(t token, target Node) (Node, error) {
	at := t.pos
	if target != nil {
		at = target.Pos()
	}
	if t.kind == tokIdent && p.isPunct("(") {
		open := p.next()
		var args []Node
		if !p.isPunct(")") {
			for {
				if p.peek().kind == tokEOF {
					break
				}
				a, err := p.expr(0)
				if err != nil {
					return nil, err
				}
				args = append(args, a)
				if !p.isPunct(",") {
					break
				}
				p.next()
			}
		}
		if !p.isPunct(")") {
			return nil, p.errorf(p.peek(), "expected ',' or ')' to close %s( at %d, found %s", t.text, open.pos+1, p.peek().describe())
		}
		p.next()
		if typeArgFunctions[t.text] {
			for i, a := range args {
				ts, ok := asTypeSpecifier(a)
				if !ok {
					return nil, errorAt(p.src, a.Pos(), fmt.Sprintf("%s() expects a type name such as Quantity or FHIR.Patient", t.text))
				}
				args[i] = ts
			}
		}
		return &Call{At: at, Target: target, Name: t.text, Args: args}, nil
	}
	return &Member{At: at, Target: target, Name: t.text}, nil
}

// asTypeSpecifier turns Name or Namespace.Name (parsed as members) into a
// type specifier.
func asTypeSpecifier(n Node) (*TypeSpecifier, bool) {
	m, ok := n.(*Member)
	if !ok {
		return nil, false
	}
	if m.Target == nil {
		return &TypeSpecifier{At: m.At, Name: m.Name}, true
	}
	ns, ok := m.Target.(*Member)
	if !ok || ns.Target != nil {
		return nil, false
	}
	return &TypeSpecifier{At: ns.At, Namespace: ns.Name, Name: m.Name}, true
}

func (p *parser) typeSpecifier() (*TypeSpecifier, error) {
	t := p.next()
	if t.kind != tokIdent && t.kind != tokDelimIdent {
		return nil, p.errorf(t, "expected a type name, found %s", t.describe())
	}
	ts := &TypeSpecifier{At: t.pos, Name: t.text}
	if p.isPunct(".") && (p.toks[p.i+1].kind == tokIdent || p.toks[p.i+1].kind == tokDelimIdent) {
		p.next()
		name := p.next()
		ts.Namespace, ts.Name = ts.Name, name.text
	}
	return ts, nil
}

func (p *parser) term() (Node, error) {
	t := p.next()
	switch t.kind {
	case tokEOF:
		return nil, p.errorf(t, "expected an expression, found end of expression")
	case tokNumber:
		return p.number(t)
	case tokLong:
		n, err := strconv.ParseInt(t.text, 10, 64)
		if err != nil {
			return nil, p.errorf(t, "long %s out of range", t.text)
		}
		return &Literal{At: t.pos, Kind: LongLiteral, Value: n}, nil
	case tokString:
		return &Literal{At: t.pos, Kind: StringLiteral, Value: t.text}, nil
	case tokTemporal:
		return p.temporal(t)
	case tokVariable:
		return &Variable{At: t.pos, Name: t.text}, nil
	case tokSpecial:
		return &Special{At: t.pos, Name: t.text}, nil
	case tokDelimIdent:
		return p.invocation(t, nil)
	case tokIdent:
		switch {
		case t.text == "true" || t.text == "false":
			return &Literal{At: t.pos, Kind: BooleanLiteral, Value: t.text == "true"}, nil
		case operatorKeywords[t.text]:
			return nil, p.errorf(t, "expected an expression, found operator '%s'", t.text)
		}
		return p.invocation(t, nil)
	case tokPunct:
		switch t.text {
		case "(":
			n, err := p.expr(0)
			if err != nil {
				return nil, err
			}
			if !p.isPunct(")") {
				return nil, p.errorf(p.peek(), "expected ')' to close '(' at %d, found %s", t.pos+1, p.peek().describe())
			}
			p.next()
			return n, nil
		case "{":
			if !p.isPunct("}") {
				return nil, p.errorf(p.peek(), "expected '}' after '{' (the empty collection is {}), found %s", p.peek().describe())
			}
			p.next()
			return &Literal{At: t.pos, Kind: NullLiteral}, nil
		}
	}
	return nil, p.errorf(t, "expected an expression, found %s", t.describe())
}

func (p *parser) number(t token) (Node, error) {
	var lit *Literal
	if strings.Contains(t.text, ".") {
		d, err := ParseDecimal(t.text)
		if err != nil {
			return nil, p.errorf(t, "%v", err)
		}
		lit = &Literal{At: t.pos, Kind: DecimalLiteral, Value: d}
	} else {
		n, err := strconv.ParseInt(t.text, 10, 32)
		if err != nil {
			return nil, p.errorf(t, "integer %s out of range (FHIRPath integers are 32-bit; write %sL for a long)", t.text, t.text)
		}
		lit = &Literal{At: t.pos, Kind: IntegerLiteral, Value: n}
	}
	// a quantity: number followed by a unit string or calendar keyword
	u := p.peek()
	unit, calendar := "", false
	switch {
	case u.kind == tokString:
		unit = u.text
	case u.kind == tokIdent && calendarUnits[u.text] != "":
		unit, calendar = calendarUnits[u.text], true
	default:
		return lit, nil
	}
	p.next()
	var d Decimal
	switch v := lit.Value.(type) {
	case int64:
		d = DecimalFromInt(v)
	case Decimal:
		d = v
	}
	return &Literal{At: t.pos, Kind: QuantityLiteral, Value: Quantity{Value: d, Unit: unit, Calendar: calendar}}, nil
}

func (p *parser) temporal(t token) (Node, error) {
	text := t.text
	var (
		v    Temporal
		err  error
		kind LiteralKind
	)
	switch {
	case strings.HasPrefix(text, "T"):
		v, err = ParseTime(text[1:])
		kind = TimeLiteral
	case strings.Contains(text, "T"):
		v, err = ParseDateTime(text)
		kind = DateTimeLiteral
	default:
		v, err = ParseDate(text)
		kind = DateLiteral
	}
	if err != nil {
		return nil, p.errorf(t, "%v", err)
	}
	return &Literal{At: t.pos, Kind: kind, Value: v}, nil
}
