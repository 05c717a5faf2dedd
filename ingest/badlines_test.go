package ingest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/fhirlake/fhirlake/engine"
)

// TestBadLines: every bad line gets a FAILURE record with its file, line
// and an OperationOutcome; every good line, a 50 MB one included, is
// imported; a corrupt file is reported and the job goes on.
func TestBadLines(t *testing.T) {
	e := newEnv(t, Config{ChunkResources: 3})
	in := filepath.Join(e.dir, "in")
	os.MkdirAll(in, 0o755)
	big := strings.Repeat("QUJD", 50<<20/4) // 50 MB of base64
	lines := []string{
		`{"resourceType":"Patient","id":"p1","birthDate":"1970-01-01"}`,
		`{"resourceType":"Patient","id":"t1","name":[{"fam`,
		`{"resourceType":"Patientt","id":"x1"}`,
		`{"resourceType":"Patient","id":"d1","birthDate":"2020-13-45"}`,
		`{"resourceType":"Patient","id":"p1","birthDate":"1980-01-01"}`,
		``,
		`{"resourceType":"DocumentReference","id":"big","status":"current","content":[{"attachment":{"contentType":"text/plain","data":"` + big + `"}}]}`,
		`{"resourceType":"Observation","id":"o1","status":"final","code":{"text":"x"},"effectiveDateTime":"2020-02-30"}`,
		`{"resourceType":"Observation","id":"o2","status":"final","code":{"text":"x"}}`,
		`{"resourceType":"Observation","id":"o3","status":"final","code":{"text":"x"},"valueQuantity":{"value":"high"}}`,
		`not json at all`,
	}
	os.WriteFile(filepath.Join(in, "a.ndjson"), []byte(strings.Join(lines, "\n")+"\n"), 0o644)
	// another file may update p1: a new version, not a duplicate
	os.WriteFile(filepath.Join(in, "b.ndjson"), []byte(`{"resourceType":"Patient","id":"p1","birthDate":"1990-01-01"}`+"\r\n"), 0o644)
	os.WriteFile(filepath.Join(in, "c.ndjson.gz"), []byte("\x1f\x8bnot really gzip"), 0o644)
	os.WriteFile(filepath.Join(in, "notes.txt"), []byte("not an input file"), 0o644)
	out := filepath.Join(e.dir, "out")
	job := e.run(in, "file://"+out, "structure-only")
	if job.Status != engine.JobCompletedWithErrors {
		t.Fatalf("job %s: %s", job.Status, job.Message)
	}
	folder := filepath.Join(out, JobFolder(e.ds, job.ID))
	var got []string
	for _, f := range readLines(t, filepath.Join(folder, "FAILURE")) {
		oo := f["operationOutcome"].(map[string]any)
		issue := oo["issue"].([]any)[0].(map[string]any)
		line, _ := f["line"].(float64)
		got = append(got, fmt.Sprintf("%s:%d %s", f["file"], int(line), issue["code"]))
	}
	sort.Strings(got)
	want := []string{
		"a.ndjson:10 structure",    // a string for a decimal
		"a.ndjson:11 structure",    // not JSON
		"a.ndjson:2 structure",     // truncated
		"a.ndjson:3 not-supported", // unknown resource type
		"a.ndjson:4 value",         // invalid date
		"a.ndjson:5 duplicate",     // p1 again in the same file
		"a.ndjson:8 value",         // invalid dateTime
		"c.ndjson.gz:0 exception",  // corrupt gzip
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("FAILURE records:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	var ok []string
	for _, s := range readLines(t, filepath.Join(folder, "SUCCESS")) {
		ok = append(ok, fmt.Sprintf("%s:%v %s/%s", s["file"], s["line"], s["resourceType"], s["id"]))
	}
	sort.Strings(ok)
	wantOK := []string{"a.ndjson:1 Patient/p1", "a.ndjson:7 DocumentReference/big", "a.ndjson:9 Observation/o2", "b.ndjson:1 Patient/p1"}
	if strings.Join(ok, "\n") != strings.Join(wantOK, "\n") {
		t.Errorf("SUCCESS records:\n%s\nwant:\n%s", strings.Join(ok, "\n"), strings.Join(wantOK, "\n"))
	}
	p := job.Progress
	if p.ResourcesScanned != 11 || p.ResourcesImported != 4 || p.ResourcesWithError != 7 || p.ScannedFiles != 3 || p.ImportedFiles != 2 || p.FilesWithError != 1 {
		t.Errorf("progress %+v", p)
	}
	ctx := context.Background()
	r, err := e.store.Read(ctx, "Patient", "p1")
	if err != nil || r.VersionID != 2 || !strings.Contains(string(r.JSON), "1990-01-01") {
		t.Errorf("p1: %+v %v", r, err)
	}
	doc, err := e.store.Read(ctx, "DocumentReference", "big")
	if err != nil || !strings.Contains(string(doc.JSON), big) {
		t.Errorf("the 50 MB resource did not come back whole: %v", err)
	}
	data, _ := os.ReadFile(filepath.Join(folder, "manifest.json"))
	if !strings.Contains(string(data), "notes.txt") {
		t.Errorf("manifest does not list the skipped file: %s", data)
	}
}
