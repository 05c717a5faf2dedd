package sqlserver

import "strings"

// keepPatternEscapes works around the SQL tokenizer (vitess), which decodes
// '\_' and '\%' in string literals to '_' and '%'. MySQL keeps the
// backslash in both, so that LIKE 'a\_b' matches only a literal underscore.
// The query is rewritten so that the tokenizer's decoding yields what MySQL
// reads: inside quoted strings, a \_ or \% becomes \\_ or \\%. Comments and
// backquoted names are left alone; other text is returned unchanged.
func keepPatternEscapes(q string) string {
	if !strings.Contains(q, `\`) {
		return q
	}
	var b strings.Builder
	changed := false
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case c == '\'' || c == '"':
			b.WriteByte(c)
			for i++; i < len(q); i++ {
				d := q[i]
				if d == '\\' && i+1 < len(q) {
					if n := q[i+1]; n == '_' || n == '%' {
						b.WriteString(`\\`)
						b.WriteByte(n)
						changed = true
					} else {
						b.WriteByte(d)
						b.WriteByte(n)
					}
					i++
					continue
				}
				b.WriteByte(d)
				if d == c {
					if i+1 < len(q) && q[i+1] == c { // doubled quote
						i++
						b.WriteByte(c)
						continue
					}
					break
				}
			}
		case c == '`':
			j := strings.IndexByte(q[i+1:], '`')
			if j < 0 {
				b.WriteString(q[i:])
				i = len(q)
				continue
			}
			b.WriteString(q[i : i+j+2])
			i += j + 1
		case c == '#' || (c == '-' && strings.HasPrefix(q[i:], "-- ")):
			j := strings.IndexByte(q[i:], '\n')
			if j < 0 {
				b.WriteString(q[i:])
				i = len(q)
				continue
			}
			b.WriteString(q[i : i+j+1])
			i += j
		case c == '/' && strings.HasPrefix(q[i:], "/*"):
			j := strings.Index(q[i+2:], "*/")
			if j < 0 {
				b.WriteString(q[i:])
				i = len(q)
				continue
			}
			b.WriteString(q[i : i+j+4])
			i += j + 3
		default:
			b.WriteByte(c)
		}
	}
	if !changed {
		return q
	}
	return b.String()
}
