package engine

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fhirlake/fhirlake/fhirflat"
	"github.com/fhirlake/fhirlake/internal/fixtures"
)

// writeBatch normalizes resources into per-type NDJSON files.
func writeBatch(t *testing.T, dir string, resources []fixtures.Resource) ImportBatch {
	t.Helper()
	nz := fhirflat.Default().NewNormalizer(fhirflat.Strict)
	w := NewBatchWriter(dir)
	for _, r := range resources {
		row, err := nz.Normalize(r.JSON)
		if err != nil {
			t.Fatalf("%s: %v", r.Source, err)
		}
		if err := w.Add(row); err != nil {
			t.Fatal(err)
		}
	}
	b, err := w.Batch()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// bulkFixture returns the bulk fixture's resources and their count per type.
func bulkFixture(t *testing.T) ([]fixtures.Resource, map[string]int) {
	t.Helper()
	bulk, err := fixtures.Bulk()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{}
	for _, r := range bulk {
		want[r.Type]++
	}
	return bulk, want
}

func TestImport(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t, filepath.Join(t.TempDir(), "s.duckdb"))
	defer s.Close()
	bulk, want := bulkFixture(t)
	// a pending write to an id the import also carries
	put(t, s, `{"resourceType":"Patient","id":"`+patientID(t, bulk)+`","gender":"other"}`)
	batch := writeBatch(t, t.TempDir(), bulk)
	batch.Checkpoint, batch.Value = "job-1/file-a", "line 7160"
	start := time.Now()
	stats, err := s.Import(ctx, batch)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("imported %d resources in %v", len(bulk), time.Since(start))
	for typ, n := range want {
		got := stats.Created[typ] + stats.Updated[typ]
		if got != n {
			t.Errorf("%s: imported %d, want %d", typ, got, n)
		}
		var rows int
		if err := s.DB().QueryRow("SELECT count(*) FROM main." + fhirflat.QuoteIdent(fhirflat.TableName(typ))).Scan(&rows); err != nil || rows != n {
			t.Errorf("%s: %d rows (%v), want %d", typ, rows, err, n)
		}
	}
	if stats.Updated["Patient"] != 1 {
		t.Errorf("patients updated = %d, want 1 (the one written before)", stats.Updated["Patient"])
	}
	if v, ok, err := s.Checkpoint(ctx, "job-1/file-a"); err != nil || !ok || v != "line 7160" {
		t.Errorf("checkpoint = %q %v %v", v, ok, err)
	}
	// every resource reads back equal
	for _, r := range bulk[:500] {
		id := idOf(t, r.JSON)
		got, err := s.Read(ctx, r.Type, id)
		if err != nil {
			t.Fatalf("%s/%s: %v", r.Type, id, err)
		}
		if !sameResource(t, r.JSON, got.JSON) {
			t.Fatalf("%s/%s differs after import:\n%.300s\n%.300s", r.Type, id, r.JSON, got.JSON)
		}
	}
	// importing again makes version 2 of everything, 3 for the patient written before
	stats, err = s.Import(ctx, writeBatch(t, t.TempDir(), bulk))
	if err != nil {
		t.Fatal(err)
	}
	if stats.Updated["Condition"] != want["Condition"] || stats.Created["Condition"] != 0 {
		t.Errorf("second import of Conditions: %+v", stats)
	}
	for typ, n := range want { // one current row per resource still
		var rows, ids int
		if err := s.DB().QueryRow("SELECT count(*), count(DISTINCT id) FROM main."+fhirflat.QuoteIdent(fhirflat.TableName(typ))).Scan(&rows, &ids); err != nil || rows != n || ids != n {
			t.Errorf("%s after the second import: %d rows, %d ids (%v), want %d", typ, rows, ids, err, n)
		}
	}
	got, err := s.Read(ctx, "Patient", patientID(t, bulk))
	if err != nil || got.VersionID != 3 {
		t.Fatalf("patient after two imports: %+v %v", got, err)
	}
	hist, err := s.History(ctx, "Patient", patientID(t, bulk), HistoryOptions{})
	if err != nil || len(hist) != 3 {
		t.Fatalf("history: %d %v", len(hist), err)
	}
}

