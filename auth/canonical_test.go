package auth

import (
	"net/http"
	"slices"
	"testing"
)

func TestCanonicalPaths(t *testing.T) {
	cases := []struct {
		raw  string
		want []string // AWS form first, then the other accepted forms
	}{
		{"/", []string{"/"}},
		{"/datastore/abc/r4/Patient", []string{"/datastore/abc/r4/Patient"}},
		{"/r4/Patient/$export", []string{"/r4/Patient/%24export", "/r4/Patient/$export"}},
		{"/a%20b", []string{"/a%2520b"}}, // double encoding; no raw form with '%'
		{"/a%2Fb", []string{"/a%252Fb"}},
		{"/%C3%BC", []string{"/%25C3%25BC"}},
		{"/a:b", []string{"/a%3Ab", "/a:b"}},
		{"/a//b/", []string{"/a/b/", "/a//b/"}},
		{"/a/./b/../c", []string{"/a/c", "/a/./b/../c"}},
		{"/..", []string{"/", "/.."}},
		{"/a/b/..", []string{"/a", "/a/b/.."}},
		{"/~a-b_c.d", []string{"/~a-b_c.d"}},
	}
	for _, c := range cases {
		if got := canonicalPaths(c.raw, true); !slices.Equal(got, c.want) {
			t.Errorf("canonicalPaths(%q) = %q, want %q", c.raw, got, c.want)
		}
	}
}

func TestCanonicalQuery(t *testing.T) {
	cases := []struct{ raw, want string }{
		{"", ""},
		{"b=2&a=1&a=0", "a=0&a=1&b=2"},
		{"q=a+b", "q=a%20b"},
		{"q=a%2Bb", "q=a%2Bb"},
		{"q=a%2bb", "q=a%2Bb"},
		{"k=a/b&k=a-b", "k=a%2Fb&k=a-b"},
		{"%C3%A9=2&a=1", "%C3%A9=2&a=1"},
		{"empty=&flag", "empty=&flag="},
		{"a=1&&b=2&", "a=1&b=2"},
		{"bad=%zz&pct=100%", "bad=%25zz&pct=100%25"},
		{"code=http://loinc.org|8480-6", "code=http%3A%2F%2Floinc.org%7C8480-6"},
		{"a=b=c", "a=b%3Dc"},
	}
	for _, c := range cases {
		if got := canonicalQuery(c.raw, false); got != c.want {
			t.Errorf("canonicalQuery(%q) = %q, want %q", c.raw, got, c.want)
		}
	}
	if got := canonicalQuery("X-Amz-Signature=abc&X-Amz-Date=1", true); got != "X-Amz-Date=1" {
		t.Errorf("presigned query keeps the signature: %q", got)
	}
}

func TestCanonicalHeaders(t *testing.T) {
	r, _ := http.NewRequest("POST", "https://example.com:8443/x", nil)
	r.Header["X-Amz-Date"] = []string{"20261125T120000Z"}
	r.Header["My-Header"] = []string{"  a   b  \t", "c    d"}
	r.Header["Content-Type"] = []string{"application/json"}
	r.ContentLength = 0
	r.Header.Del("Content-Length")
	got := string(appendCanonicalHeaders(nil, r, []string{"content-length", "content-type", "host", "my-header", "x-amz-date", "x-missing"}))
	want := "content-length:0\ncontent-type:application/json\nhost:example.com:8443\nmy-header:a b,c d\nx-amz-date:20261125T120000Z\nx-missing:\n"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}
