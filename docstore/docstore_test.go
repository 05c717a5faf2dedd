package docstore

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func doc(v int64, row string) Doc {
	return Doc{VersionID: v, LastUpdated: time.Date(2026, 11, 26, 3, 0, 0, 123000, time.UTC), Row: []byte(row)}
}

func mustOpen(t *testing.T, dir, token string, wantCurrent bool) *Store {
	t.Helper()
	s, current, err := Open(dir, token)
	if err != nil {
		t.Fatal(err)
	}
	if current != wantCurrent {
		t.Fatalf("Open(%q): current = %v, want %v", token, current, wantCurrent)
	}
	return s
}

func mustGet(t *testing.T, s *Store, typ, id string) (Doc, bool) {
	t.Helper()
	d, ok, err := s.Get(typ, id)
	if err != nil {
		t.Fatal(err)
	}
	return d, ok
}

func TestPutGetAndCleanReopen(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "docs")
	s := mustOpen(t, dir, "", false)
	b := s.NewBatch()
	if err := b.PutFirst("Patient", "p1", doc(1, `{"id":"p1"}`)); err != nil {
		t.Fatal(err)
	}
	if err := b.Put("Patient", "p1", doc(2, `{"id":"p1","x":2}`)); err != nil {
		t.Fatal(err)
	}
	if err := b.Put("Observation", "p1", Doc{VersionID: 3, LastUpdated: time.Unix(0, 0).UTC(), Deleted: true}); err != nil {
		t.Fatal(err)
	}
	if _, ok := mustGet(t, s, "Patient", "p1"); ok {
		t.Fatal("a put is visible before its batch is committed")
	}
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	d, ok := mustGet(t, s, "Patient", "p1")
	want := doc(2, `{"id":"p1","x":2}`)
	if !ok || d.VersionID != 2 || string(d.Row) != string(want.Row) || !d.LastUpdated.Equal(want.LastUpdated) || d.Deleted {
		t.Fatalf("get = %+v %v, want %+v", d, ok, want)
	}
	if d, ok := mustGet(t, s, "Observation", "p1"); !ok || !d.Deleted || d.VersionID != 3 || d.Row != nil {
		t.Fatalf("tombstone = %+v %v", d, ok)
	}
	if _, ok := mustGet(t, s, "Patient", "p"); ok {
		t.Fatal("a missing id was found")
	}
	if err := s.Close("t1"); err != nil {
		t.Fatal(err)
	}
	s = mustOpen(t, dir, "t1", true)
	if d, ok := mustGet(t, s, "Patient", "p1"); !ok || d.VersionID != 2 {
		t.Fatalf("after a clean reopen: %+v %v", d, ok)
	}
	// the marker is used up by the open: closing without one leaves the copy untrusted
	if err := s.Close(""); err != nil {
		t.Fatal(err)
	}
	s = mustOpen(t, dir, "t1", false)
	if _, ok := mustGet(t, s, "Patient", "p1"); ok {
		t.Fatal("an untrusted copy was not emptied")
	}
	s.Close("")
}

// closedCopy returns the directory of a copy holding Patient/p1, closed
// with token.
func closedCopy(t *testing.T, token string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "docs")
	s := mustOpen(t, dir, "", false)
	b := s.NewBatch()
	b.Put("Patient", "p1", doc(1, `{}`))
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(token); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestOtherTokenEmptiesTheCopy(t *testing.T) {
	dir := closedCopy(t, "old")
	s := mustOpen(t, dir, "new", false)
	defer s.Close("")
	if _, ok := mustGet(t, s, "Patient", "p1"); ok {
		t.Fatal("a copy closed with another token was kept")
	}
}

func TestCrashLeavesNoMarker(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "docs")
	s := mustOpen(t, dir, "", false)
	if err := s.Close("t1"); err != nil {
		t.Fatal(err)
	}
	s = mustOpen(t, dir, "t1", true)
	// a crash: the process ends without Close
	if _, err := os.Stat(filepath.Join(dir, cleanFile)); !os.IsNotExist(err) {
		t.Fatalf("the clean marker outlived the open: %v", err)
	}
	s.db.Close()
}

