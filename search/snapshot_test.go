package search

import (
	"context"
	"fmt"
	"testing"

	"github.com/fhirlake/fhirlake/engine"
	"github.com/fhirlake/fhirlake/fhirflat"
)

// TestFirstPageAsOfItsInstant: when another search merges a write between
// a search's Sync and its queries, the first page is read as of the
// search's instant, so the write is on none of its pages and the total
// does not count it.
func TestFirstPageAsOfItsInstant(t *testing.T) {
	st := emptyStore(t, "first-page")
	nz := fhirflat.Default().NewNormalizer(fhirflat.Strict)
	put := func(id string) {
		t.Helper()
		row, err := nz.Normalize([]byte(fmt.Sprintf(`{"resourceType":"Patient","id":%q,"gender":"female"}`, id)))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.Apply(context.Background(), []engine.Op{{Kind: engine.Put, Type: "Patient", ID: id, Row: row}}); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 5; i++ {
		put(fmt.Sprintf("p%d", i))
	}
	testHookAfterSync = func() {
		testHookAfterSync = nil
		put("late") // acknowledged after the search's instant
		if err := st.Sync(context.Background()); err != nil {
			t.Error(err)
		}
	}
	defer func() { testHookAfterSync = nil }()
	first := run(t, st, "Patient", "gender=female&_count=3&_total=accurate")
	seen := map[string]bool{}
	for _, m := range first.Matches {
		seen[m.ID] = true
	}
	if seen["late"] || first.Total != 5 {
		t.Fatalf("first page: %v, total %d; want 3 of the 5 written before it, total 5", seen, first.Total)
	}
	if !st.ChangedAfter("Patient", first.Snapshot) {
		t.Fatal("the late write was not merged: the test tests nothing")
	}
	q := fmt.Sprintf("gender=female&_count=3&_total=accurate&_offset=3&_snapshot=%s", first.Snapshot.Format("2006-01-02T15:04:05.999999999Z07:00"))
	second := run(t, st, "Patient", q)
	for _, m := range second.Matches {
		if seen[m.ID] || m.ID == "late" {
			t.Errorf("second page: %s again or late", m.ID)
		}
		seen[m.ID] = true
	}
	if len(seen) != 5 || second.Total != 5 {
		t.Errorf("two pages: %d resources, total %d; want the 5", len(seen), second.Total)
	}
	if now := run(t, st, "Patient", "gender=female&_total=accurate"); now.Total != 6 {
		t.Errorf("a new search: total %d, want 6", now.Total)
	}
}
