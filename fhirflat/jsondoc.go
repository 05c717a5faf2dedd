package fhirflat

import (
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// A doc is a parsed JSON document: a flat arena of nodes that keep the
// source spans, so numbers keep their literal text and a subtree can be
// stored as the exact bytes it was sent as. Its strings share the source's
// bytes where they can: they are valid only while the source is unchanged,
// so a string kept beyond the call that parsed it is cloned.
type doc struct {
	src   []byte
	nodes []node
	kids  []int32 // children of containers; objects list key, value pairs
	stack []int32 // the parser's scratch, kept for the next document
}

type nodeKind uint8

const (
	kNull nodeKind = iota
	kFalse
	kTrue
	kNumber
	kString
	kArray
	kObject
)

func (k nodeKind) String() string {
	return [...]string{"null", "boolean", "boolean", "number", "string", "array", "object"}[k]
}

type node struct {
	kind       nodeKind
	start, end int32  // span in src
	str        string // decoded string (kString)
	first, n   int32  // kids[first : first+n]; objects hold 2n entries
}

// jsonError is a syntax error at a byte offset.
type jsonError struct {
	Offset int
	Msg    string
}

func (e *jsonError) Error() string {
	return fmt.Sprintf("invalid JSON at byte %d: %s", e.Offset, e.Msg)
}

const maxJSONDepth = 512

// parseDoc parses one JSON value (with surrounding white space) from src.
// Objects with a repeated key are rejected: FHIR forbids them and a later
// value silently winning would hide data.
func parseDoc(src []byte, d *doc) error {
	d.src = src
	d.nodes = d.nodes[:0]
	d.kids = d.kids[:0]
	p := parser{d: d, src: src, stack: d.stack[:0]}
	defer func() { d.stack = p.stack[:0] }()
	p.skipSpace()
	if _, err := p.value(0); err != nil {
		return err
	}
	p.skipSpace()
	if p.pos != len(src) {
		return p.fail("unexpected data after the top-level value")
	}
	return nil
}

type parser struct {
	d     *doc
	src   []byte
	pos   int
	stack []int32 // scratch for children being collected
}

func (p *parser) fail(msg string) error { return &jsonError{Offset: p.pos, Msg: msg} }

func (p *parser) skipSpace() {
	for p.pos < len(p.src) {
		switch p.src[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *parser) add(n node) int32 {
	p.d.nodes = append(p.d.nodes, n)
	return int32(len(p.d.nodes) - 1)
}

func (p *parser) value(depth int) (int32, error) {
	if p.pos >= len(p.src) {
		return 0, p.fail("unexpected end of input")
	}
	if depth > maxJSONDepth {
		return 0, p.fail("nesting too deep")
	}
	start := p.pos
	switch c := p.src[p.pos]; {
	case c == '{':
		return p.object(depth)
	case c == '[':
		return p.array(depth)
	case c == '"':
		s, err := p.string()
		if err != nil {
			return 0, err
		}
		return p.add(node{kind: kString, start: int32(start), end: int32(p.pos), str: s}), nil
	case c == 't':
		return p.literal("true", kTrue)
	case c == 'f':
		return p.literal("false", kFalse)
	case c == 'n':
		return p.literal("null", kNull)
	case c == '-' || (c >= '0' && c <= '9'):
		if err := p.number(); err != nil {
			return 0, err
		}
		return p.add(node{kind: kNumber, start: int32(start), end: int32(p.pos)}), nil
	default:
		return 0, p.fail(fmt.Sprintf("unexpected character %q", c))
	}
}

func (p *parser) literal(word string, k nodeKind) (int32, error) {
	if len(p.src)-p.pos < len(word) || string(p.src[p.pos:p.pos+len(word)]) != word {
		return 0, p.fail("invalid literal")
	}
	start := p.pos
	p.pos += len(word)
	return p.add(node{kind: k, start: int32(start), end: int32(p.pos)}), nil
}

func (p *parser) number() error {
	s := p.src
	i := p.pos
	if s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && s[i] >= '1' && s[i] <= '9':
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	default:
		p.pos = i
		return p.fail("invalid number")
	}
	if i < len(s) && s[i] == '.' {
		i++
		if i >= len(s) || s[i] < '0' || s[i] > '9' {
			p.pos = i
			return p.fail("invalid number: digit expected after '.'")
		}
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if i >= len(s) || s[i] < '0' || s[i] > '9' {
			p.pos = i
			return p.fail("invalid number: digit expected in exponent")
		}
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	}
	p.pos = i
	return nil
}

// string reads a JSON string starting at the opening quote. A string
// without escapes is not copied: it shares the source's bytes (see doc).
func (p *parser) string() (string, error) {
	s := p.src
	i := p.pos + 1
	start := i
	var high byte // the OR of the bytes: ASCII-only when its top bit is clear
	for i < len(s) {
		c := s[i]
		if c == '"' {
			p.pos = i + 1
			if high >= utf8.RuneSelf && !utf8.Valid(s[start:i]) {
				p.pos = start
				return "", p.fail("invalid UTF-8 in string")
			}
			if i == start {
				return "", nil
			}
			return unsafe.String(&s[start], i-start), nil
		}
		if c == '\\' {
			return p.escapedString(start, i)
		}
		if c < 0x20 {
			p.pos = i
			return "", p.fail("control character in string")
		}
		high |= c
		i++
	}
	p.pos = i
	return "", p.fail("unterminated string")
}

func (p *parser) escapedString(start, i int) (string, error) {
	s := p.src
	buf := make([]byte, 0, i-start+16)
	buf = append(buf, s[start:i]...)
	for i < len(s) {
		c := s[i]
		switch {
		case c == '"':
			p.pos = i + 1
			if !utf8.Valid(buf) {
				p.pos = start
				return "", p.fail("invalid UTF-8 in string")
			}
			return string(buf), nil
		case c < 0x20:
			p.pos = i
			return "", p.fail("control character in string")
		case c != '\\':
			buf = append(buf, c)
			i++
			continue
		}
		if i+1 >= len(s) {
			break
		}
		i++
		switch s[i] {
		case '"', '\\', '/':
			buf = append(buf, s[i])
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			r, n, ok := hexRune(s[i+1:])
			if !ok {
				p.pos = i
				return "", p.fail("invalid \\u escape")
			}
			i += n
			if utf16.IsSurrogate(r) {
				r2, n2, ok2 := rune(0), 0, false
				if len(s) > i+2 && s[i+1] == '\\' && s[i+2] == 'u' {
					r2, n2, ok2 = hexRune(s[i+3:])
				}
				if ok2 {
					if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
						r = dec
						i += 2 + n2
					} else {
						r = utf8.RuneError
					}
				} else {
					r = utf8.RuneError
				}
			}
			buf = utf8.AppendRune(buf, r)
		default:
			p.pos = i
			return "", p.fail(fmt.Sprintf("invalid escape \\%c", s[i]))
		}
		i++
	}
	p.pos = i
	return "", p.fail("unterminated string")
}

func hexRune(s []byte) (rune, int, bool) {
	if len(s) < 4 {
		return 0, 0, false
	}
	v, err := strconv.ParseUint(string(s[:4]), 16, 32)
	if err != nil {
		return 0, 0, false
	}
	return rune(v), 4, true
}

func (p *parser) array(depth int) (int32, error) {
	start := p.pos
	p.pos++ // [
	base := len(p.stack)
	p.skipSpace()
	if p.pos < len(p.src) && p.src[p.pos] == ']' {
		p.pos++
		return p.add(node{kind: kArray, start: int32(start), end: int32(p.pos)}), nil
	}
	for {
		p.skipSpace()
		v, err := p.value(depth + 1)
		if err != nil {
			return 0, err
		}
		p.stack = append(p.stack, v)
		p.skipSpace()
		if p.pos >= len(p.src) {
			return 0, p.fail("unterminated array")
		}
		if p.src[p.pos] == ',' {
			p.pos++
			continue
		}
		if p.src[p.pos] == ']' {
			p.pos++
			break
		}
		return 0, p.fail("',' or ']' expected")
	}
	first := int32(len(p.d.kids))
	p.d.kids = append(p.d.kids, p.stack[base:]...)
	n := int32(len(p.stack) - base)
	p.stack = p.stack[:base]
	return p.add(node{kind: kArray, start: int32(start), end: int32(p.pos), first: first, n: n}), nil
}

func (p *parser) object(depth int) (int32, error) {
	start := p.pos
	p.pos++ // {
	base := len(p.stack)
	var seen map[string]bool // for objects too large for a linear duplicate check
	p.skipSpace()
	if p.pos < len(p.src) && p.src[p.pos] == '}' {
		p.pos++
		return p.add(node{kind: kObject, start: int32(start), end: int32(p.pos)}), nil
	}
	for {
		p.skipSpace()
		if p.pos >= len(p.src) || p.src[p.pos] != '"' {
			return 0, p.fail("object key expected")
		}
		keyStart := p.pos
		key, err := p.string()
		if err != nil {
			return 0, err
		}
		dup := false
		if members := (len(p.stack) - base) / 2; members < 32 {
			for j := base; j < len(p.stack); j += 2 {
				dup = dup || p.d.nodes[p.stack[j]].str == key
			}
		} else {
			if seen == nil {
				seen = make(map[string]bool, 2*members)
				for j := base; j < len(p.stack); j += 2 {
					seen[p.d.nodes[p.stack[j]].str] = true
				}
			}
			dup = seen[key]
			seen[key] = true
		}
		if dup {
			p.pos = keyStart
			return 0, p.fail(fmt.Sprintf("duplicate key %q", key))
		}
		k := p.add(node{kind: kString, start: int32(keyStart), end: int32(p.pos), str: key})
		p.skipSpace()
		if p.pos >= len(p.src) || p.src[p.pos] != ':' {
			return 0, p.fail("':' expected")
		}
		p.pos++
		p.skipSpace()
		v, err := p.value(depth + 1)
		if err != nil {
			return 0, err
		}
		p.stack = append(p.stack, k, v)
		p.skipSpace()
		if p.pos >= len(p.src) {
			return 0, p.fail("unterminated object")
		}
		if p.src[p.pos] == ',' {
			p.pos++
			continue
		}
		if p.src[p.pos] == '}' {
			p.pos++
			break
		}
		return 0, p.fail("',' or '}' expected")
	}
	first := int32(len(p.d.kids))
	p.d.kids = append(p.d.kids, p.stack[base:]...)
	n := int32(len(p.stack)-base) / 2
	p.stack = p.stack[:base]
	return p.add(node{kind: kObject, start: int32(start), end: int32(p.pos), first: first, n: n}), nil
}

// root is the top-level value: the last node added.
func (d *doc) root() int32 { return int32(len(d.nodes) - 1) }

func (d *doc) raw(i int32) []byte {
	n := &d.nodes[i]
	return d.src[n.start:n.end]
}

// member returns the key and value of an object's j-th member.
func (d *doc) member(obj int32, j int32) (string, int32) {
	n := &d.nodes[obj]
	k := d.kids[n.first+2*j]
	return d.nodes[k].str, d.kids[n.first+2*j+1]
}

// get returns the value of a key in an object, or -1.
func (d *doc) get(obj int32, key string) int32 {
	n := &d.nodes[obj]
	for j := int32(0); j < n.n; j++ {
		if k, v := d.member(obj, j); k == key {
			return v
		}
	}
	return -1
}

// elem returns an array's j-th element.
func (d *doc) elem(arr int32, j int32) int32 { return d.kids[d.nodes[arr].first+j] }

// subObject adds a node holding some members of an object.
func (d *doc) subObject(obj int32, members []int32) int32 {
	o := d.nodes[obj]
	first := int32(len(d.kids))
	for _, j := range members {
		d.kids = append(d.kids, d.kids[o.first+2*j], d.kids[o.first+2*j+1])
	}
	d.nodes = append(d.nodes, node{kind: kObject, start: o.start, end: o.end, first: first, n: int32(len(members))})
	return int32(len(d.nodes) - 1)
}

// appendCompact appends JSON text without the white space between tokens
// (the source was checked by parseDoc), so that a row stays on one line.
func appendCompact(dst, raw []byte) []byte {
	inString := false
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if inString {
			dst = append(dst, c)
			switch c {
			case '\\':
				i++
				dst = append(dst, raw[i])
			case '"':
				inString = false
			}
			continue
		}
		switch c {
		case ' ', '\t', '\n', '\r':
		case '"':
			inString = true
			dst = append(dst, c)
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

// appendQuoted appends s as strconv.AppendQuote does, without going rune
// by rune for the names and ids it is used for (printable ASCII with no
// quote or backslash, which need no escapes).
func appendQuoted(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			return strconv.AppendQuote(dst, s)
		}
	}
	dst = append(dst, '"')
	dst = append(dst, s...)
	return append(dst, '"')
}
