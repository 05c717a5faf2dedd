package search

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fhirlake/fhirlake/engine"
	"github.com/fhirlake/fhirlake/fhirflat"
	"github.com/fhirlake/fhirlake/internal/fixtures"
)

var (
	loadOnce  sync.Once
	testStore *engine.Store
	testOrac  *oracle
	loadErr   error
)

// fixtureStore loads the 13-patient bulk export and 20 all-modules patient
// Bundles (urn:uuid references rewritten to Type/id) into a store, and the
// same resources into the oracle.
func fixtureStore(t *testing.T) (*engine.Store, *oracle) {
	t.Helper()
	loadOnce.Do(func() {
		dir, err := os.MkdirTemp("", "search-test-")
		if err != nil {
			loadErr = err
			return
		}
		testStore, err = engine.OpenStore(context.Background(), "search", filepath.Join(dir, "s.duckdb"), filepath.Join(dir, "staging"),
			fhirflat.Default(), engine.StoreOptions{MergeInterval: time.Hour})
		if err != nil {
			loadErr = err
			return
		}
		testOrac = newOracle(fhirflat.Default().Model())
		var all [][]byte
		bulk, err := fixtures.Bulk()
		if err != nil {
			loadErr = err
			return
		}
		for _, r := range bulk {
			all = append(all, r.JSON)
		}
		files, err := fixtures.BundleFiles("bundles-all-modules")
		if err != nil {
			loadErr = err
			return
		}
		for _, f := range files[2:22] {
			rs, err := bundleResources(f)
			if err != nil {
				loadErr = err
				return
			}
			all = append(all, rs...)
		}
		loadErr = importAll(testStore, all)
		for _, js := range all {
			testOrac.add(js)
		}
	})
	if loadErr != nil {
		t.Fatal(loadErr)
	}
	return testStore, testOrac
}