// splitBatch deals each type's rows into n files, a line at a time, as
// an import splits a type's rows for DuckDB's threads.
func splitBatch(t *testing.T, b ImportBatch, n int) ImportBatch {
	t.Helper()
	for typ, files := range b.Files {
		var split []ImportFile
		for i := range n {
			split = append(split, ImportFile{Path: fmt.Sprintf("%s.part%d", files[0].Path, i)})
		}
		parts := make([][]byte, n)
		for _, f := range files {
			data, err := os.ReadFile(f.Path)
			if err != nil {
				t.Fatal(err)
			}
			for i, line := range strings.SplitAfter(strings.TrimSuffix(string(data), "\n"), "\n") {
				parts[i%n] = append(parts[i%n], strings.TrimSuffix(line, "\n")+"\n"...)
				split[i%n].IDs = append(split[i%n].IDs, f.IDs[i])
			}
			os.Remove(f.Path)
		}
		for i := range n {
			if err := os.WriteFile(split[i].Path, parts[i], 0o600); err != nil {
				t.Fatal(err)
			}
		}
		b.Files[typ] = split
	}
	return b
}

// A type's rows in several files load in one statement: every row is
// stored once, with its version, and reads back by id from the copy that
// took the files.
func TestImportOfATypeInSeveralFiles(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t, filepath.Join(t.TempDir(), "s.duckdb"))
	defer s.Close()
	bulk, want := bulkFixture(t)
	put(t, s, `{"resourceType":"Patient","id":"`+patientID(t, bulk)+`","gender":"other"}`)
	batch := splitBatch(t, writeBatch(t, s.StagingDir(), bulk), 3)
	if fs := batch.Files["Patient"]; len(fs) != 3 || len(fs[2].IDs) != want["Patient"]/3 {
		t.Fatalf("%d patients in %d files", want["Patient"], len(fs))
	}
	stats, err := s.Import(ctx, batch)
	if err != nil {
		t.Fatal(err)
	}
	for typ, n := range want {
		var rows, ids int
		if err := s.DB().QueryRow("SELECT count(*), count(DISTINCT id) FROM main."+fhirflat.QuoteIdent(fhirflat.TableName(typ))).Scan(&rows, &ids); err != nil || rows != n || ids != n {
			t.Errorf("%s: %d rows, %d ids (%v), want %d", typ, rows, ids, err, n)
		}
		if got := stats.Created[typ] + stats.Updated[typ]; got != n {
			t.Errorf("%s: imported %d, want %d", typ, got, n)
		}
	}
	for _, r := range bulk {
		id := idOf(t, r.JSON)
		if d, ok, err := s.docs.Get(r.Type, id); err != nil || !ok {
			t.Fatalf("%s/%s is not in the copy for reads by id: %+v %v", r.Type, id, d, err)
		}
		got, err := s.Read(ctx, r.Type, id)
		if err != nil {
			t.Fatalf("%s/%s: %v", r.Type, id, err)
		}
		wantVersion := int64(1)
		if r.Type == "Patient" && id == patientID(t, bulk) {
			wantVersion = 2
		}
		if got.VersionID != wantVersion || !sameResource(t, r.JSON, got.JSON) {
			t.Fatalf("%s/%s after the import: version %d, want %d\n%.300s\n%.300s", r.Type, id, got.VersionID, wantVersion, r.JSON, got.JSON)
		}
	}
}

func patientID(t *testing.T, rs []fixtures.Resource) string {
	for _, r := range rs {
		if r.Type == "Patient" {
			return idOf(t, r.JSON)
		}
	}
	t.Fatal("no patient")
	return ""
}

func idOf(t *testing.T, js []byte) string {
	i := strings.Index(string(js), `"id":"`)
	if i < 0 {
		t.Fatalf("no id in %.100s", js)
	}
	rest := string(js[i+6:])
	return rest[:strings.IndexByte(rest, '"')]
}

