package engine

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fhirlake/fhirlake/internal/fixtures"
)

// importJSON imports resources in one batch.
func importJSON(t *testing.T, s *Store, resources ...string) {
	t.Helper()
	var rs []fixtures.Resource
	for _, js := range resources {
		rs = append(rs, fixtures.Resource{Source: "test", JSON: []byte(js)})
	}
	if _, err := s.Import(context.Background(), writeBatch(t, s.StagingDir(), rs)); err != nil {
		t.Fatal(err)
	}
}

// waitDocs waits until reads by id use the store's copy.
func waitDocs(t testing.TB, s *Store) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !s.docsReady.Load() {
		if time.Now().After(deadline) {
			t.Fatal("the copy for reads by id was not filled in 30 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func readFamily(t *testing.T, s *Store, id string) (string, int64) {
	t.Helper()
	r, err := s.Read(context.Background(), "Patient", id)
	if err != nil {
		t.Fatalf("read %s: %v", id, err)
	}
	i := strings.Index(string(r.JSON), `"family":"`)
	if i < 0 {
		t.Fatalf("read %s: %s", id, r.JSON)
	}
	rest := string(r.JSON)[i+len(`"family":"`):]
	return rest[:strings.IndexByte(rest, '"')], r.VersionID
}

func TestReadsByIDComeFromTheCopyAfterAMerge(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "s.duckdb")
	s := openTestStore(t, path)
	put(t, s, patient("p1", "Smith"))
	put(t, s, patient("p1", "Jones"))
	put(t, s, patient("p2", "Gone"))
	if _, err := s.Apply(ctx, []Op{{Kind: Delete, Type: "Patient", ID: "p2"}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if e := s.pending.get("Patient", "p1"); e != nil {
		t.Fatal("still pending after Sync")
	}
	d, ok, err := s.docs.Get("Patient", "p1")
	if err != nil || !ok || d.VersionID != 2 {
		t.Fatalf("copy of p1 = %+v %v %v", d, ok, err)
	}
	if f, v := readFamily(t, s, "p1"); f != "Jones" || v != 2 {
		t.Fatalf("read p1 = %s v%d", f, v)
	}
	var gone *GoneError
	if _, err := s.Read(ctx, "Patient", "p2"); !errors.As(err, &gone) || gone.VersionID != 2 {
		t.Fatalf("read deleted p2: %v", err)
	}
	for v, family := range map[int64]string{1: "Smith", 2: "Jones"} {
		r, err := s.VRead(ctx, "Patient", "p1", v)
		if err != nil || r.VersionID != v || !strings.Contains(string(r.JSON), family) {
			t.Fatalf("vread p1/%d = %+v %v, want %s", v, r, err, family)
		}
	}
	if r, err := s.VRead(ctx, "Patient", "p2", 2); err != nil || !r.Deleted {
		t.Fatalf("vread of the deletion = %+v %v", r, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// a clean reopen trusts the copy at once
	s = openTestStore(t, path)
	defer s.Close()
	if !s.docsReady.Load() {
		t.Fatal("a cleanly closed copy is not used after reopening")
	}
	// the token is used up by the open: whatever writes the database
	// next without the copy (a crash, an older fhirlake) leaves none
	var n int
	if err := s.db.QueryRow("SELECT count(*) FROM "+internalSchema+".settings WHERE key = ?", docsTokenKey).Scan(&n); err != nil || n != 0 {
		t.Fatalf("tokens in the open database: %d %v", n, err)
	}
	if f, v := readFamily(t, s, "p1"); f != "Jones" || v != 2 {
		t.Fatalf("read p1 after reopening = %s v%d", f, v)
	}
	if _, err := s.Read(ctx, "Patient", "p2"); !errors.As(err, &gone) {
		t.Fatalf("read deleted p2 after reopening: %v", err)
	}
	var nf *NotFoundError
	if _, err := s.Read(ctx, "Patient", "never"); !errors.As(err, &nf) {
		t.Fatalf("read of an id never stored: %v", err)
	}
}

// A copy from another state of the database (here: an older copy put
// back, as a restored backup would) is not trusted: it is filled again
// from the tables, and reads never see its stale versions.
func TestACopyFromAnotherStateIsRebuilt(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "s.duckdb")
	s := openTestStore(t, path)
	put(t, s, patient("p1", "Old"))
	put(t, s, patient("p2", "Here"))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	saved := filepath.Join(dir, "saved.docs")
	if out, err := exec.Command("cp", "-a", docsDir(path), saved).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v %s", err, out)
	}
	s = openTestStore(t, path)
	put(t, s, patient("p1", "New"))
	if _, err := s.Apply(ctx, []Op{{Kind: Delete, Type: "Patient", ID: "p2"}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(docsDir(path)); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(saved, docsDir(path)); err != nil {
		t.Fatal(err)
	}
	s = openTestStore(t, path)
	defer s.Close()
	if f, v := readFamily(t, s, "p1"); f != "New" || v != 2 {
		t.Fatalf("read p1 while the copy fills = %s v%d", f, v)
	}
	waitDocs(t, s)
	s.cache.clear()
	if f, v := readFamily(t, s, "p1"); f != "New" || v != 2 {
		t.Fatalf("read p1 from the filled copy = %s v%d", f, v)
	}
	var gone *GoneError
	if _, err := s.Read(ctx, "Patient", "p2"); !errors.As(err, &gone) {
		t.Fatalf("read deleted p2: %v", err)
	}
}

// Imported resources are in the copy with the versions the import gave them.
func TestImportFillsTheCopy(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := openTestStore(t, filepath.Join(dir, "s.duckdb"))
	defer s.Close()
	put(t, s, patient("p1", "Before"))
	if err := s.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	importJSON(t, s, patient("p1", "Imported"), patient("p3", "Fresh"))
	for id, want := range map[string]int64{"p1": 2, "p3": 1} {
		d, ok, err := s.docs.Get("Patient", id)
		if err != nil || !ok || d.VersionID != want {
			t.Fatalf("copy of %s = %+v %v %v, want version %d", id, d, ok, err, want)
		}
	}
	if f, v := readFamily(t, s, "p1"); f != "Imported" || v != 2 {
		t.Fatalf("read p1 = %s v%d", f, v)
	}
}

// A re-import replaces every row of the first import's segment: the
// segment's file goes.
func TestReimportFreesTheFirstSegment(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "s.duckdb")
	s := openTestStore(t, path)
	defer s.Close()
	load := func(family string) { importJSON(t, s, patient("p1", family), patient("p2", family)) }
	segments := func() []string {
		m, _ := filepath.Glob(filepath.Join(docsDir(path), "seg-*"))
		return m
	}
	load("First")
	first := segments()
	if len(first) != 1 {
		t.Fatalf("segments after one import: %v", first)
	}
	load("Second")
	if got := segments(); len(got) != 1 || got[0] == first[0] {
		t.Fatalf("segments after the re-import: %v (first %v)", got, first)
	}
	for _, id := range []string{"p1", "p2"} {
		if f, v := readFamily(t, s, id); f != "Second" || v != 2 {
			t.Fatalf("read %s = %s v%d", id, f, v)
		}
	}
}

// storeOfEachKind leaves a closed store at path with Patient p1 imported,
// p2 written, and p3 written then deleted.
func storeOfEachKind(t *testing.T, path string) {
	t.Helper()
	s := openTestStore(t, path)
	importJSON(t, s, patient("p1", "Imported"))
	put(t, s, patient("p2", "Written"))
	put(t, s, patient("p3", "Deleted"))
	if _, err := s.Apply(context.Background(), []Op{{Kind: Delete, Type: "Patient", ID: "p3"}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

// The writer numbers versions from the copy when it can: an imported
// resource, a written one, one deleted before the copy was filled (the
// fill takes it from the history) and one never written each get the
// right next version, with the copy and without it.
func TestWritesNumberVersionsFromTheCopy(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "s.duckdb")
	storeOfEachKind(t, path)
	if err := os.RemoveAll(docsDir(path)); err != nil { // filled again from the tables
		t.Fatal(err)
	}
	s := openTestStore(t, path)
	defer s.Close()
	waitDocs(t, s)
	for _, c := range []struct {
		id      string
		version int64
		created bool
	}{{"p1", 2, false}, {"p2", 2, false}, {"p3", 3, true}, {"p4", 1, true}} {
		if r := put(t, s, patient(c.id, "Next")); r.VersionID != c.version || r.Created != c.created {
			t.Errorf("put %s with the copy = v%d created %v, want v%d created %v", c.id, r.VersionID, r.Created, c.version, c.created)
		}
	}
	if err := s.Sync(ctx); err != nil { // out of the pending index
		t.Fatal(err)
	}
	s.docsReady.Store(false)
	for _, id := range []string{"p1", "p2", "p3", "p4"} {
		want := map[string]int64{"p1": 3, "p2": 3, "p3": 4, "p4": 2}[id]
		if r := put(t, s, patient(id, "Last")); r.VersionID != want || r.Created {
			t.Errorf("put %s without the copy = v%d created %v, want v%d", id, r.VersionID, r.Created, want)
		}
	}
	if err := s.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	var rows, ids int
	if err := s.DB().QueryRow("SELECT count(*), count(DISTINCT id) FROM main.patient").Scan(&rows, &ids); err != nil || rows != 4 || ids != 4 {
		t.Errorf("patient table: %d rows, %d ids (%v), want 4 and 4", rows, ids, err)
	}
}

// The copy holds every resource ever stored, deletions included (a fill
// takes them from the histories; a copy from before that is filled again),
// so a read of an id it lacks is answered without the database (whose
// tables are scanned by id, having no index on it), except while an import
// is committed but not yet in the copy: its resources are readable from
// its commit on.
func TestReadsTrustTheCopysMisses(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "s.duckdb")
	storeOfEachKind(t, path)
	// as an earlier fhirlake marked its copy, which held no deletions
	// from before its fill
	execOnFile(t, path, "UPDATE _fhirlake.settings SET key = 'docs_token' WHERE key = 'docs_token_2'")
	s := openTestStore(t, path)
	defer s.Close()
	waitDocs(t, s)
	if d, ok, err := s.docs.Get("Patient", "p3"); err != nil || !ok || !d.Deleted || d.VersionID != 2 {
		t.Fatalf("the filled copy has p3 as %+v %v %v, want its deletion at version 2", d, ok, err)
	}
	for id, want := range map[string]int64{"p1": 1, "p2": 1} {
		if r, err := s.Read(ctx, "Patient", id); err != nil || r.VersionID != want {
			t.Errorf("read %s = %v %v, want version %d", id, r, err, want)
		}
	}
	var gone *GoneError
	if _, err := s.Read(ctx, "Patient", "p3"); !errors.As(err, &gone) || gone.VersionID != 2 {
		t.Errorf("read of p3, deleted before the copy was filled = %v, want gone at version 2", err)
	}
	var missing *NotFoundError
	if _, err := s.Read(ctx, "Patient", "p4"); !errors.As(err, &missing) {
		t.Errorf("read of p4, never written = %v, want not found", err)
	}
	// A row put into the table behind the store's back is not read: the
	// copy's miss was trusted.
	if _, err := s.DB().ExecContext(ctx, "INSERT INTO main.patient (id, version_id, last_updated) VALUES ('p9', 1, now())"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Read(ctx, "Patient", "p9"); !errors.As(err, &missing) {
		t.Errorf("read of a row the copy lacks = %v, want not found from the copy", err)
	}

	batch := writeBatch(t, t.TempDir(), []fixtures.Resource{{Type: "Patient", JSON: []byte(patient("p5", "Imported"))}})
	release, imported := pausedImport(t, s, batch, &testHookImportCommitted)
	if _, ok, _ := s.docs.Get("Patient", "p5"); ok {
		t.Error("the copy has p5 before the import put it there: the test no longer covers that gap")
	}
	r, err := s.Read(ctx, "Patient", "p5")
	close(release)
	if err != nil || r.VersionID != 1 {
		t.Errorf("read of p5 between the import's commit and the copy = %v %v, want version 1", r, err)
	}
	if err := <-imported; err != nil {
		t.Fatal(err)
	}
	if r, err := s.Read(ctx, "Patient", "p5"); err != nil || r.VersionID != 1 {
		t.Errorf("read of p5 after the import = %v %v", r, err)
	}
}
