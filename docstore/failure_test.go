package docstore

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// within fails the test when f does not return in time (a hang).
func within(t *testing.T, what string, f func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		return err
	case <-time.After(30 * time.Second):
		t.Fatalf("%s still waiting after 30 s", what)
		return nil
	}
}

// The disk stops taking writes (here: the copy's directory is removed
// under it): pebble's flush fails and would be retried for ever. Writes
// and Close answer with the error instead of waiting, and the copy is not
// marked clean, so the next Open rebuilds it.
func TestWritingFailureEndsInErrors(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "docs")
	s := mustOpen(t, dir, "", false)
	b := s.NewBatch()
	for i := range 1000 {
		if err := b.Put("Patient", fmt.Sprint("p", i), doc(1, `{"id":"p"}`)); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := within(t, "a flush to a removed directory", s.flush); err == nil || !strings.Contains(err.Error(), "writing to disk failed") {
		t.Fatalf("flush = %v, want the write failure", err)
	}
	b = s.NewBatch()
	if err := b.Put("Patient", "late", doc(1, `{"id":"late"}`)); err != nil {
		t.Fatal(err)
	}
	if err := within(t, "a commit after the failure", b.Commit); err == nil || !strings.Contains(err.Error(), "writing to disk failed") {
		t.Fatalf("commit after the failure = %v, want the write failure", err)
	}
	if d, ok := mustGet(t, s, "Patient", "p7"); !ok || d.VersionID != 1 {
		t.Errorf("a read after the failure: %+v %v", d, ok)
	}
	if err := within(t, "Close", func() error { return s.Close("tok") }); err == nil {
		t.Fatal("Close after a write failure succeeded")
	}
	s = mustOpen(t, dir, "tok", false) // not clean: emptied
	if _, ok := mustGet(t, s, "Patient", "p7"); ok {
		t.Error("the copy kept rows it could not write")
	}
	if err := s.Close(""); err != nil {
		t.Fatal(err)
	}
}
