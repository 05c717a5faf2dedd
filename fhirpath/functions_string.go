package fhirpath

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html"
	"regexp"
	"strings"
	"sync"
	"unicode/utf8"
)

// String manipulation functions (FHIRPath §5.6) and encode/decode,
// escape/unescape. Positions count characters, not bytes.
func init() {
	strFn := func(fn func(c *call, s string) (Collection, error)) func(c *call, in Collection) (Collection, error) {
		return func(c *call, in Collection) (Collection, error) {
			s, ok, err := inputString(in)
			if err != nil || !ok {
				return nil, err
			}
			return fn(c, s)
		}
	}
	strArgFn := func(fn func(s, arg string) Collection) func(c *call, in Collection) (Collection, error) {
		return strFn(func(c *call, s string) (Collection, error) {
			arg, ok, err := c.stringArg(0)
			if err != nil || !ok {
				return nil, err
			}
			return fn(s, arg), nil
		})
	}
	functions["indexOf"] = def(1, 1, strArgFn(func(s, sub string) Collection {
		i := strings.Index(s, sub)
		if i < 0 {
			return Collection{intValue(-1)}
		}
		return Collection{intValue(int64(utf8.RuneCountInString(s[:i])))}
	}))
	functions["lastIndexOf"] = def(1, 1, strArgFn(func(s, sub string) Collection {
		i := strings.LastIndex(s, sub)
		if i < 0 {
			return Collection{intValue(-1)}
		}
		return Collection{intValue(int64(utf8.RuneCountInString(s[:i])))}
	}))
	functions["substring"] = def(1, 2, strFn(func(c *call, s string) (Collection, error) {
		start, ok, err := c.intArg(0)
		if err != nil || !ok {
			return nil, err
		}
		r := []rune(s)
		if start < 0 || start >= int64(len(r)) {
			return nil, nil
		}
		end := int64(len(r))
		if c.hasArg(1) {
			n, ok, err := c.intArg(1)
			if err != nil {
				return nil, err
			}
			if ok {
				end = min(end, start+max(n, 0))
			}
		}
		return Collection{stringValue(string(r[start:end]))}, nil
	}))
	functions["startsWith"] = def(1, 1, strArgFn(func(s, p string) Collection { return boolCollection(strings.HasPrefix(s, p)) }))
	functions["endsWith"] = def(1, 1, strArgFn(func(s, p string) Collection { return boolCollection(strings.HasSuffix(s, p)) }))
	functions["contains"] = def(1, 1, strArgFn(func(s, p string) Collection { return boolCollection(strings.Contains(s, p)) }))
	functions["upper"] = def(0, 0, strFn(func(_ *call, s string) (Collection, error) {
		return Collection{stringValue(strings.ToUpper(s))}, nil
	}))
	functions["lower"] = def(0, 0, strFn(func(_ *call, s string) (Collection, error) {
		return Collection{stringValue(strings.ToLower(s))}, nil
	}))
	functions["replace"] = def(2, 2, strFn(func(c *call, s string) (Collection, error) {
		pattern, ok1, err := c.stringArg(0)
		if err != nil {
			return nil, err
		}
		sub, ok2, err := c.stringArg(1)
		if err != nil || !ok1 || !ok2 {
			return nil, err
		}
		return Collection{stringValue(strings.ReplaceAll(s, pattern, sub))}, nil
	}))
	functions["matches"] = def(1, 1, strFn(func(c *call, s string) (Collection, error) {
		re, ok, err := c.regexArg(0, false)
		if err != nil || !ok {
			return nil, err
		}
		return boolCollection(re.MatchString(s)), nil
	}))
	functions["matchesFull"] = def(1, 1, strFn(func(c *call, s string) (Collection, error) {
		re, ok, err := c.regexArg(0, true)
		if err != nil || !ok {
			return nil, err
		}
		return boolCollection(re.MatchString(s)), nil
	}))
	functions["replaceMatches"] = def(2, 2, strFn(func(c *call, s string) (Collection, error) {
		re, ok1, err := c.regexArg(0, false)
		if err != nil {
			return nil, err
		}
		sub, ok2, err := c.stringArg(1)
		if err != nil || !ok1 || !ok2 {
			return nil, err
		}
		return Collection{stringValue(re.ReplaceAllString(s, sub))}, nil
	}))
	functions["length"] = def(0, 0, strFn(func(_ *call, s string) (Collection, error) {
		return Collection{intValue(int64(utf8.RuneCountInString(s)))}, nil
	}))
	functions["toChars"] = def(0, 0, strFn(func(_ *call, s string) (Collection, error) {
		var out Collection
		for _, r := range s {
			out = append(out, stringValue(string(r)))
		}
		return out, nil
	}))
	functions["trim"] = def(0, 0, strFn(func(_ *call, s string) (Collection, error) {
		return Collection{stringValue(strings.TrimSpace(s))}, nil
	}))
	functions["split"] = def(1, 1, strFn(func(c *call, s string) (Collection, error) {
		sep, ok, err := c.stringArg(0)
		if err != nil || !ok {
			return nil, err
		}
		var out Collection
		for _, part := range strings.Split(s, sep) {
			out = append(out, stringValue(part))
		}
		return out, nil
	}))
	functions["join"] = def(0, 1, func(c *call, in Collection) (Collection, error) {
		sep, _, err := c.stringArg(0)
		if err != nil {
			return nil, err
		}
		parts := make([]string, 0, len(in))
		for _, v := range in {
			s, err := v.system()
			if err != nil {
				return nil, err
			}
			str, ok := s.(string)
			if !ok {
				return nil, fmt.Errorf("join() needs strings, got %s", v.describe())
			}
			parts = append(parts, str)
		}
		return Collection{stringValue(strings.Join(parts, sep))}, nil
	})
	functions["encode"] = def(1, 1, strFn(func(c *call, s string) (Collection, error) {
		format, ok, err := c.stringArg(0)
		if err != nil || !ok {
			return nil, err
		}
		switch format {
		case "hex":
			return Collection{stringValue(hex.EncodeToString([]byte(s)))}, nil
		case "base64":
			return Collection{stringValue(base64.StdEncoding.EncodeToString([]byte(s)))}, nil
		case "urlbase64":
			return Collection{stringValue(base64.URLEncoding.EncodeToString([]byte(s)))}, nil
		}
		return nil, fmt.Errorf("unknown encoding %q (want hex, base64 or urlbase64)", format)
	}))
	functions["decode"] = def(1, 1, strFn(func(c *call, s string) (Collection, error) {
		format, ok, err := c.stringArg(0)
		if err != nil || !ok {
			return nil, err
		}
		var b []byte
		switch format {
		case "hex":
			b, err = hex.DecodeString(s)
		case "base64":
			b, err = base64.StdEncoding.DecodeString(s)
		case "urlbase64":
			b, err = base64.URLEncoding.DecodeString(s)
		default:
			return nil, fmt.Errorf("unknown encoding %q (want hex, base64 or urlbase64)", format)
		}
		if err != nil {
			return nil, fmt.Errorf("decode %s: %w", format, err)
		}
		return Collection{stringValue(string(b))}, nil
	}))
	functions["escape"] = def(1, 1, strFn(func(c *call, s string) (Collection, error) {
		format, ok, err := c.stringArg(0)
		if err != nil || !ok {
			return nil, err
		}
		switch format {
		case "html":
			return Collection{stringValue(html.EscapeString(s))}, nil
		case "json":
			b, _ := json.Marshal(s)
			return Collection{stringValue(string(b[1 : len(b)-1]))}, nil
		}
		return nil, fmt.Errorf("unknown escape format %q (want html or json)", format)
	}))
	functions["unescape"] = def(1, 1, strFn(func(c *call, s string) (Collection, error) {
		format, ok, err := c.stringArg(0)
		if err != nil || !ok {
			return nil, err
		}
		switch format {
		case "html":
			return Collection{stringValue(html.UnescapeString(s))}, nil
		case "json":
			var out string
			if err := json.Unmarshal([]byte(`"`+s+`"`), &out); err != nil {
				return nil, fmt.Errorf("unescape json: %w", err)
			}
			return Collection{stringValue(out)}, nil
		}
		return nil, fmt.Errorf("unknown escape format %q (want html or json)", format)
	}))
}

var regexCache sync.Map // pattern → *regexp.Regexp

// regexArg compiles argument i as a regular expression (Go RE2 syntax,
// which lacks look-around and back-references). full anchors it.
func (c *call) regexArg(i int, full bool) (*regexp.Regexp, bool, error) {
	pattern, ok, err := c.stringArg(i)
	if err != nil || !ok {
		return nil, ok, err
	}
	if full {
		pattern = `^(?:` + pattern + `)$`
	}
	if re, ok := regexCache.Load(pattern); ok {
		return re.(*regexp.Regexp), true, nil
	}
	re, err := regexp.Compile(`(?s)` + pattern)
	if err != nil {
		return nil, false, fmt.Errorf("regular expression %s (RE2 syntax: no look-around or back-references): %w", quoteString(pattern), err)
	}
	regexCache.Store(pattern, re)
	return re, true, nil
}
