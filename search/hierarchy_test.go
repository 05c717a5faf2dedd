package search

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/fhirlake/fhirlake/fhirflat"
)

// TestReferenceHierarchy checks :below and :above on references over a
// tree of locations (l1 > l2 > l3, l4 alone) and a cycle (c1 <-> c2),
// against the closure of the parent links computed here.
func TestReferenceHierarchy(t *testing.T) {
	parent := map[string]string{"l1": "", "l2": "l1", "l3": "l2", "l4": "", "c1": "c2", "c2": "c1"}
	var docs [][]byte
	for loc, p := range parent {
		partOf := ""
		if p != "" {
			partOf = `,"partOf":{"reference":"Location/` + p + `"}`
		}
		docs = append(docs,
			[]byte(`{"resourceType":"Location","id":"`+loc+`","name":"`+loc+`"`+partOf+`}`),
			[]byte(`{"resourceType":"Encounter","id":"e-`+loc+`","status":"finished","class":{"code":"AMB"},"location":[{"location":{"reference":"Location/`+loc+`"}}]}`))
	}
	st := emptyStore(t, "hierarchy")
	if err := importAll(st, docs); err != nil {
		t.Fatal(err)
	}
	// closure: x and every location reached by following next
	closure := func(x string, next func(string) []string) map[string]bool {
		seen := map[string]bool{x: true}
		for todo := []string{x}; len(todo) > 0; todo = todo[1:] {
			for _, n := range next(todo[0]) {
				if !seen[n] {
					seen[n] = true
					todo = append(todo, n)
				}
			}
		}
		return seen
	}
	up := func(x string) []string {
		if parent[x] == "" {
			return nil
		}
		return []string{parent[x]}
	}
	down := func(x string) []string {
		var out []string
		for k, p := range parent {
			if p == x {
				out = append(out, k)
			}
		}
		return out
	}
	// encounters at the locations of a set; locations whose parent is in it
	encounters := func(locs map[string]bool) map[string]bool {
		out := map[string]bool{}
		for l := range locs {
			out["e-"+l] = true
		}
		return out
	}
	children := func(locs map[string]bool) map[string]bool {
		out := map[string]bool{}
		for l, p := range parent {
			if locs[p] {
				out[l] = true
			}
		}
		return out
	}
	union := func(a, b map[string]bool) map[string]bool {
		out := map[string]bool{}
		for k := range a {
			out[k] = true
		}
		for k := range b {
			out[k] = true
		}
		return out
	}
	for _, c := range []struct {
		typ, query string
		want       map[string]bool
	}{
		{"Encounter", "location:below=Location/l1", encounters(closure("l1", down))},
		{"Encounter", "location:below=l2", encounters(closure("l2", down))},
		{"Encounter", "location:above=Location/l3", encounters(closure("l3", up))},
		{"Encounter", "location:below=Location/l3", encounters(closure("l3", down))},
		{"Encounter", "location:below=Location/l2,Location/l4", encounters(union(closure("l2", down), closure("l4", down)))},
		{"Encounter", "location:below=Location/c1", encounters(closure("c1", down))},
		{"Encounter", "location:below=https://fhir.example/r4/Location/l2", encounters(closure("l2", down))},
		{"Location", "partof:below=Location/l1", children(closure("l1", down))},
		{"Location", "partof:above=Location/l3", children(closure("l3", up))},
		{"Location", "partof:below=Location/nowhere", map[string]bool{}},
	} {
		got, total := ids(t, st, c.typ, c.query)
		if total != len(c.want) || diff(c.want, got) != "" {
			t.Errorf("%s?%s: %d matches, want %d: %s", c.typ, c.query, total, len(c.want), diff(c.want, got))
		}
	}
	if n := len(encounters(closure("l1", down))); n != 3 {
		t.Fatalf("the tree is not what the test means: %d below l1", n)
	}
	for query, want := range map[string]string{
		"Observation?subject:below=Patient/1": "needs a hierarchy of Patient resources",
		"Observation?subject:below=1":         "is ambiguous",
		"Encounter?location:below=Location/":  "takes Type/id",
	} {
		typ, q, _ := strings.Cut(query, "?")
		params, _ := url.ParseQuery(q)
		parsed, err := Parse(fhirflat.Default().Model(), typ, params, true)
		if err == nil {
			_, err = NewCompiler(fhirflat.Default()).Run(t.Context(), st, parsed, "")
		}
		var se *Error
		if !errors.As(err, &se) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want a search error with %q", query, err, fmt.Sprint(want))
		}
	}
}