// TestImportWithConfinedDuckDB loads from the staging directory of a store
// whose DuckDB may touch no other files.
func TestImportWithConfinedDuckDB(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t, filepath.Join(t.TempDir(), "s.duckdb"),
		"SET allowed_directories = ['$STAGING/']", "SET enable_external_access = false", "SET lock_configuration = true")
	defer s.Close()
	bulk, err := fixtures.Bulk()
	if err != nil {
		t.Fatal(err)
	}
	// outside the staging directory: refused by DuckDB
	if _, err := s.Import(ctx, writeBatch(t, t.TempDir(), bulk[:100])); err == nil || !strings.Contains(err.Error(), "Permission") {
		t.Fatalf("import from outside the staging directory: %v", err)
	}
	if _, err := s.Import(ctx, writeBatch(t, s.StagingDir(), bulk[:100])); err != nil {
		t.Fatalf("import from the staging directory: %v", err)
	}
	// the store still reads and writes, and its settings are locked
	put(t, s, patient("after-lock", "X"))
	if err := s.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DB().ExecContext(ctx, "SET enable_external_access = true"); err == nil {
		t.Fatal("settings are not locked")
	}
}

// TestWritesDuringImport checks that writes are acknowledged while an
// import loads, except those to a resource it imports, which wait for it
// and get the version after the imported one.
// pausedImport starts importing batch and returns once the import stands
// at hook (one of the testHook variables), where it waits until release
// is closed; imported then gives its result.
func pausedImport(t *testing.T, s *Store, batch ImportBatch, hook *func()) (release chan struct{}, imported chan error) {
	t.Helper()
	paused := make(chan struct{})
	release, imported = make(chan struct{}), make(chan error, 1)
	*hook = func() {
		close(paused)
		<-release
	}
	t.Cleanup(func() { *hook = nil })
	go func() {
		_, err := s.Import(context.Background(), batch)
		imported <- err
	}()
	<-paused
	return release, imported
}

func TestWritesDuringImport(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t, filepath.Join(t.TempDir(), "s.duckdb"))
	defer s.Close()
	put(t, s, patient("both", "Before"))
	batch := writeBatch(t, t.TempDir(), []fixtures.Resource{
		{Type: "Patient", JSON: []byte(patient("both", "Imported"))},
		{Type: "Patient", JSON: []byte(patient("imported", "Imported"))},
	})
	release, imported := pausedImport(t, s, batch, &testHookImportLoading)
	// a resource the import does not carry: acknowledged at once
	during := make(chan Result, 1)
	go func() { during <- put(t, s, patient("other", "During")) }()
	select {
	case r := <-during:
		if r.VersionID != 1 {
			t.Errorf("write during the import = %+v", r)
		}
	case <-time.After(10 * time.Second):
		close(release)
		t.Fatal("a write to another resource waited for the import")
	}
	if got, err := s.Read(ctx, "Patient", "other"); err != nil || got.VersionID != 1 {
		t.Errorf("read of it = %+v %v", got, err)
	}
	// one it carries: waits for the import
	waited := make(chan Result, 1)
	go func() { waited <- put(t, s, patient("both", "After")) }()
	select {
	case r := <-waited:
		t.Fatalf("a write to an imported resource did not wait for the import: %+v", r)
	case <-time.After(200 * time.Millisecond):
	}
	close(release)
	if err := <-imported; err != nil {
		t.Fatal(err)
	}
	if r := <-waited; r.VersionID != 3 {
		t.Errorf("write after the import = version %d, want 3 (1 written, 2 imported)", r.VersionID)
	}
	got, err := s.Read(ctx, "Patient", "both")
	if err != nil || got.VersionID != 3 || !strings.Contains(string(got.JSON), "After") {
		t.Errorf("read = %s v%d %v", got.JSON, got.VersionID, err)
	}
	if err := s.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	var versions []int64
	rows, err := s.DB().QueryContext(ctx, "SELECT version_id FROM patient_history WHERE id = 'both' UNION ALL SELECT version_id FROM patient WHERE id = 'both' ORDER BY 1")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var v int64
		rows.Scan(&v)
		versions = append(versions, v)
	}
	rows.Close()
	if fmt.Sprint(versions) != "[1 2 3]" {
		t.Errorf("stored versions of Patient/both = %v, want [1 2 3]", versions)
	}
}

