package terminology

import (
	"context"
	"testing"
)

// FuzzExpand expands stored value sets and code systems of any content:
// an answer or an error, never a panic or a loop.
func FuzzExpand(f *testing.F) {
	s := src()
	for _, d := range s["ValueSet"] {
		f.Add(d, animals)
	}
	f.Add(`{"resourceType":"ValueSet","url":"u","compose":{"include":[{"valueSet":["u","v"]}],"exclude":[{"system":"s"}]}}`, `{"resourceType":"CodeSystem","url":"s","concept":[{"code":"a","property":[{"code":"parent","valueCode":"a"}]}]}`)
	f.Fuzz(func(t *testing.T, vs, cs string) {
		m := memory{"ValueSet": {vs}, "CodeSystem": {cs}}
		if _, err := m.ByURL(context.Background(), "ValueSet", ""); err != nil {
			return // not JSON: the store holds only valid resources
		}
		if _, err := m.ByURL(context.Background(), "CodeSystem", ""); err != nil {
			return
		}
		terms := New(m)
		for _, url := range []string{"u", "http://x/pets", "ValueSet/pets"} {
			_, _ = terms.Expand(context.Background(), url)
		}
		_, _ = terms.Below(context.Background(), "s", "a")
		_, _ = terms.Above(context.Background(), "http://x/animals", "cat")
	})
}