func TestNewerBatchKeepsTheNewestVersion(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "docs")
	s := mustOpen(t, dir, "", false)
	defer s.Close("")
	b := s.NewBatch()
	b.Put("Patient", "a", doc(5, `{"v":5}`))
	b.Put("Patient", "gone", Doc{VersionID: 3, Deleted: true})
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	nb := s.NewerBatch()
	for _, p := range []struct {
		id string
		d  Doc
	}{{"a", doc(4, `{"v":4}`)}, {"a", doc(5, `{"v":"5 again"}`)}, {"gone", doc(2, `{}`)}, {"new", doc(1, `{"v":1}`)}} {
		if err := nb.Put("Patient", p.id, p.d); err != nil {
			t.Fatal(err)
		}
	}
	if err := nb.Commit(); err != nil {
		t.Fatal(err)
	}
	if d, _ := mustGet(t, s, "Patient", "a"); string(d.Row) != `{"v":5}` {
		t.Fatalf("an older or equal version replaced a newer one: %s", d.Row)
	}
	if d, _ := mustGet(t, s, "Patient", "gone"); !d.Deleted {
		t.Fatalf("a deletion was replaced by an older version: %+v", d)
	}
	if d, ok := mustGet(t, s, "Patient", "new"); !ok || string(d.Row) != `{"v":1}` {
		t.Fatalf("new = %+v %v", d, ok)
	}
	nb.Put("Patient", "a", doc(6, `{"v":6}`))
	if err := nb.Commit(); err != nil {
		t.Fatal(err)
	}
	if d, _ := mustGet(t, s, "Patient", "a"); d.VersionID != 6 {
		t.Fatalf("a newer version was not put: %+v", d)
	}
}

func TestLargeBatchesWriteInGroups(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "docs")
	s := mustOpen(t, dir, "", false)
	defer s.Close("")
	b := s.NewBatch()
	row := make([]byte, 4096)
	for i := range row {
		row[i] = 'x'
	}
	const n = 5000 // 20 MB: more than one group
	for i := 0; i < n; i++ {
		if err := b.Put("Observation", string(rune('a'+i%26))+time.Duration(i).String(), Doc{VersionID: 1, Row: row}); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{0, 2047, n - 1} {
		if d, ok := mustGet(t, s, "Observation", string(rune('a'+i%26))+time.Duration(i).String()); !ok || len(d.Row) != len(row) {
			t.Fatalf("row %d: %v %d", i, ok, len(d.Row))
		}
	}
}

func FuzzDecode(f *testing.F) {
	f.Add((&value{Doc: doc(7, `{"a":1}`)}).encode(nil))
	f.Add((&value{Doc: Doc{VersionID: 1, Deleted: true}}).encode(nil))
	f.Add((&value{Doc: Doc{VersionID: 2}, inSegment: true, seg: 3, off: 1 << 40, n: 1200}).encode(nil))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := decode(b)
		if err != nil {
			return
		}
		again, err := decode(v.encode(nil))
		if err != nil || again.VersionID != v.VersionID || again.Deleted != v.Deleted || string(again.Row) != string(v.Row) ||
			again.inSegment != v.inSegment || again.seg != v.seg || again.off != v.off || again.n != v.n {
			t.Fatalf("round trip of %+v: %+v %v", v, again, err)
		}
	})
}

func TestSegments(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "docs")
	s := mustOpen(t, dir, "", false)
	rows := filepath.Join(t.TempDir(), "rows.ndjson")
	lines := []string{`{"id":"a","n":1}`, `{"id":"b","n":22}`, `{"id":"c","n":333}`}
	var content string
	for _, l := range lines {
		content += l + "\n"
	}
	if err := os.WriteFile(rows, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	seg, err := s.TakeSegment(rows)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(rows); !os.IsNotExist(err) {
		t.Fatal("the file was not moved")
	}
	b := s.NewBatch()
	off := int64(0)
	for _, l := range lines {
		id := l[7:8]
		if err := b.PutInSegment("Patient", id, doc(1, ""), seg, off, int64(len(l)), true); err != nil {
			t.Fatal(err)
		}
		off += int64(len(l)) + 1
	}
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	for _, l := range lines {
		if d, ok := mustGet(t, s, "Patient", l[7:8]); !ok || string(d.Row) != l || d.VersionID != 1 {
			t.Fatalf("get %s = %+v %v", l[7:8], d, ok)
		}
	}
	segFile := filepath.Join(dir, segmentName(seg.id))
	// a clean reopen counts the rows each segment still serves
	if err := s.Close("t"); err != nil {
		t.Fatal(err)
	}
	s = mustOpen(t, dir, "t", true)
	defer s.Close("")
	if d, ok := mustGet(t, s, "Patient", "b"); !ok || string(d.Row) != lines[1] {
		t.Fatalf("after reopening: %+v %v", d, ok)
	}
	// replacing two of its rows keeps the segment; replacing the third removes it
	b = s.NewBatch()
	b.Put("Patient", "a", doc(2, `{"id":"a","n":"new"}`))
	b.Put("Patient", "b", Doc{VersionID: 2, Deleted: true})
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(segFile); err != nil {
		t.Fatalf("a segment still in use was removed: %v", err)
	}
	if d, _ := mustGet(t, s, "Patient", "c"); string(d.Row) != lines[2] {
		t.Fatalf("c = %s", d.Row)
	}
	b.Put("Patient", "c", doc(2, `{"id":"c","n":"new"}`))
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(segFile); !os.IsNotExist(err) {
		t.Fatalf("a segment no key uses was kept: %v", err)
	}
	if d, _ := mustGet(t, s, "Patient", "c"); string(d.Row) != `{"id":"c","n":"new"}` {
		t.Fatalf("c = %s", d.Row)
	}
}

