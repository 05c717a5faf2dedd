package ingest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/fhirlake/fhirlake/engine"
	"github.com/fhirlake/fhirlake/internal/fixtures"
)

func TestImportBulkNDJSON(t *testing.T) {
	e := newEnv(t, Config{ChunkResources: 2000})
	in := filepath.Join(e.dir, "in")
	copyDir(t, filepath.Join(fixtures.Dir(), "bulk-ndjson-13-patients"), in)
	out := filepath.Join(e.dir, "out")
	job := e.run("file://"+in, out, "structure-only")
	if job.Status != engine.JobCompleted {
		t.Fatalf("job %s: %s", job.Status, job.Message)
	}
	bulk, err := fixtures.Bulk()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{}
	var types []string
	for _, r := range bulk {
		if want[r.Type] == 0 {
			types = append(types, r.Type)
		}
		want[r.Type]++
	}
	got := e.counts(types...)
	for typ, n := range want {
		if got[typ] != n {
			t.Errorf("%s: %d rows, want %d", typ, got[typ], n)
		}
	}
	p := job.Progress
	if p.ResourcesImported != int64(len(bulk)) || p.ResourcesScanned != int64(len(bulk)) || p.ResourcesWithError != 0 ||
		p.ScannedFiles != 13 || p.ImportedFiles != 13 || p.FilesWithError != 0 {
		t.Errorf("progress %+v", p)
	}
	wantJSON := map[string][]byte{}
	for _, r := range bulk {
		wantJSON[r.Type+"/"+idOf(r.JSON)] = r.JSON
	}
	if n := e.readBack(wantJSON); n > 0 {
		t.Fatalf("%d resources differ", n)
	}
	folder := filepath.Join(out, JobFolder(e.ds, job.ID))
	if n := len(readLines(t, filepath.Join(folder, "SUCCESS"))); n != len(bulk) {
		t.Errorf("%d SUCCESS lines, want %d", n, len(bulk))
	}
	if _, err := os.Stat(filepath.Join(folder, "FAILURE")); !os.IsNotExist(err) {
		t.Errorf("FAILURE folder: %v", err)
	}
	var m manifest
	data, err := os.ReadFile(filepath.Join(folder, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	if m.NumberOfResourcesImportedSuccessfully != int64(len(bulk)) || m.NumberOfScannedFiles != 13 || m.InputDataConfig.S3Uri != "file://"+in {
		t.Errorf("manifest %s", data)
	}
	if _, err := os.Stat(e.eng.Layout().JobDir(job.DatastoreID, job.ID)); !os.IsNotExist(err) {
		t.Errorf("job work folder left behind: %v", err)
	}
}
