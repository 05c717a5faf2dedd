package fhirpath

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

type tokenKind int

const (
	tokEOF        tokenKind = iota
	tokIdent                // name
	tokDelimIdent           // `name`
	tokString               // 'text'
	tokNumber               // 12, 1.5
	tokLong                 // 12L
	tokTemporal             // @2019-01-01, @T10:00
	tokVariable             // %name, %`name`, %'name'
	tokSpecial              // $this, $index, $total
	tokPunct                // operators and punctuation
)

type token struct {
	kind tokenKind
	pos  int
	text string // identifier name, string value, number text, operator, temporal text (without @)
}

func (t token) describe() string {
	switch t.kind {
	case tokEOF:
		return "end of expression"
	case tokIdent:
		return fmt.Sprintf("identifier %q", t.text)
	case tokDelimIdent:
		return fmt.Sprintf("identifier `%s`", t.text)
	case tokString:
		return fmt.Sprintf("string %s", quoteString(t.text))
	case tokNumber, tokLong:
		return fmt.Sprintf("number %s", t.text)
	case tokTemporal:
		return "@" + t.text
	case tokVariable:
		return "%" + t.text
	case tokSpecial:
		return t.text
	}
	return fmt.Sprintf("'%s'", t.text)
}

// lex splits src into tokens.
func lex(src string) ([]token, error) {
	var toks []token
	i := 0
	for {
		// skip white space and comments
		for i < len(src) {
			c := src[i]
			if c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' {
				i++
				continue
			}
			if strings.HasPrefix(src[i:], "//") {
				for i < len(src) && src[i] != '\n' {
					i++
				}
				continue
			}
			if strings.HasPrefix(src[i:], "/*") {
				end := strings.Index(src[i+2:], "*/")
				if end < 0 {
					return nil, errorAt(src, i, "unterminated comment")
				}
				i += end + 4
				continue
			}
			break
		}
		if i >= len(src) {
			return append(toks, token{kind: tokEOF, pos: i}), nil
		}
		start := i
		c := src[i]
		switch {
		case isIdentStart(c):
			for i < len(src) && isIdentPart(src[i]) {
				i++
			}
			toks = append(toks, token{tokIdent, start, src[start:i]})
		case c == '`':
			s, n, err := unquote(src, i, '`')
			if err != nil {
				return nil, err
			}
			i = n
			toks = append(toks, token{tokDelimIdent, start, s})
		case c == '\'':
			s, n, err := unquote(src, i, '\'')
			if err != nil {
				return nil, err
			}
			i = n
			toks = append(toks, token{tokString, start, s})
		case isDigit(c):
			for i < len(src) && isDigit(src[i]) {
				i++
			}
			if i+1 < len(src) && src[i] == '.' && isDigit(src[i+1]) {
				i++
				for i < len(src) && isDigit(src[i]) {
					i++
				}
			} else if i < len(src) && src[i] == 'L' && (i+1 >= len(src) || !isIdentPart(src[i+1])) {
				toks = append(toks, token{tokLong, start, src[start:i]})
				i++
				continue
			}
			toks = append(toks, token{tokNumber, start, src[start:i]})
		case c == '@':
			end := scanTemporal(src, i+1)
			if end == i+1 {
				return nil, errorAt(src, start, "expected a date (@2019-01-01), dateTime (@2019-01-01T10:00) or time (@T10:00) after '@'")
			}
			i = end
			toks = append(toks, token{tokTemporal, start, src[start+1 : i]})
		case c == '%':
			i++
			switch {
			case i < len(src) && (src[i] == '`' || src[i] == '\''):
				s, n, err := unquote(src, i, src[i])
				if err != nil {
					return nil, err
				}
				i = n
				toks = append(toks, token{tokVariable, start, s})
			case i < len(src) && isIdentStart(src[i]):
				for i < len(src) && isIdentPart(src[i]) {
					i++
				}
				toks = append(toks, token{tokVariable, start, src[start+1 : i]})
			default:
				return nil, errorAt(src, start, "expected a variable name after '%'")
			}
		case c == '$':
			i++
			for i < len(src) && isIdentPart(src[i]) {
				i++
			}
			name := src[start:i]
			if name != "$this" && name != "$index" && name != "$total" {
				return nil, errorAt(src, start, fmt.Sprintf("unknown special variable %q (want $this, $index or $total)", name))
			}
			toks = append(toks, token{tokSpecial, start, name})
		default:
			op := ""
			for _, p := range []string{"<=", ">=", "!=", "!~"} {
				if strings.HasPrefix(src[i:], p) {
					op = p
				}
			}
			if op == "" && strings.ContainsRune(".,()[]{}+-*/&|<>=~", rune(c)) {
				op = string(c)
			}
			if op == "" {
				r, _ := utf8.DecodeRuneInString(src[i:])
				return nil, errorAt(src, i, fmt.Sprintf("unexpected character %q", r))
			}
			i += len(op)
			toks = append(toks, token{tokPunct, start, op})
		}
	}
}

