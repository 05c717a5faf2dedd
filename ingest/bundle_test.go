package ingest

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fhirlake/fhirlake/engine"
	"github.com/fhirlake/fhirlake/internal/fixtures"
)

// TestImportAllSynthea imports every Synthea fixture (bulk NDJSON and both
// Bundle sets, as three jobs queued on one data store) and reads every
// resource back: equal to its input, with references to Bundle entries
// (urn:uuid) and conditional references rewritten to Type/id.
func TestImportAllSynthea(t *testing.T) {
	if testing.Short() {
		t.Skip("imports 86,000 resources")
	}
	e := newEnv(t, Config{ChunkResources: 20000})
	ctx := context.Background()
	out := filepath.Join(e.dir, "out")
	var jobs []*engine.Job
	for _, set := range []string{"bulk-ndjson-13-patients", "bundles-hiv-notes", "bundles-all-modules"} {
		in := filepath.Join(e.dir, set)
		copyDir(t, filepath.Join(fixtures.Dir(), set), in)
		job, err := e.runner.StartImport(ctx, engine.ImportRequest{DatastoreID: e.ds, Name: set, Spec: engine.ImportSpec{
			InputURI: "file://" + in, OutputURI: out, ValidationLevel: "strict"}})
		if err != nil {
			t.Fatal(err)
		}
		jobs = append(jobs, job)
	}
	for i, j := range jobs {
		if i > 0 && j.Status != engine.JobSubmitted {
			t.Errorf("job %d answered %s, want SUBMITTED", i, j.Status)
		}
	}
	// FIFO: the second and third wait behind the first.
	for _, j := range jobs[1:] {
		got, err := e.runner.ImportJob(ctx, e.ds, j.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != engine.JobQueued && got.Status != engine.JobInProgress && !got.Finished() {
			t.Errorf("queued job is %s", got.Status)
		}
	}
	var ends []*engine.Job
	for _, j := range jobs {
		end, err := e.runner.Wait(ctx, e.ds, j.ID)
		if err != nil {
			t.Fatal(err)
		}
		if end.Status != engine.JobCompleted {
			failures := readLines(t, filepath.Join(out, JobFolder(e.ds, j.ID), "FAILURE"))
			if len(failures) > 3 {
				failures = failures[:3]
			}
			t.Fatalf("job %s: %s %s\n%v", j.Name, end.Status, end.Message, failures)
		}
		ends = append(ends, end)
	}
	for i := 1; i < len(ends); i++ {
		if ends[i].EndTime.Before(ends[i-1].EndTime) {
			t.Errorf("job %d ended before job %d", i, i-1)
		}
	}

	// The expected resources, last occurrence of each id winning.
	bulk, err := fixtures.Bulk()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]byte{} // Type/id → resource
	scanned := map[string]int64{}
	for _, r := range bulk {
		want[r.Type+"/"+idOf(r.JSON)] = r.JSON
	}
	scanned["bulk-ndjson-13-patients"] = int64(len(bulk))
	idents := map[string]string{} // Type|system|value → id
	for _, set := range []string{"bundles-hiv-notes", "bundles-all-modules"} {
		files, err := fixtures.BundleFiles(set)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			data, err := fixtures.ReadBundle(f)
			if err != nil {
				t.Fatal(err)
			}
			var b struct {
				Entry []struct {
					FullURL  string         `json:"fullUrl"`
					Resource map[string]any `json:"resource"`
				} `json:"entry"`
			}
			if err := json.Unmarshal(data, &b); err != nil {
				t.Fatal(err)
			}
			urls := map[string]string{}
			for _, en := range b.Entry {
				typ, id := en.Resource["resourceType"].(string), en.Resource["id"].(string)
				urls[en.FullURL] = typ + "/" + id
				if list, ok := en.Resource["identifier"].([]any); ok {
					for _, x := range list {
						m := x.(map[string]any)
						sys, _ := m["system"].(string)
						val, _ := m["value"].(string)
						idents[typ+"|"+sys+"|"+val] = id
					}
				}
			}
			for _, en := range b.Entry {
				rewriteExpected(t, en.Resource, urls, idents)
				js, _ := json.Marshal(en.Resource)
				want[en.Resource["resourceType"].(string)+"/"+en.Resource["id"].(string)] = js
				scanned[set]++
			}
		}
	}
	for i, set := range []string{"bulk-ndjson-13-patients", "bundles-hiv-notes", "bundles-all-modules"} {
		if p := ends[i].Progress; p.ResourcesImported != scanned[set] || p.ResourcesScanned != scanned[set] {
			t.Errorf("%s: progress %+v, want %d resources", set, p, scanned[set])
		}
	}
	perType := map[string]int{}
	var types []string
	for k := range want {
		typ := k[:strings.IndexByte(k, '/')]
		if perType[typ] == 0 {
			types = append(types, typ)
		}
		perType[typ]++
	}
	got := e.counts(types...)
	for typ, n := range perType {
		if got[typ] != n {
			t.Errorf("%s: %d rows, want %d", typ, got[typ], n)
		}
	}
	if differ := e.readBack(want); differ > 0 {
		t.Fatalf("%d of %d resources differ", differ, len(want))
	}
	t.Logf("%d resources of %d types read back equal", len(want), len(perType))
}

// rewriteExpected applies the reference rewriting import does, written
// independently: urn:uuid fullUrls and Type?identifier=system|value.
func rewriteExpected(t *testing.T, v any, urls, idents map[string]string) {
	switch x := v.(type) {
	case map[string]any:
		for k, c := range x {
			if s, ok := c.(string); ok && k == "reference" {
				if to, ok := urls[s]; ok {
					x[k] = to
				} else if typ, q, ok := strings.Cut(s, "?identifier="); ok {
					sys, val, _ := strings.Cut(q, "|")
					id, found := idents[typ+"|"+sys+"|"+val]
					if !found {
						t.Fatalf("expected data: %s matches nothing", s)
					}
					x[k] = typ + "/" + id
				}
				continue
			}
			rewriteExpected(t, c, urls, idents)
		}
	case []any:
		for _, c := range x {
			rewriteExpected(t, c, urls, idents)
		}
	}
}

func idOf(js []byte) string {
	var h struct{ ID string }
	json.Unmarshal(js, &h)
	return h.ID
}