func TestWriteIDs(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ids")
	if err := writeIDs(path, []ImportFile{{IDs: []string{"a-1", "B.2"}}, {IDs: []string{"c"}}}); err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(path); err != nil || string(got) != "a-1\nB.2\nc\n" {
		t.Errorf("file = %q %v", got, err)
	}
	for _, bad := range []string{"tab\there", "line\nbreak", `quo"te`, "cr\r"} {
		if err := writeIDs(path, []ImportFile{{IDs: []string{"ok"}}, {IDs: []string{bad}}}); err == nil || !strings.Contains(err.Error(), "bad id") {
			t.Errorf("%q: err = %v, want a bad id error", bad, err)
		}
	}
}

// An import whose commit leaves the WAL past the store's
// ImportCheckpointWAL checkpoints: its rows are in the database file, not
// waiting in the WAL (and in memory) for the end of a long import.
func TestImportCheckpointsPastItsWALSize(t *testing.T) {
	ctx := context.Background()
	for _, limit := range []int64{0, 1} { // the default (128 MiB), one byte
		path := filepath.Join(t.TempDir(), "s.duckdb")
		s := openTestStoreWith(t, path, StoreOptions{MergeInterval: time.Hour, ImportCheckpointWAL: limit})
		importJSON(t, s, patient("p1", "One"), patient("p2", "Two"))
		var wal int64
		if fi, err := os.Stat(path + ".wal"); err == nil {
			wal = fi.Size()
		}
		if limit == 1 && wal > 0 || limit == 0 && wal == 0 {
			t.Errorf("ImportCheckpointWAL %d: WAL of %d bytes after the import", limit, wal)
		}
		if f, v := readFamily(t, s, "p2"); f != "Two" || v != 1 {
			t.Errorf("ImportCheckpointWAL %d: read p2 = %s v%d", limit, f, v)
		}
		var n int
		if err := s.DB().QueryRowContext(ctx, "SELECT count(*) FROM main.patient").Scan(&n); err != nil || n != 2 {
			t.Errorf("ImportCheckpointWAL %d: %d patients (%v)", limit, n, err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// Rows imported into a table with columns they lack read back equal from
// the table (not the copy for reads by id), and the rows imported before
// keep theirs.
func TestImportedRowsReadBackFromTheTable(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t, filepath.Join(t.TempDir(), "s.duckdb"))
	defer s.Close()
	full := `{"resourceType":"Observation","id":"o1","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}]},"subject":{"reference":"Patient/p1"},"valueQuantity":{"value":72,"unit":"/min"},"note":[{"text":"resting"}]}`
	bare := `{"resourceType":"Observation","id":"o2","status":"preliminary","code":{"text":"pulse"}}`
	for _, js := range []string{full, bare} {
		if _, err := s.Import(ctx, writeBatch(t, t.TempDir(), []fixtures.Resource{{Source: "test", Type: "Observation", JSON: []byte(js)}})); err != nil {
			t.Fatal(err)
		}
	}
	for id, want := range map[string]string{"o1": full, "o2": bare} {
		var row string
		if err := s.DB().QueryRowContext(ctx, "SELECT to_json(t)::VARCHAR FROM main.observation t WHERE id = ?", id).Scan(&row); err != nil {
			t.Fatal(err)
		}
		got, err := s.RowResource("Observation", row)
		if err != nil {
			t.Fatal(err)
		}
		if !sameResource(t, []byte(want), got.JSON) {
			t.Errorf("%s from its table row:\n%s\nwant\n%s", id, got.JSON, want)
		}
	}
	var keyed, withNote int
	if err := s.DB().QueryRowContext(ctx, "SELECT count(subject__key), count(note) FROM main.observation").Scan(&keyed, &withNote); err != nil {
		t.Fatal(err)
	}
	if keyed != 1 || withNote != 1 {
		t.Errorf("subject keys %d, notes %d; want 1 each (o1's)", keyed, withNote)
	}
}