func TestLoaderPutsOnlyOverOlderVersions(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "docs")
	s := mustOpen(t, dir, "", false)
	defer s.Close("")
	b := s.NewBatch()
	b.Put("Patient", "newer", doc(3, `{"kept":true}`))
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	l := s.NewLoader()
	defer l.Close()
	for id, d := range map[string]Doc{"newer": doc(2, `{"kept":false}`), "a": doc(1, `{"id":"a"}`), "b": doc(4, `{"id":"b"}`)} {
		if err := l.Add("Patient", id, d); err != nil {
			t.Fatal(err)
		}
	}
	if _, ok := mustGet(t, s, "Patient", "a"); ok {
		t.Fatal("a row is visible before the loader is flushed")
	}
	if err := l.Flush(); err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]string{"newer": `{"kept":true}`, "a": `{"id":"a"}`, "b": `{"id":"b"}`} {
		if d, ok := mustGet(t, s, "Patient", id); !ok || string(d.Row) != want {
			t.Errorf("%s = %s %v, want %s", id, d.Row, ok, want)
		}
	}
	// an unflushed segment is removed by Close
	l.Add("Patient", "c", doc(1, `{}`))
	l.Close()
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if filepath.Ext(e.Name()) == ".tmp" {
			t.Errorf("%s left behind", e.Name())
		}
	}
}

func TestAnUnreadableCopyStartsAgain(t *testing.T) {
	dir := closedCopy(t, "t")
	manifests, _ := filepath.Glob(filepath.Join(dir, "MANIFEST-*"))
	if len(manifests) == 0 {
		t.Fatal("no manifest to damage")
	}
	for _, m := range manifests {
		if err := os.WriteFile(m, []byte("not a manifest"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	s := mustOpen(t, dir, "t", false)
	defer s.Close("")
	if _, ok := mustGet(t, s, "Patient", "p1"); ok {
		t.Fatal("a damaged copy was read")
	}
	b := s.NewBatch()
	b.Put("Patient", "p2", doc(1, `{"ok":1}`))
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	if d, ok := mustGet(t, s, "Patient", "p2"); !ok || string(d.Row) != `{"ok":1}` {
		t.Fatalf("the new copy does not work: %+v %v", d, ok)
	}
}

// TestABatchKeepsTheOrderOfAKeysPuts checks that a batch, which writes in
// key order, still lets a key's later put in the batch win.
func TestABatchKeepsTheOrderOfAKeysPuts(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "docs")
	s := mustOpen(t, dir, "", false)
	defer s.Close("")
	b := s.NewBatch()
	for _, p := range []struct {
		id string
		d  Doc
	}{{"z", doc(1, `{"v":"z1"}`)}, {"a", doc(1, `{"v":"a1"}`)}, {"m", doc(1, `{}`)}, {"z", doc(2, `{"v":"z2"}`)}, {"a", doc(2, `{"v":"a2"}`)}, {"a", doc(3, `{"v":"a3"}`)}} {
		if err := b.Put("Patient", p.id, p.d); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]string{"a": `{"v":"a3"}`, "z": `{"v":"z2"}`, "m": `{}`} {
		if d, ok := mustGet(t, s, "Patient", id); !ok || string(d.Row) != want {
			t.Errorf("%s = %s (%v), want %s", id, d.Row, ok, want)
		}
	}
	nb := s.NewerBatch()
	nb.Put("Patient", "z", doc(5, `{"v":"z5"}`))
	nb.Put("Patient", "b", doc(1, `{}`))
	nb.Put("Patient", "z", doc(4, `{"v":"z4"}`))
	if err := nb.Commit(); err != nil {
		t.Fatal(err)
	}
	if d, _ := mustGet(t, s, "Patient", "z"); string(d.Row) != `{"v":"z5"}` {
		t.Errorf("z = %s, want the newest put of the batch", d.Row)
	}
}
