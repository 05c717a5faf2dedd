package sqlserver

import (
	"fmt"
	"strconv"
	"strings"
)

// A MySQL JSON path: $ followed by steps .key, ."quoted key", [n], [last],
// [last-n], [*], .* and **. See the MySQL reference, "JSON Path Syntax".
type jsonStep struct {
	key      string // member name; "" for an index step
	index    int    // array index, or offset from the end when fromLast
	fromLast bool
	isIndex  bool
	wildcard bool // [*], .* or **
}

const maxPathSteps = 64

func parseJSONPath(p string) ([]jsonStep, error) {
	s := strings.TrimSpace(p)
	if !strings.HasPrefix(s, "$") {
		return nil, fmt.Errorf("invalid JSON path %q: must start with $", p)
	}
	var steps []jsonStep
	i := 1
	for i < len(s) {
		if len(steps) >= maxPathSteps {
			return nil, fmt.Errorf("invalid JSON path %q: more than %d steps", p, maxPathSteps)
		}
		switch {
		case s[i] == ' ':
			i++
		case strings.HasPrefix(s[i:], "**"):
			steps = append(steps, jsonStep{wildcard: true})
			i += 2
		case s[i] == '.':
			i++
			for i < len(s) && s[i] == ' ' {
				i++
			}
			if i >= len(s) {
				return nil, fmt.Errorf("invalid JSON path %q: member name expected at end", p)
			}
			if s[i] == '*' {
				steps = append(steps, jsonStep{wildcard: true})
				i++
				continue
			}
			if s[i] == '"' {
				var b strings.Builder
				i++
				closed := false
				for i < len(s) {
					c := s[i]
					if c == '\\' && i+1 < len(s) {
						b.WriteByte(s[i+1])
						i += 2
						continue
					}
					i++
					if c == '"' {
						closed = true
						break
					}
					b.WriteByte(c)
				}
				if !closed {
					return nil, fmt.Errorf("invalid JSON path %q: unterminated quoted member", p)
				}
				steps = append(steps, jsonStep{key: b.String()})
				continue
			}
			start := i
			for i < len(s) && s[i] != '.' && s[i] != '[' && s[i] != ' ' && s[i] != '*' {
				i++
			}
			key := s[start:i]
			if key == "" || !validPathKey(key) {
				return nil, fmt.Errorf("invalid JSON path %q: bad member name %q", p, key)
			}
			steps = append(steps, jsonStep{key: key})
		case s[i] == '[':
			end := strings.IndexByte(s[i:], ']')
			if end < 0 {
				return nil, fmt.Errorf("invalid JSON path %q: missing ]", p)
			}
			in := strings.TrimSpace(s[i+1 : i+end])
			i += end + 1
			switch {
			case in == "*":
				steps = append(steps, jsonStep{isIndex: true, wildcard: true})
			case in == "last":
				steps = append(steps, jsonStep{isIndex: true, fromLast: true})
			case strings.HasPrefix(in, "last"):
				rest := strings.TrimSpace(strings.TrimPrefix(in, "last"))
				if !strings.HasPrefix(rest, "-") {
					return nil, fmt.Errorf("invalid JSON path %q: bad index %q", p, in)
				}
				n, err := strconv.Atoi(strings.TrimSpace(rest[1:]))
				if err != nil || n < 0 {
					return nil, fmt.Errorf("invalid JSON path %q: bad index %q", p, in)
				}
				steps = append(steps, jsonStep{isIndex: true, fromLast: true, index: n})
			default:
				n, err := strconv.Atoi(in)
				if err != nil || n < 0 || n > 1<<30 {
					return nil, fmt.Errorf("invalid JSON path %q: bad index %q", p, in)
				}
				steps = append(steps, jsonStep{isIndex: true, index: n})
			}
		default:
			return nil, fmt.Errorf("invalid JSON path %q: unexpected %q at offset %d", p, s[i], i)
		}
	}
	return steps, nil
}

// validPathKey: an unquoted member name is an ECMAScript identifier.
func validPathKey(k string) bool {
	for i, r := range k {
		if r == '_' || r == '$' || r > 127 || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (i > 0 && r >= '0' && r <= '9') {
			continue
		}
		return false
	}
	return true
}

// jsonArg is a value as DuckDB's JSON functions take it: typed nested
// columns become JSON; text is parsed as JSON text, as MySQL does.
func jsonArg(e texpr) string {
	if e.typ != nil && e.typ.nested() && e.typ.Name != "JSON" {
		return "to_json(" + e.sql + ")"
	}
	return e.sql
}

