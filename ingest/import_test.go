package ingest

import (
	"context"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
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

// A type with more rows in a chunk than Config.SplitRows is dealt, in blocks, to
// one file per DuckDB thread: every resource is imported once, reads back
// by id from the copy that took the files, and the copy holds more files
// than with one file per type.
func TestImportSplitsATypeAcrossFiles(t *testing.T) {
	bulk, err := fixtures.Bulk()
	if err != nil {
		t.Fatal(err)
	}
	segments := map[int]int{}
	for _, rows := range []int{1 << 30, 100} {
		e := newEnvWith(t, Config{ChunkResources: 2000, SplitRows: rows}, engine.StoreOptions{Threads: 3})
		in := filepath.Join(e.dir, "in")
		copyDir(t, filepath.Join(fixtures.Dir(), "bulk-ndjson-13-patients"), in)
		job := e.run("file://"+in, filepath.Join(e.dir, "out"), "structure-only")
		if job.Status != engine.JobCompleted || job.Progress.ResourcesImported != int64(len(bulk)) {
			t.Fatalf("job %s, %d resources: %s", job.Status, job.Progress.ResourcesImported, job.Message)
		}
		want := map[string]int{}
		for _, r := range bulk {
			want[r.Type]++
			got, err := e.store.Read(context.Background(), r.Type, idOf(r.JSON))
			if err != nil {
				t.Fatalf("%s/%s: %v", r.Type, idOf(r.JSON), err)
			}
			if !sameResource(t, r.JSON, got.JSON) {
				t.Fatalf("%s/%s differs:\n%.300s\n%.300s", r.Type, idOf(r.JSON), r.JSON, got.JSON)
			}
		}
		for typ, n := range e.counts(slices.Collect(maps.Keys(want))...) {
			if n != want[typ] {
				t.Errorf("blocks of %d: %d %s rows, want %d", rows, n, typ, want[typ])
			}
		}
		docs := e.eng.Layout().StoreFiles(e.ds)[3] // the copy for reads by id
		files, _ := filepath.Glob(filepath.Join(docs, "seg-*.ndjson"))
		segments[rows] = len(files)
		t.Logf("blocks of %d rows: %d files in the copy", rows, len(files))
	}
	if segments[100] <= segments[1<<30] {
		t.Errorf("the copy holds %d files with blocks of 100 rows, %d with one file per type", segments[100], segments[1<<30])
	}
}