func isIdentStart(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func isIdentPart(c byte) bool { return isIdentStart(c) || isDigit(c) }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// scanTemporal returns the end of the date, dateTime or time literal that
// starts at src[i] (after the '@'), or i if there is none:
//
//	DATE      YYYY(-MM(-DD)?)?
//	DATETIME  DATE T (hh(:mm(:ss(.f+)?)?)? (Z|(+|-)hh:mm)?)?
//	TIME      T hh(:mm(:ss(.f+)?)?)?
func scanTemporal(src string, i int) int {
	digits := func(at, n int) bool {
		if at+n > len(src) {
			return false
		}
		for k := at; k < at+n; k++ {
			if !isDigit(src[k]) {
				return false
			}
		}
		return true
	}
	scanTime := func(at int) int { // returns end or at
		if !digits(at, 2) {
			return at
		}
		end := at + 2
		if end < len(src) && src[end] == ':' && digits(end+1, 2) {
			end += 3
			if end < len(src) && src[end] == ':' && digits(end+1, 2) {
				end += 3
				if end+1 < len(src) && src[end] == '.' && isDigit(src[end+1]) {
					end++
					for end < len(src) && isDigit(src[end]) {
						end++
					}
				}
			}
		}
		return end
	}
	if i < len(src) && src[i] == 'T' {
		end := scanTime(i + 1)
		if end == i+1 {
			return i
		}
		return end
	}
	if !digits(i, 4) {
		return i
	}
	end := i + 4
	if end < len(src) && src[end] == '-' && digits(end+1, 2) {
		end += 3
		if end < len(src) && src[end] == '-' && digits(end+1, 2) {
			end += 3
		}
	}
	if end < len(src) && src[end] == 'T' {
		end++
		t := scanTime(end)
		if t > end {
			end = t
			switch {
			case end < len(src) && src[end] == 'Z':
				end++
			case end < len(src) && (src[end] == '+' || src[end] == '-') && digits(end+1, 2) &&
				end+3 < len(src) && src[end+3] == ':' && digits(end+4, 2):
				end += 6
			}
		}
	}
	return end
}

// unquote reads a quoted string or delimited identifier starting at src[i]
// (the opening quote) and returns its value and the offset after it.
func unquote(src string, i int, quote byte) (string, int, error) {
	start := i
	i++
	var b strings.Builder
	for {
		if i >= len(src) {
			what := "string"
			if quote == '`' {
				what = "delimited identifier"
			}
			return "", 0, errorAt(src, start, "unterminated "+what)
		}
		c := src[i]
		if c == quote {
			return b.String(), i + 1, nil
		}
		if c != '\\' {
			b.WriteByte(c)
			i++
			continue
		}
		if i+1 >= len(src) {
			return "", 0, errorAt(src, i, "unterminated escape sequence")
		}
		e := src[i+1]
		switch e {
		case '\'', '"', '`', '\\', '/':
			b.WriteByte(e)
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'u':
			if i+6 > len(src) {
				return "", 0, errorAt(src, i, "escape \\u needs four hex digits")
			}
			n, err := strconv.ParseUint(src[i+2:i+6], 16, 32)
			if err != nil {
				return "", 0, errorAt(src, i, "escape \\u needs four hex digits")
			}
			b.WriteRune(rune(n))
			i += 4
		default:
			return "", 0, errorAt(src, i, fmt.Sprintf("unknown escape sequence \\%c", e))
		}
		i += 2
	}
}

// quoteString writes s as a FHIRPath string literal.
func quoteString(s string) string { return quoteWith(s, '\'') }

func quoteWith(s string, q byte) string {
	var b strings.Builder
	b.WriteByte(q)
	for _, r := range s {
		switch r {
		case rune(q), '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\f':
			b.WriteString(`\f`)
		default:
			if r < 0x20 {
				fmt.Fprintf(&b, `\u%04x`, r)
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte(q)
	return b.String()
}

// SyntaxError is a parse error with its position.
type SyntaxError struct {
	Expr   string // the whole expression
	Offset int    // byte offset of the error
	Line   int    // 1-based
	Column int    // 1-based, in bytes
	Msg    string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("fhirpath: %d:%d: %s (in %q)", e.Line, e.Column, e.Msg, e.Expr)
}

func errorAt(src string, off int, msg string) *SyntaxError {
	if off > len(src) {
		off = len(src)
	}
	line, col := 1, 1
	for _, c := range []byte(src[:off]) {
		if c == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return &SyntaxError{Expr: src, Offset: off, Line: line, Column: col, Msg: msg}
}
