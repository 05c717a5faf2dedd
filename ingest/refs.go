package ingest

import (
	"encoding/json"
	"fmt"

	"unicode/utf8"
)

// rewriteRefs returns src with the string value of every "reference"
// member (Reference.reference, wherever it occurs) replaced by what fn
// returns for it; fn returns ok false to keep a value. src is returned
// as is when nothing changes. src must be valid JSON (it comes from a
// parsed Bundle); malformed input gives an error, never a panic.
func rewriteRefs(src []byte, fn func(ref string) (string, bool, error)) ([]byte, error) {
	var out []byte // nil until the first change
	last := 0      // src[last:] is not yet copied to out
	var stack []byte
	expectKey, refKey := false, false
	i := 0
	for i < len(src) {
		c := src[i]
		switch c {
		case ' ', '\t', '\n', '\r':
			i++
		case '{':
			stack = append(stack, '{')
			expectKey, refKey = true, false
			i++
		case '[':
			stack = append(stack, '[')
			expectKey, refKey = false, false
			i++
		case '}', ']':
			open := byte('{')
			if c == ']' {
				open = '['
			}
			if len(stack) == 0 || stack[len(stack)-1] != open {
				return nil, fmt.Errorf("unbalanced %q at byte %d", c, i)
			}
			stack = stack[:len(stack)-1]
			expectKey, refKey = false, false
			i++
		case ',':
			expectKey = len(stack) > 0 && stack[len(stack)-1] == '{'
			refKey = false
			i++
		case ':':
			expectKey = false
			i++
		case '"':
			end, escaped, err := stringEnd(src, i)
			if err != nil {
				return nil, err
			}
			inObject := len(stack) > 0 && stack[len(stack)-1] == '{'
			if inObject && expectKey {
				refKey = string(src[i:end]) == `"reference"`
			} else {
				if inObject && refKey {
					val := string(src[i+1 : end-1])
					if escaped {
						if err := json.Unmarshal(src[i:end], &val); err != nil {
							return nil, fmt.Errorf("string at byte %d: %w", i, err)
						}
					}
					repl, ok, err := fn(val)
					if err != nil {
						return nil, err
					}
					if ok && repl != val {
						out = append(out, src[last:i]...)
						out = appendJSONString(out, repl)
						last = end
					}
				}
				refKey = false
			}
			i = end
		default:
			// a number or a literal
			j := i
			for j < len(src) && !isDelim(src[j]) {
				j++
			}
			if j == i {
				return nil, fmt.Errorf("unexpected %q at byte %d", c, i)
			}
			refKey = false
			i = j
		}
	}
	if len(stack) != 0 {
		return nil, fmt.Errorf("unterminated JSON")
	}
	if out == nil {
		return src, nil
	}
	return append(out, src[last:]...), nil
}

func isDelim(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\r', ',', ':', '{', '}', '[', ']', '"':
		return true
	}
	return false
}

// stringEnd returns the index after the closing quote of the string
// starting at src[i], and whether it has escapes.
func stringEnd(src []byte, i int) (int, bool, error) {
	escaped := false
	for j := i + 1; j < len(src); j++ {
		switch src[j] {
		case '\\':
			escaped = true
			j++
		case '"':
			return j + 1, escaped, nil
		}
	}
	return 0, false, fmt.Errorf("unterminated string at byte %d", i)
}

// appendJSONString appends s as a JSON string.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		// the run of bytes that need no escape, appended at once
		j := i
		for j < len(s) && s[j] >= 0x20 && s[j] != '"' && s[j] != '\\' && s[j] < utf8.RuneSelf {
			j++
		}
		if j > i {
			b = append(b, s[i:j]...)
			i = j
			continue
		}
		c := s[i]
		if c < utf8.RuneSelf {
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, `\u00`...)
				b = append(b, "0123456789abcdef"[c>>4], "0123456789abcdef"[c&0xf])
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, `\ufffd`...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}

// quoteJSON is appendJSONString for a new string.
func quoteJSON(s string) string { return string(appendJSONString(nil, s)) }