// jsonExtract translates x->path (unquote false) and x->>path. Over a typed
// STRUCT/LIST column the path becomes native field and element access,
// which DuckDB runs without building JSON; elsewhere DuckDB's JSON functions
// read the value.
func jsonExtract(x, path texpr, unquote bool) (texpr, error) {
	if path.lit == nil {
		fnName := "json_extract"
		if unquote {
			fnName = "json_extract_string"
		}
		return texpr{sql: fnName + "(" + jsonArg(x) + ", " + path.sql + ")", typ: &duckType{Name: "JSON"}}, nil
	}
	steps, err := parseJSONPath(*path.lit)
	if err != nil {
		return texpr{}, errSyntax("%v", err)
	}
	if x.typ != nil && x.typ.nested() && x.typ.Name != "JSON" {
		if out, ok := nativePath(x.sql, x.typ, steps); ok {
			return finishNative(out, unquote), nil
		}
	}
	fnName := "json_extract"
	typ := &duckType{Name: "JSON"}
	if unquote {
		fnName, typ = "json_extract_string", &duckType{Name: "VARCHAR"}
	}
	p := duckJSONPath(steps)
	return texpr{sql: fnName + "(" + jsonArg(x) + ", " + quoteString(p) + ")", typ: typ}, nil
}

// finishNative types the result of a native path: nested results are JSON,
// scalars keep their DuckDB type.
func finishNative(e texpr, unquote bool) texpr {
	if e.typ == nil || !e.typ.nested() {
		return e
	}
	if e.typ.Name == "JSON" {
		if unquote {
			return texpr{sql: "json_extract_string(" + e.sql + ", '$')", typ: &duckType{Name: "VARCHAR"}}
		}
		return e
	}
	if unquote {
		return texpr{sql: "CAST(to_json(" + e.sql + ") AS VARCHAR)", typ: &duckType{Name: "VARCHAR"}}
	}
	return texpr{sql: "to_json(" + e.sql + ")", typ: &duckType{Name: "JSON"}}
}

// nativePath walks steps over a DuckDB type. ok is false when a step cannot
// be expressed natively (wildcards below the first level, MAPs, UNIONs).
func nativePath(sql string, typ *duckType, steps []jsonStep) (texpr, bool) {
	cur := texpr{sql: sql, typ: typ}
	for i, st := range steps {
		switch {
		case cur.typ.Name == "JSON":
			rest := duckJSONPath(steps[i:])
			return texpr{sql: "json_extract(" + cur.sql + ", " + quoteString(rest) + ")", typ: &duckType{Name: "JSON"}}, true
		case st.wildcard && st.isIndex && (cur.typ.Name == "LIST" || cur.typ.Name == "ARRAY"):
			// $.list[*].rest: a JSON array of rest over the elements.
			inner, ok := nativePath("x", cur.typ.Elem, steps[i+1:])
			if !ok {
				return texpr{}, false
			}
			return texpr{sql: "[" + inner.sql + " FOR x IN " + cur.sql + "]", typ: &duckType{Name: "LIST", Elem: inner.typ}}, true
		case st.wildcard:
			return texpr{}, false
		case st.isIndex && (cur.typ.Name == "LIST" || cur.typ.Name == "ARRAY"):
			idx := strconv.Itoa(st.index + 1) // DuckDB lists count from 1
			if st.fromLast {
				idx = strconv.Itoa(-1 - st.index)
			}
			cur = texpr{sql: "(" + cur.sql + ")[" + idx + "]", typ: cur.typ.Elem}
		case st.isIndex:
			// MySQL: $[0] of a non-array is the value itself.
			if st.index != 0 || st.fromLast {
				return texpr{sql: "NULL"}, true
			}
		case cur.typ.Name == "STRUCT":
			ft, name, ok := cur.typ.field(st.key)
			if !ok {
				return texpr{sql: "NULL"}, true // no such member: NULL, as MySQL
			}
			cur = texpr{sql: "(" + cur.sql + ")." + quoteIdent(name), typ: ft}
		case cur.typ.Name == "LIST" || cur.typ.Name == "ARRAY":
			// A member of an array is NULL in MySQL (no auto-wrapping of keys).
			return texpr{sql: "NULL"}, true
		default:
			if cur.typ.nested() { // MAP, UNION
				return texpr{}, false
			}
			return texpr{sql: "NULL"}, true // a member of a scalar
		}
	}
	return cur, true
}

// duckJSONPath prints steps in the JSON path syntax DuckDB reads.
func duckJSONPath(steps []jsonStep) string {
	var b strings.Builder
	b.WriteString("$")
	for _, st := range steps {
		switch {
		case st.wildcard && st.isIndex:
			b.WriteString("[*]")
		case st.wildcard && st.key == "" && !st.isIndex:
			b.WriteString(".*")
		case st.isIndex && st.fromLast:
			fmt.Fprintf(&b, "[#-%d]", st.index+1)
		case st.isIndex:
			fmt.Fprintf(&b, "[%d]", st.index)
		default:
			b.WriteString(`."` + strings.ReplaceAll(st.key, `"`, `\"`) + `"`)
		}
	}
	return b.String()
}
