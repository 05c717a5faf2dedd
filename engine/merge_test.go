package engine

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/fhirlake/fhirlake/fhirflat"
)

// TestMergeReplacesOnlyWhatExists runs the merge's three ways of replacing
// current rows (none for creates only, a listed few, a subquery for more
// than maxListedIDs) and checks the tables after each: one current row per
// live resource at its latest version, every earlier version in history.
func TestMergeReplacesOnlyWhatExists(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t, filepath.Join(t.TempDir(), "s.duckdb"))
	defer s.Close()
	n := maxListedIDs + 20
	want := map[string]int64{} // id -> current version (0: deleted)
	versions := 0              // rows expected in all (current and history)
	write := func(ids []string, family string) {
		for _, id := range ids {
			put(t, s, patient(id, family))
			want[id]++
			versions++
		}
		if err := s.merge(ctx); err != nil {
			t.Fatal(err)
		}
	}
	ids := func(from, to int) []string {
		var out []string
		for i := from; i < to; i++ {
			out = append(out, fmt.Sprintf("p%d", i))
		}
		return out
	}
	check := func(step string) {
		t.Helper()
		rows, err := s.db.QueryContext(ctx, "SELECT id, version_id FROM main.patient")
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]int64{}
		for rows.Next() {
			var id string
			var v int64
			if err := rows.Scan(&id, &v); err != nil {
				t.Fatal(err)
			}
			if _, dup := got[id]; dup {
				t.Fatalf("%s: two current rows for %s", step, id)
			}
			got[id] = v
		}
		rows.Close()
		for id, v := range want {
			if v > 0 && got[id] != v {
				t.Fatalf("%s: %s is at version %d in the table, want %d", step, id, got[id], v)
			}
			if v == 0 && got[id] != 0 {
				t.Fatalf("%s: deleted %s still has a current row", step, id)
			}
		}
		var all int
		if err := s.db.QueryRowContext(ctx, "SELECT (SELECT count(*) FROM main.patient) + (SELECT count(*) FROM main.patient_history)").Scan(&all); err != nil {
			t.Fatal(err)
		}
		if all != versions {
			t.Fatalf("%s: %d rows in the tables, want %d (every version once)", step, all, versions)
		}
	}
	write(ids(0, n), "created")
	check("creates only")
	write(ids(0, 3), "updated")
	check("a few updates")
	write(append(ids(0, n), "new1"), "updated again")
	check("many updates and a create")
	for _, id := range []string{"p1", "p2"} {
		if _, err := s.Apply(ctx, []Op{{Kind: Delete, Type: "Patient", ID: id}}); err != nil {
			t.Fatal(err)
		}
		want[id] = 0
		versions++
	}
	if err := s.merge(ctx); err != nil {
		t.Fatal(err)
	}
	check("deletes")
	put(t, s, patient("p1", "back"))
	want["p1"] = 5
	versions++
	if err := s.merge(ctx); err != nil {
		t.Fatal(err)
	}
	check("created again after its deletion")
}

// A merge that fails (the disk full: DuckDB cannot write its WAL) fails
// the Sync that SQL and search wait on, with the merge's error, instead
// of leaving them waiting for their timeout; once merges succeed again,
// Sync does and the write is in the tables.
func TestSyncReturnsTheMergeError(t *testing.T) {
	s := openTestStore(t, filepath.Join(t.TempDir(), "s.duckdb"))
	defer s.Close()
	full := errors.New("Could not write file: No space left on device")
	testHookMerge = func() error { return full }
	defer func() { testHookMerge = nil }()
	put(t, s, patient("p1", "pending"))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	started := time.Now()
	err := s.Sync(ctx)
	if !errors.Is(err, full) {
		t.Fatalf("Sync while merges fail = %v, want the merge's error", err)
	}
	if took := time.Since(started); took > 10*time.Second {
		t.Errorf("Sync took %v to report the failed merge", took)
	}
	testHookMerge = nil
	if err := s.Sync(ctx); err != nil {
		t.Fatalf("Sync once merges succeed: %v", err)
	}
	var n int
	if err := s.db.QueryRowContext(ctx, "SELECT count(*) FROM main.patient WHERE id = 'p1'").Scan(&n); err != nil || n != 1 {
		t.Fatalf("p1 in the table: %d rows (%v)", n, err)
	}
}

// While merges fail, accepted writes wait for them in memory; past
// MaxBacklog of them, writes are refused with a BacklogError naming the
// merge's failure, and accepted again once a merge succeeds.
func TestWritesAreRefusedWhileMergesFailPastTheBacklog(t *testing.T) {
	ctx := context.Background()
	s := openTestStoreWith(t, filepath.Join(t.TempDir(), "s.duckdb"), StoreOptions{MergeInterval: time.Hour, MaxBacklog: 3})
	defer s.Close()
	full := errors.New("Could not write file: No space left on device")
	testHookMerge = func() error { return full }
	defer func() { testHookMerge = nil }()
	for _, id := range []string{"p1", "p2", "p3"} {
		put(t, s, patient(id, "waiting"))
	}
	if err := s.Sync(ctx); !errors.Is(err, full) {
		t.Fatalf("Sync = %v, want the merge's failure", err)
	}
	row, err := fhirflat.Default().NewNormalizer(fhirflat.Strict).Normalize([]byte(patient("p4", "refused")))
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Apply(ctx, []Op{{Kind: Put, Type: "Patient", ID: "p4", Row: row}})
	var backlog *BacklogError
	if !errors.As(err, &backlog) || backlog.Waiting != 3 || !errors.Is(err, full) {
		t.Fatalf("a write past the backlog = %v, want a BacklogError of 3 writes caused by the merge's failure", err)
	}
	if _, err := s.Read(ctx, "Patient", "p2"); err != nil {
		t.Errorf("a read of a waiting write: %v", err)
	}
	testHookMerge = nil
	if err := s.Sync(ctx); err != nil {
		t.Fatalf("Sync once merges succeed: %v", err)
	}
	put(t, s, patient("p4", "accepted"))
	var n int
	if err := s.db.QueryRowContext(ctx, "SELECT count(*) FROM main.patient").Scan(&n); err != nil || n != 3 {
		t.Fatalf("%d patients in the table after the merge (%v), want the 3 accepted while merges failed", n, err)
	}
}
