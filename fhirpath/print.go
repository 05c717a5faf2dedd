package fhirpath

import (
	"strconv"
	"strings"
)

// Format writes n as FHIRPath source, with parentheses only where
// precedence needs them. Parsing the result gives the same tree.
func Format(n Node) string {
	var b strings.Builder
	format(&b, n)
	return b.String()
}

func nodePrecedence(n Node) int {
	switch n := n.(type) {
	case *Binary:
		return precedence[n.Op]
	case *TypeOp:
		return precedence[n.Op]
	case *Unary:
		return unaryPrecedence
	}
	return unaryPrecedence + 1
}

func formatOperand(b *strings.Builder, n Node, minPrec int) {
	if nodePrecedence(n) < minPrec {
		b.WriteByte('(')
		format(b, n)
		b.WriteByte(')')
		return
	}
	format(b, n)
}

func format(b *strings.Builder, n Node) {
	switch n := n.(type) {
	case *Literal:
		b.WriteString(formatLiteral(n))
	case *Member:
		if n.Target != nil {
			formatOperand(b, n.Target, unaryPrecedence+1)
			b.WriteByte('.')
			b.WriteString(formatName(n.Name, true))
		} else {
			b.WriteString(formatName(n.Name, false))
		}
	case *Call:
		if n.Target != nil {
			formatOperand(b, n.Target, unaryPrecedence+1)
			b.WriteByte('.')
		}
		b.WriteString(n.Name)
		b.WriteByte('(')
		for i, a := range n.Args {
			if i > 0 {
				b.WriteString(", ")
			}
			format(b, a)
		}
		b.WriteByte(')')
	case *Index:
		formatOperand(b, n.Target, unaryPrecedence+1)
		b.WriteByte('[')
		format(b, n.Index)
		b.WriteByte(']')
	case *Variable:
		b.WriteByte('%')
		if isPlainIdentifier(n.Name) {
			b.WriteString(n.Name)
		} else {
			b.WriteString(quoteWith(n.Name, '`'))
		}
	case *Special:
		b.WriteString(n.Name)
	case *Unary:
		b.WriteString(n.Op)
		formatOperand(b, n.Operand, unaryPrecedence+1)
	case *Binary:
		p := precedence[n.Op]
		formatOperand(b, n.Left, p)
		b.WriteByte(' ')
		b.WriteString(n.Op)
		b.WriteByte(' ')
		formatOperand(b, n.Right, p+1)
	case *TypeOp:
		formatOperand(b, n.Operand, precedence[n.Op])
		b.WriteByte(' ')
		b.WriteString(n.Op)
		b.WriteByte(' ')
		format(b, n.Type)
	case *TypeSpecifier:
		if n.Namespace != "" {
			b.WriteString(formatName(n.Namespace, false))
			b.WriteByte('.')
		}
		b.WriteString(formatName(n.Name, true))
	}
}

func formatLiteral(n *Literal) string {
	switch v := n.Value.(type) {
	case bool:
		return strconv.FormatBool(v)
	case string:
		return quoteString(v)
	case int64:
		if n.Kind == LongLiteral {
			return strconv.FormatInt(v, 10) + "L"
		}
		return strconv.FormatInt(v, 10)
	case Decimal:
		s := v.String()
		if !strings.Contains(s, ".") {
			s += ".0"
		}
		return s
	case Temporal:
		return v.literal()
	case Quantity:
		return v.String()
	}
	return "{}"
}

// formatName writes an identifier, delimiting it with backticks when it
// would not read back as the same name.
func formatName(name string, afterDot bool) string {
	if isPlainIdentifier(name) && (afterDot || (!operatorKeywords[name] && name != "true" && name != "false")) {
		return name
	}
	return quoteWith(name, '`')
}

func isPlainIdentifier(s string) bool {
	if s == "" || !isIdentStart(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !isIdentPart(s[i]) {
			return false
		}
	}
	return true
}
