package search

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/fhirlake/fhirlake/engine"
	"github.com/fhirlake/fhirlake/fhirflat"
)

// TestChoicesTheDataLacks checks a date search over effective[x] when the
// data holds only some of its choices: the search neither tests nor adds
// the columns no write has filled, and a write that brings another choice
// is found by the next search.
func TestChoicesTheDataLacks(t *testing.T) {
	ctx := context.Background()
	st := emptyStore(t, "choices")
	nz := fhirflat.Default().NewNormalizer(fhirflat.Strict)
	put := func(id, effective string) {
		t.Helper()
		row, err := nz.Normalize([]byte(fmt.Sprintf(`{"resourceType":"Observation","id":%q,"status":"final","code":{"text":"x"},%s}`, id, effective)))
		if err != nil {
			t.Fatal(err)
		}
		row.JSON = append([]byte(nil), row.JSON...)
		if _, err := st.Apply(ctx, []engine.Op{{Kind: engine.Put, Type: "Observation", ID: id, Row: row}}); err != nil {
			t.Fatal(err)
		}
	}
	put("old", `"effectiveDateTime":"2001-05-06"`)
	put("new", `"effectiveDateTime":"2021-05-06T10:00:00+02:00"`)
	put("none", `"issued":"2021-05-06T10:00:00Z"`)
	column := func(name string) bool {
		l, err := st.Layout("Observation")
		if err != nil {
			t.Fatal(err)
		}
		f := l.Schema.Field(name)
		return f != nil && l.Has(f)
	}
	c := NewCompiler(fhirflat.Default())
	search := func(query string) string {
		t.Helper()
		return fmt.Sprint(matchIDs(run(t, st, "Observation", query).Matches))
	}
	if got := search("date=ge2020"); got != "[new]" {
		t.Errorf("date=ge2020: %s, want [new]", got)
	}
	if got := search("date:missing=true"); got != "[none]" {
		t.Errorf("date:missing=true: %s, want [none]", got)
	}
	if got := search("_sort=-date"); got != "[new old none]" {
		t.Errorf("_sort=-date: %s, want [new old none]", got)
	}
	for _, name := range []string{"effectivePeriod", "effectiveTiming", "effectiveInstant"} {
		if column(name) {
			t.Errorf("searches added the column %s, which no write holds", name)
		}
	}
	q, err := Parse(fhirflat.Default().Model(), "Observation", map[string][]string{"date": {"ge2020"}}, true)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := c.compile(q, "", st.Layout)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(plan.Where, "effectivePeriod") || !strings.Contains(plan.Where, "effectiveDateTime") {
		t.Errorf("the predicate should test effectiveDateTime only: %s", plan.Where)
	}

	// a write bringing a Period: the next search tests it
	put("period", `"effectivePeriod":{"start":"2019-12-31T20:00:00+05:00"}`)
	if got := search("date=ge2020"); got != "[new period]" {
		t.Errorf("date=ge2020 after a Period: %s, want [new period]", got)
	}
	if got := search("date=lt2020"); got != "[old period]" {
		t.Errorf("date=lt2020 after a Period: %s, want [old period]", got)
	}
	if !column("effectivePeriod") {
		t.Error("the Period's write did not add its column")
	}
}

func matchIDs(rs []*engine.Resource) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.ID)
	}
	return out
}
