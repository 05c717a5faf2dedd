package sqlserver

import (
	"fmt"
	"strconv"
	"strings"
)

// duckType is a parsed DuckDB type as printed by duckdb_columns().data_type
// and the driver's DatabaseTypeName, e.g. `STRUCT("use" VARCHAR, given VARCHAR[])[]`.
type duckType struct {
	// Name is the upper-case base name: VARCHAR, BIGINT, DECIMAL, STRUCT,
	// LIST (for T[]), ARRAY (for T[n]), MAP, UNION, JSON, ...
	Name string
	// Width and Scale are set for DECIMAL(w,s).
	Width, Scale int
	// Fields are the members of a STRUCT or UNION, in order.
	Fields []duckField
	// Elem is the element type of LIST and ARRAY, the value type of MAP.
	Elem *duckType
	// Key is the key type of MAP.
	Key *duckType
	// Size is the length of ARRAY (T[n]).
	Size int
}

type duckField struct {
	Name string
	Type *duckType
}

// nested reports whether MySQL clients see the type as JSON text.
func (t *duckType) nested() bool {
	switch t.Name {
	case "STRUCT", "LIST", "ARRAY", "MAP", "UNION", "JSON":
		return true
	}
	return false
}

// field returns the STRUCT member named name (case-insensitive, as DuckDB).
func (t *duckType) field(name string) (*duckType, string, bool) {
	for _, f := range t.Fields {
		if f.Name == name {
			return f.Type, f.Name, true
		}
	}
	for _, f := range t.Fields {
		if strings.EqualFold(f.Name, name) {
			return f.Type, f.Name, true
		}
	}
	return nil, "", false
}

func (t *duckType) String() string {
	var b strings.Builder
	t.write(&b)
	return b.String()
}

func (t *duckType) write(b *strings.Builder) {
	switch t.Name {
	case "LIST":
		t.Elem.write(b)
		b.WriteString("[]")
	case "ARRAY":
		t.Elem.write(b)
		fmt.Fprintf(b, "[%d]", t.Size)
	case "STRUCT", "UNION":
		b.WriteString(t.Name)
		b.WriteByte('(')
		for i, f := range t.Fields {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(quoteIdent(f.Name))
			b.WriteByte(' ')
			f.Type.write(b)
		}
		b.WriteByte(')')
	case "MAP":
		b.WriteString("MAP(")
		t.Key.write(b)
		b.WriteString(", ")
		t.Elem.write(b)
		b.WriteByte(')')
	case "DECIMAL":
		fmt.Fprintf(b, "DECIMAL(%d,%d)", t.Width, t.Scale)
	default:
		b.WriteString(t.Name)
	}
}

// parseDuckType parses a DuckDB type name.
func parseDuckType(s string) (*duckType, error) {
	p := typeParser{s: s}
	t, err := p.typ(0)
	if err != nil {
		return nil, fmt.Errorf("parse type %q: %w", s, err)
	}
	p.space()
	if p.i != len(p.s) {
		return nil, fmt.Errorf("parse type %q: unexpected %q at offset %d", s, p.s[p.i:], p.i)
	}
	return t, nil
}

type typeParser struct {
	s string
	i int
}

func (p *typeParser) space() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == '\n') {
		p.i++
	}
}