// emptyStore opens a store of its own in a temporary folder, closed when
// the test ends.
func emptyStore(t *testing.T, name string) *engine.Store {
	t.Helper()
	dir := t.TempDir()
	st, err := engine.OpenStore(context.Background(), name, filepath.Join(dir, "s.duckdb"), filepath.Join(dir, "staging"), fhirflat.Default(), engine.StoreOptions{MergeInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func bundleResources(path string) ([][]byte, error) {
	data, err := fixtures.ReadBundle(path)
	if err != nil {
		return nil, err
	}
	var b struct {
		Entry []struct {
			FullURL  string          `json:"fullUrl"`
			Resource json.RawMessage `json:"resource"`
		} `json:"entry"`
	}
	if err := json.Unmarshal(data, &b); err != nil {
		return nil, err
	}
	var pairs []string
	for _, e := range b.Entry {
		var h struct{ ResourceType, ID string }
		json.Unmarshal(e.Resource, &h)
		pairs = append(pairs, `"`+e.FullURL+`"`, `"`+h.ResourceType+"/"+h.ID+`"`)
	}
	rw := strings.NewReplacer(pairs...)
	var out [][]byte
	for _, e := range b.Entry {
		out = append(out, []byte(rw.Replace(string(e.Resource))))
	}
	return out, nil
}

func importAll(st *engine.Store, all [][]byte) error {
	nz := fhirflat.Default().NewNormalizer(fhirflat.Strict)
	w := engine.NewBatchWriter(st.StagingDir())
	seen := map[string]bool{}
	for _, js := range all {
		row, err := nz.Normalize(js)
		if err != nil {
			return err
		}
		if seen[row.Type+"/"+row.ID] {
			continue
		}
		seen[row.Type+"/"+row.ID] = true
		if err := w.Add(row); err != nil {
			return err
		}
	}
	batch, err := w.Batch()
	if err != nil {
		return err
	}
	_, err = st.Import(context.Background(), batch)
	return err
}

// ids runs a search through the SQL path and returns the matched ids (all
// pages) and the total.
func ids(t *testing.T, st *engine.Store, typ, query string) (map[string]bool, int) {
	t.Helper()
	params, err := url.ParseQuery(query)
	if err != nil {
		t.Fatal(err)
	}
	q, err := Parse(fhirflat.Default().Model(), typ, params, true)
	if err != nil {
		t.Fatalf("%s?%s: %v", typ, query, err)
	}
	q.Count = MaxCount
	c := NewCompiler(fhirflat.Default())
	out := map[string]bool{}
	total := -1
	for {
		res, err := c.Run(context.Background(), st, q, "https://fhir.example/r4")
		if err != nil {
			t.Fatalf("%s?%s: %v", typ, query, err)
		}
		total = res.Total
		for _, m := range res.Matches {
			if out[m.ID] {
				t.Fatalf("%s?%s: %s on two pages", typ, query, m.ID)
			}
			out[m.ID] = true
		}
		if !res.More {
			break
		}
		q.Offset += q.Count
	}
	return out, total
}

func sample(o *oracle, typ string, f func(map[string]any) string) []string {
	var out []string
	seen := map[string]bool{}
	for _, r := range o.byTyp[typ] {
		if v := f(r); v != "" && !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	sort.Strings(out)
	return out
}

func get(m map[string]any, path ...any) any {
	var cur any = m
	for _, p := range path {
		switch k := p.(type) {
		case string:
			mm, _ := cur.(map[string]any)
			cur = mm[k]
		case int:
			l, _ := cur.([]any)
			if k >= len(l) {
				return nil
			}
			cur = l[k]
		}
	}
	return cur
}

func str(v any) string { s, _ := v.(string); return s }

func TestSearchAgainstOracle(t *testing.T) {
	st, o := fixtureStore(t)
	patients := sample(o, "Patient", func(r map[string]any) string { return str(r["id"]) })
	families := sample(o, "Patient", func(r map[string]any) string { return str(get(r, "name", 0, "family")) })
	obsCodes := sample(o, "Observation", func(r map[string]any) string { return str(get(r, "code", "coding", 0, "code")) })
	condCodes := sample(o, "Condition", func(r map[string]any) string { return str(get(r, "code", "coding", 0, "code")) })
	if len(patients) < 20 || len(obsCodes) < 20 || len(condCodes) < 10 {
		t.Fatalf("fixtures too small: %d patients, %d observation codes", len(patients), len(obsCodes))
	}
	p1, p2 := patients[3], patients[17]
	fam := families[5]
	cases := []struct{ typ, q string }{
		{"Patient", "_id=" + p1},
		{"Patient", "_id=" + p1 + "," + p2},
		{"Patient", "gender=female"},
		{"Patient", "gender=female,male"},
		{"Patient", "gender:not=female"},
		{"Patient", "birthdate=ge1980"},
		{"Patient", "birthdate=lt1950-06"},
		{"Patient", "birthdate=1970"},
		{"Patient", "birthdate=sa1960&birthdate=eb1990"},
		{"Patient", "name=" + fam[:3]},
		{"Patient", "family:exact=" + fam},
		{"Patient", "family:exact=" + strings.ToLower(fam)},
		{"Patient", "name:contains=" + fam[2:5]},
		{"Patient", "address-state=Massachusetts"},
		{"Patient", "deceased:missing=false"},
		{"Patient", "identifier=http://hl7.org/fhir/sid/us-ssn|"},
		{"Observation", "patient=" + p1},
		{"Observation", "subject=Patient/" + p2},
		{"Observation", "code=http://loinc.org|" + obsCodes[1]},
		{"Observation", "code=" + obsCodes[2] + "," + obsCodes[3]},
		{"Observation", "code=|" + obsCodes[1]},
		{"Observation", "code:not=http://loinc.org|" + obsCodes[1]},
		{"Observation", "date=ge2015-01-01"},
		{"Observation", "date=2016-03"},
		{"Observation", "date=lt2010-01-01T00:00:00Z"},
		{"Observation", "patient=" + p1 + "&code=http://loinc.org|" + obsCodes[4] + "&date=ge2012"},
		{"Observation", "value-quantity=gt100"},
		{"Observation", "value-quantity=le70|http://unitsofmeasure.org|kg"},
		{"Observation", "value-quantity=37.2"},
		{"Observation", "category=vital-signs"},
		{"Observation", "value-concept:missing=false"},
		{"Observation", "subject:Patient.gender=female&code=" + obsCodes[0]},
		{"Observation", "subject:Patient.name=" + fam[:4]},
		{"Condition", "subject=" + p2},
		{"Condition", "code=http://snomed.info/sct|" + condCodes[2]},
		{"Condition", "clinical-status=active"},
		{"Condition", "onset-date=ge2010"},
		{"Encounter", "date=2018"},
		{"Encounter", "date=ge2017-06-01&date=lt2018-01-01"},
		{"Encounter", "class=AMB"},
		{"MedicationRequest", "status=active"},
		{"Immunization", "date=lt2015"},
		{"Procedure", "date=ge2019"},
	}
	for _, c := range cases {
		params, _ := url.ParseQuery(c.q)
		want := o.search(c.typ, params)
		got, total := ids(t, st, c.typ, c.q)
		if total != len(want) {
			t.Errorf("%s?%s: total %d, oracle %d", c.typ, c.q, total, len(want))
		}
		if d := diff(want, got); d != "" {
			t.Errorf("%s?%s: %s", c.typ, c.q, d)
		}
		t.Logf("%-80s %d", c.typ+"?"+c.q, len(want))
	}
}

func diff(want, got map[string]bool) string {
	var missing, extra []string
	for id := range want {
		if !got[id] {
			missing = append(missing, id)
		}
	}
	for id := range got {
		if !want[id] {
			extra = append(extra, id)
		}
	}
	if len(missing) == 0 && len(extra) == 0 {
		return ""
	}
	return fmt.Sprintf("%d missing (e.g. %v), %d extra (e.g. %v)", len(missing), first(missing), len(extra), first(extra))
}

func first(s []string) []string {
	if len(s) > 3 {
		return s[:3]
	}
	return s
}
