package auth

import (
	"net/http"
	"net/textproto"
	"slices"
	"strconv"
	"strings"
)

// rawPathQuery returns the request target's path and query exactly as the
// client sent them. RequestURI is the unmodified request line, so handlers
// mounted under http.StripPrefix still verify what the client signed.
func rawPathQuery(r *http.Request) (path, query string) {
	if strings.HasPrefix(r.RequestURI, "/") {
		path, query, _ = strings.Cut(r.RequestURI, "?")
	} else {
		path, query = r.URL.EscapedPath(), r.URL.RawQuery
	}
	if path == "" {
		path = "/"
	}
	return path, query
}

// canonicalPaths returns the canonical URI forms to try, most standard
// first: the normalised path URI-encoded again (AWS's rule for every service
// but S3), the unnormalised path encoded again (AWS SDK for Go v2), and the raw
// path (curl 7.88); duplicates are dropped. See doc.go for why the raw form is
// only offered for paths without '%'.
func canonicalPaths(raw string, withRaw bool) []string {
	norm := normalizePath(raw)
	out := []string{escape(norm, true)}
	if norm != raw {
		out = appendNew(out, escape(raw, true))
	}
	if withRaw && !strings.Contains(raw, "%") {
		out = appendNew(out, raw)
	}
	return out
}

func appendNew(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

// normalizePath removes "." and ".." segments (RFC 3986 section 5.2.4) and
// empty segments, keeping a leading and a trailing slash.
func normalizePath(p string) string {
	if !strings.Contains(p, "/.") && !strings.Contains(p, "//") {
		return p // the common case: nothing to remove
	}
	var segs []string
	for s := range strings.SplitSeq(p, "/") {
		switch s {
		case "", ".":
		case "..":
			if len(segs) > 0 {
				segs = segs[:len(segs)-1]
			}
		default:
			segs = append(segs, s)
		}
	}
	out := "/" + strings.Join(segs, "/")
	if len(segs) > 0 && strings.HasSuffix(p, "/") {
		out += "/"
	}
	return out
}

// escape percent-encodes every byte except the unreserved characters
// (A-Z a-z 0-9 - _ . ~) and, when keepSlash, '/'. Hex digits are upper case.
func escape(s string, keepSlash bool) string {
	n := 0
	for i := 0; i < len(s); i++ {
		if !unreserved(s[i]) && !(keepSlash && s[i] == '/') {
			n++
		}
	}
	if n == 0 {
		return s
	}
	b := make([]byte, 0, len(s)+2*n)
	return string(appendEscaped(b, s, keepSlash))
}

func appendEscaped(b []byte, s string, keepSlash bool) []byte {
	const hexDigits = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved(c) || (keepSlash && c == '/') {
			b = append(b, c)
		} else {
			b = append(b, '%', hexDigits[c>>4], hexDigits[c&15])
		}
	}
	return b
}

func unreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '-' || c == '_' || c == '.' || c == '~'
}

// unescapeQuery decodes a query key or value: %XX escapes and '+' as space,
// as Go's net/url and the AWS SDK for Go read them. A '%' that does not start
// a valid escape is kept as a literal '%'.
func unescapeQuery(s string) string {
	if !strings.ContainsAny(s, "%+") {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '+':
			b = append(b, ' ')
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			b = append(b, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
		default:
			b = append(b, c)
		}
	}
	return string(b)
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	default:
		return c - 'a' + 10
	}
}

// canonicalQuery returns the AWS canonical query string: every key and value
// decoded and strictly re-encoded, pairs sorted by encoded key then value,
// "k=v" joined with '&'. A presigned URL's X-Amz-Signature is left out.
func canonicalQuery(raw string, presigned bool) string {
	if raw == "" {
		return ""
	}
	type pair struct{ k, v string }
	pairs := make([]pair, 0, strings.Count(raw, "&")+1)
	for part := range strings.SplitSeq(raw, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		k = unescapeQuery(k)
		if presigned && k == "X-Amz-Signature" {
			continue
		}
		pairs = append(pairs, pair{escape(k, false), escape(unescapeQuery(v), false)})
	}
	slices.SortFunc(pairs, func(a, b pair) int {
		if c := strings.Compare(a.k, b.k); c != 0 {
			return c
		}
		return strings.Compare(a.v, b.v)
	})
	var b strings.Builder
	for i, p := range pairs {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.k)
		b.WriteByte('=')
		b.WriteString(p.v)
	}
	return b.String()
}

// canonicalQueries returns the canonical query forms to try: AWS's, then the
// raw query as curl 7.88 signs it, if different. A presigned URL (which
// curl does not make) has AWS's form only, as does withRaw false.
func canonicalQueries(raw string, presigned, withRaw bool) []string {
	c := canonicalQuery(raw, presigned)
	if presigned || !withRaw || c == raw {
		return []string{c}
	}
	return []string{c, raw}
}

// headerKeys maps the lower-case names clients commonly sign to Go's
// canonical header keys, sparing an allocation per lookup.
var headerKeys = map[string]string{
	"content-length":        "Content-Length",
	"content-type":          "Content-Type",
	"content-encoding":      "Content-Encoding",
	"content-md5":           "Content-Md5",
	"accept":                "Accept",
	"x-amz-date":            "X-Amz-Date",
	"x-amz-target":          "X-Amz-Target",
	"x-amz-content-sha256":  "X-Amz-Content-Sha256",
	"x-amz-security-token":  "X-Amz-Security-Token",
	"x-amz-user-agent":      "X-Amz-User-Agent",
	"x-amz-api-version":     "X-Amz-Api-Version",
	"amz-sdk-invocation-id": "Amz-Sdk-Invocation-Id",
	"amz-sdk-request":       "Amz-Sdk-Request",
}

func headerKey(name string) string {
	if k, ok := headerKeys[name]; ok {
		return k
	}
	return textproto.CanonicalMIMEHeaderKey(name)
}

// appendCanonicalHeaders appends "name:value\n" for each signed header:
// values trimmed, runs of spaces folded to one, repeated headers joined with
// ','. Go's server moves Host, and for requests Transfer-Encoding, out of
// r.Header; they are read from the request fields.
func appendCanonicalHeaders(b []byte, r *http.Request, names []string) []byte {
	for _, name := range names {
		b = append(b, name...)
		b = append(b, ':')
		switch name {
		case "host":
			host := r.Host
			if host == "" {
				host = r.URL.Host
			}
			b = appendHeaderValue(b, host)
		default:
			values := r.Header[headerKey(name)]
			switch {
			case len(values) == 0 && name == "content-length" && r.ContentLength >= 0:
				b = strconv.AppendInt(b, r.ContentLength, 10)
			case len(values) == 0 && name == "transfer-encoding":
				b = append(b, strings.Join(r.TransferEncoding, ",")...)
			}
			for i, v := range values {
				if i > 0 {
					b = append(b, ',')
				}
				b = appendHeaderValue(b, v)
			}
		}
		b = append(b, '\n')
	}
	return b
}

// appendHeaderValue appends v without leading and trailing blanks and with
// each run of spaces replaced by one space.
func appendHeaderValue(b []byte, v string) []byte {
	v = strings.Trim(v, " \t")
	space := false
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == ' ' {
			if space {
				continue
			}
			space = true
		} else {
			space = false
		}
		b = append(b, c)
	}
	return b
}