func (p *typeParser) peek() byte {
	p.space()
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

func (p *typeParser) expect(c byte) error {
	if p.peek() != c {
		return fmt.Errorf("expected %q at offset %d", c, p.i)
	}
	p.i++
	return nil
}

// ident reads a bare word or a double-quoted identifier.
func (p *typeParser) ident() (string, error) {
	p.space()
	if p.i >= len(p.s) {
		return "", fmt.Errorf("expected a name at end of input")
	}
	if p.s[p.i] == '"' {
		var b strings.Builder
		p.i++
		for p.i < len(p.s) {
			c := p.s[p.i]
			p.i++
			if c == '"' {
				if p.i < len(p.s) && p.s[p.i] == '"' {
					b.WriteByte('"')
					p.i++
					continue
				}
				return b.String(), nil
			}
			b.WriteByte(c)
		}
		return "", fmt.Errorf("unterminated quoted name")
	}
	start := p.i
	for p.i < len(p.s) {
		c := p.s[p.i]
		if c == ' ' || c == '(' || c == ')' || c == ',' || c == '[' || c == ']' || c == '"' {
			break
		}
		p.i++
	}
	if p.i == start {
		return "", fmt.Errorf("expected a name at offset %d", start)
	}
	return p.s[start:p.i], nil
}

const maxTypeDepth = 64

func (p *typeParser) typ(depth int) (*duckType, error) {
	if depth > maxTypeDepth {
		return nil, fmt.Errorf("type nested deeper than %d", maxTypeDepth)
	}
	if p.peek() == '"' {
		return nil, fmt.Errorf("type name expected at offset %d, not a quoted name", p.i)
	}
	name, err := p.ident()
	if err != nil {
		return nil, err
	}
	t := &duckType{Name: strings.ToUpper(name)}
	// Multi-word names.
	for _, two := range []string{"TIMESTAMP WITH TIME ZONE", "TIME WITH TIME ZONE", "DOUBLE PRECISION"} {
		first, rest, _ := strings.Cut(two, " ")
		if t.Name == first && strings.HasPrefix(strings.ToUpper(strings.TrimLeft(p.s[p.i:], " ")), rest) {
			p.space()
			p.i += len(rest)
			t.Name = two
		}
	}
	switch t.Name {
	case "STRUCT", "UNION":
		if err := p.expect('('); err != nil {
			return nil, err
		}
		for {
			fname, err := p.ident()
			if err != nil {
				return nil, err
			}
			ft, err := p.typ(depth + 1)
			if err != nil {
				return nil, err
			}
			t.Fields = append(t.Fields, duckField{Name: fname, Type: ft})
			if p.peek() == ',' {
				p.i++
				continue
			}
			break
		}
		if err := p.expect(')'); err != nil {
			return nil, err
		}
	case "MAP":
		if err := p.expect('('); err != nil {
			return nil, err
		}
		if t.Key, err = p.typ(depth + 1); err != nil {
			return nil, err
		}
		if err := p.expect(','); err != nil {
			return nil, err
		}
		if t.Elem, err = p.typ(depth + 1); err != nil {
			return nil, err
		}
		if err := p.expect(')'); err != nil {
			return nil, err
		}
	default:
		if p.peek() == '(' { // DECIMAL(18,3), VARCHAR(10), ENUM(...)
			p.i++
			var args []string
			for {
				p.space()
				start := p.i
				inQuote := false
				for p.i < len(p.s) && (inQuote || (p.s[p.i] != ',' && p.s[p.i] != ')')) {
					if p.s[p.i] == '\'' {
						inQuote = !inQuote
					}
					p.i++
				}
				args = append(args, strings.TrimSpace(p.s[start:p.i]))
				if p.peek() == ',' {
					p.i++
					continue
				}
				break
			}
			if err := p.expect(')'); err != nil {
				return nil, err
			}
			if t.Name == "DECIMAL" || t.Name == "NUMERIC" {
				t.Name = "DECIMAL"
				if len(args) != 2 {
					return nil, fmt.Errorf("DECIMAL takes width and scale")
				}
				if t.Width, err = strconv.Atoi(args[0]); err != nil {
					return nil, fmt.Errorf("DECIMAL width: %w", err)
				}
				if t.Scale, err = strconv.Atoi(args[1]); err != nil {
					return nil, fmt.Errorf("DECIMAL scale: %w", err)
				}
			}
		}
	}
	for p.peek() == '[' {
		p.i++
		p.space()
		start := p.i
		for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
			p.i++
		}
		size := p.s[start:p.i]
		if err := p.expect(']'); err != nil {
			return nil, err
		}
		if size == "" {
			t = &duckType{Name: "LIST", Elem: t}
		} else {
			n, err := strconv.Atoi(size)
			if err != nil {
				return nil, fmt.Errorf("array size: %w", err)
			}
			t = &duckType{Name: "ARRAY", Elem: t, Size: n}
		}
		depth++
		if depth > maxTypeDepth {
			return nil, fmt.Errorf("type nested deeper than %d", maxTypeDepth)
		}
	}
	return t, nil
}

// quoteIdent quotes a DuckDB identifier.
func quoteIdent(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// quoteString quotes a DuckDB string literal.
func quoteString(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}
