package fhirapi

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// TestPagingWhileWriting follows a search's page links while resources
// are created, updated and deleted between the page requests: the pages
// give the matches as they were at the first page, each once, in order.
func TestPagingWhileWriting(t *testing.T) {
	a := newTestAPI(t)
	put := func(id, family string) {
		t.Helper()
		r := a.do("PUT", "Patient/"+id, fmt.Sprintf(`{"resourceType":"Patient","id":%q,"name":[{"family":%q}]}`, id, family))
		if r.status != 200 && r.status != 201 {
			t.Fatalf("PUT Patient/%s: %d %s", id, r.status, r.body)
		}
	}
	var want []string
	for i := 10; i < 35; i++ {
		id := fmt.Sprintf("p%d", i)
		put(id, "Paging")
		want = append(want, "Patient/"+id)
	}
	put("q1", "Other")

	first := a.do("GET", "Patient?family=Paging&_count=10", "")
	if first.status != 200 {
		t.Fatalf("first page: %d %s", first.status, first.body)
	}
	got := entryIDs(t, first)

	// meanwhile: matches created before and after the cursor, one on a
	// later page deleted, one updated to match no more, one that did not
	// match updated to match
	put("p00", "Paging")
	put("p99", "Paging")
	if r := a.do("DELETE", "Patient/p25", ""); r.status >= 300 {
		t.Fatalf("DELETE: %d %s", r.status, r.body)
	}
	put("p31", "Renamed")
	put("q1", "Paging")

	next := linkOf(t, first, "next")
	var pages int
	for next != "" {
		r := a.do("GET", next, "")
		if r.status != 200 {
			t.Fatalf("%s: %d %s", next, r.status, r.body)
		}
		for _, e := range r.json(t)["entry"].([]any) {
			res := e.(map[string]any)["resource"].(map[string]any)
			if res["id"] == "p31" {
				family := res["name"].([]any)[0].(map[string]any)["family"]
				if family != "Paging" {
					t.Errorf("p31 on a later page has family %v, want the version of the first page's time (Paging)", family)
				}
			}
		}
		got = append(got, entryIDs(t, r)...)
		next = linkOf(t, r, "next")
		if pages++; pages > 5 {
			t.Fatal("the page links do not end")
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("pages gave\n %v\nwant the matches at the first page\n %v", got, want)
	}

	// a new search sees the writes
	fresh := entryIDs(t, a.do("GET", "Patient?family=Paging&_count=100", ""))
	for _, id := range []string{"Patient/p00", "Patient/p99", "Patient/q1"} {
		if !slices.Contains(fresh, id) {
			t.Errorf("a new search misses %s", id)
		}
	}
	for _, id := range []string{"Patient/p25", "Patient/p31"} {
		if slices.Contains(fresh, id) {
			t.Errorf("a new search still finds %s", id)
		}
	}

	r := a.do("GET", "Patient?family=Paging&_snapshot=yesterday", "")
	if code, diag := r.issue(t); r.status != 400 || code != "invalid" || !strings.Contains(diag, "_snapshot") {
		t.Errorf("bad _snapshot: %d %s %q", r.status, code, diag)
	}
}

// TestHistoryPagingAndAt pages through a history while versions are
// written, and asks for the versions current at an instant and over a
// period (_at).
func TestHistoryPagingAndAt(t *testing.T) {
	a := newTestAPI(t)
	var updated []string // meta.lastUpdated of h1's versions
	put := func(id, family string) {
		t.Helper()
		r := a.do("PUT", "Patient/"+id, fmt.Sprintf(`{"resourceType":"Patient","id":%q,"name":[{"family":%q}]}`, id, family))
		if r.status != 200 && r.status != 201 {
			t.Fatalf("PUT Patient/%s: %d %s", id, r.status, r.body)
		}
		if id == "h1" {
			updated = append(updated, r.json(t)["meta"].(map[string]any)["lastUpdated"].(string))
		}
	}
	put("h1", "One")
	put("h2", "Two")
	put("h1", "OneAgain")
	put("h1", "OneMore")

	versions := func(r response) []string {
		t.Helper()
		if r.status != 200 {
			t.Fatalf("history: %d %s", r.status, r.body)
		}
		var out []string
		es, _ := r.json(t)["entry"].([]any)
		for _, e := range es {
			res := e.(map[string]any)["resource"].(map[string]any)
			out = append(out, res["id"].(string)+"/"+res["meta"].(map[string]any)["versionId"].(string))
		}
		return out
	}
	first := a.do("GET", "Patient/_history?_count=2", "")
	got := versions(first)
	put("h2", "TwoAgain")
	put("h3", "Three")
	for next := linkOf(t, first, "next"); next != ""; {
		r := a.do("GET", next, "")
		got = append(got, versions(r)...)
		next = linkOf(t, r, "next")
	}
	if want := []string{"h1/3", "h1/2", "h2/1", "h1/1"}; !slices.Equal(got, want) {
		t.Errorf("history pages: %v, want the history of the first page's time %v", got, want)
	}

	// _at an instant: the version current then
	if got := versions(a.do("GET", "Patient/h1/_history?_at="+updated[1], "")); !slices.Equal(got, []string{"h1/2"}) {
		t.Errorf("_at=%s: %v, want [h1/2]", updated[1], got)
	}
	if got := versions(a.do("GET", "Patient/h1/_history?_at="+updated[2], "")); !slices.Equal(got, []string{"h1/3"}) {
		t.Errorf("_at=%s: %v, want [h1/3]", updated[2], got)
	}
	// _at a day: every version current at some time that day
	day := updated[0][:10]
	if got := versions(a.do("GET", "Patient/h1/_history?_at="+day, "")); !slices.Equal(got, []string{"h1/3", "h1/2", "h1/1"}) {
		t.Errorf("_at=%s: %v, want every version", day, got)
	}
	// type history _at: one version per resource
	if got := versions(a.do("GET", "Patient/_history?_at="+updated[1], "")); !slices.Equal(got, []string{"h1/2", "h2/1"}) {
		t.Errorf("type history _at=%s: %v, want [h1/2 h2/1]", updated[1], got)
	}
	if r := a.do("GET", "Patient/_history?_at=soon", ""); r.status != 400 {
		t.Errorf("_at=soon: %d, want 400", r.status)
	}
}
