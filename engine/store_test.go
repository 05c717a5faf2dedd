package engine

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fhirlake/fhirlake/fhirflat"
)

func openTestStore(t *testing.T, path string, harden ...string) *Store {
	t.Helper()
	start := time.Now()
	opts := StoreOptions{MergeInterval: time.Hour}
	if len(harden) > 0 {
		opts.Hardening = func(staging string) []string {
			var out []string
			for _, q := range harden {
				out = append(out, strings.ReplaceAll(q, "$STAGING", staging))
			}
			return out
		}
	}
	s := openTestStoreWith(t, path, opts)
	t.Logf("open store: %v", time.Since(start))
	return s
}

// execOnFile runs one statement on the database file of a closed store,
// as an earlier fhirlake (or another program) would have left it.
func execOnFile(t *testing.T, path, query string, args ...any) {
	t.Helper()
	db, err := sql.Open("duckdb", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(query, args...); err != nil {
		t.Fatal(err)
	}
}

// openTestStoreWith opens a store at path with options.
func openTestStoreWith(t *testing.T, path string, opts StoreOptions) *Store {
	t.Helper()
	s, err := OpenStore(context.Background(), "test", path, filepath.Join(filepath.Dir(path), "staging"), fhirflat.Default(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func put(t *testing.T, s *Store, js string, opts ...func(*Op)) Result {
	t.Helper()
	row, err := fhirflat.Default().NewNormalizer(fhirflat.Strict).Normalize([]byte(js))
	if err != nil {
		t.Fatal(err)
	}
	row.JSON = append([]byte(nil), row.JSON...)
	op := Op{Kind: Put, Type: row.Type, ID: row.ID, Row: row}
	for _, o := range opts {
		o(&op)
	}
	res, err := s.Apply(context.Background(), []Op{op})
	if err != nil {
		t.Fatal(err)
	}
	return res[0]
}

func patient(id, family string) string {
	return fmt.Sprintf(`{"resourceType":"Patient","id":%q,"name":[{"family":%q,"given":["Ann"]}],"birthDate":"1970-03","gender":"female"}`, id, family)
}

func TestStoreLifecycle(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "s.duckdb")
	s := openTestStore(t, path)
	r1 := put(t, s, patient("p1", "Smith"))
	if r1.VersionID != 1 || !r1.Created {
		t.Fatalf("create = %+v", r1)
	}
	got, err := s.Read(ctx, "Patient", "p1")
	if err != nil || !strings.Contains(string(got.JSON), `"family":"Smith"`) || got.VersionID != 1 {
		t.Fatalf("read pending = %+v %v", got, err)
	}
	r2 := put(t, s, patient("p1", "Jones"))
	if r2.VersionID != 2 || r2.Created {
		t.Fatalf("update = %+v", r2)
	}
	// If-Match on a stale version
	row, _ := fhirflat.Default().NewNormalizer(fhirflat.Strict).Normalize([]byte(patient("p1", "X")))
	_, err = s.Apply(ctx, []Op{{Kind: Put, Type: "Patient", ID: "p1", Row: row, IfMatch: 1}})
	var vc *VersionConflictError
	if !errors.As(err, &vc) || vc.Current != 2 {
		t.Fatalf("stale If-Match: %v", err)
	}
	if err := s.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	got, err = s.Read(ctx, "Patient", "p1")
	if err != nil || !strings.Contains(string(got.JSON), `"family":"Jones"`) || got.VersionID != 2 {
		t.Fatalf("read merged = %+v %v", got, err)
	}
	v1, err := s.VRead(ctx, "Patient", "p1", 1)
	if err != nil || !strings.Contains(string(v1.JSON), "Smith") {
		t.Fatalf("vread 1 = %+v %v", v1, err)
	}
	r3 := put(t, s, patient("p1", "Brown"))
	res, err := s.Apply(ctx, []Op{{Kind: Delete, Type: "Patient", ID: "p1"}})
	if err != nil || res[0].VersionID != 4 {
		t.Fatalf("delete = %+v %v", res, err)
	}
	var gone *GoneError
	if _, err := s.Read(ctx, "Patient", "p1"); !errors.As(err, &gone) || gone.VersionID != 4 {
		t.Fatalf("read deleted (pending) = %v", err)
	}
	// intermediate version 3 is only pending
	v3, err := s.VRead(ctx, "Patient", "p1", r3.VersionID)
	if err != nil || !strings.Contains(string(v3.JSON), "Brown") {
		t.Fatalf("vread pending 3 = %+v %v", v3, err)
	}
	if err := s.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Read(ctx, "Patient", "p1"); !errors.As(err, &gone) || gone.VersionID != 4 {
		t.Fatalf("read deleted (merged) = %v", err)
	}
	hist, err := s.History(ctx, "Patient", "p1", HistoryOptions{})
	if err != nil || len(hist) != 4 || !hist[0].Deleted || hist[3].VersionID != 1 {
		t.Fatalf("history = %v %v", hist, err)
	}
	// re-create after delete continues the version numbers
	if r := put(t, s, patient("p1", "Again")); r.VersionID != 5 || !r.Created {
		t.Fatalf("re-create = %+v", r)
	}
	var n int
	if err := s.DB().QueryRow("SELECT count(*) FROM patient").Scan(&n); err != nil || n != 0 {
		t.Fatalf("patient rows before sync = %d %v", n, err)
	}
	if err := s.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	var family string
	if err := s.DB().QueryRow("SELECT name[1].family FROM patient WHERE id = 'p1'").Scan(&family); err != nil || family != "Again" {
		t.Fatalf("SQL after sync = %q %v", family, err)
	}
	put(t, s, patient("p2", "Pending"))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// Everything is still there after a restart.
	s = openTestStore(t, path)
	defer s.Close()
	for id, want := range map[string]string{"p1": "Again", "p2": "Pending"} {
		got, err := s.Read(ctx, "Patient", id)
		if err != nil || !strings.Contains(string(got.JSON), want) {
			t.Fatalf("after restart %s = %+v %v", id, got, err)
		}
	}
	if r := put(t, s, patient("p2", "Next")); r.VersionID != 2 {
		t.Fatalf("update after restart = %+v", r)
	}
}

func TestConcurrentUpdatesKeepEveryVersion(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t, filepath.Join(t.TempDir(), "s.duckdb"))
	defer s.Close()
	put(t, s, patient("c", "v0"))
	var wg sync.WaitGroup
	const clients, each = 8, 25
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				row, _ := fhirflat.Default().NewNormalizer(fhirflat.Strict).Normalize([]byte(patient("c", fmt.Sprintf("c%di%d", c, i))))
				if _, err := s.Apply(ctx, []Op{{Kind: Put, Type: "Patient", ID: "c", Row: row}}); err != nil {
					t.Error(err)
				}
			}
		}(c)
	}
	wg.Wait()
	got, err := s.Read(ctx, "Patient", "c")
	if err != nil || got.VersionID != 1+clients*each {
		t.Fatalf("final version = %+v %v", got, err)
	}
	hist, err := s.History(ctx, "Patient", "c", HistoryOptions{})
	if err != nil || len(hist) != 1+clients*each {
		t.Fatalf("history has %d versions, want %d (%v)", len(hist), 1+clients*each, err)
	}
	for i, h := range hist {
		if h.VersionID != int64(len(hist)-i) {
			t.Fatalf("history[%d] is version %d", i, h.VersionID)
		}
	}
}

// TestGroupsOfEverySizeLand writes groups of one write to a large
// transaction's and reads every resource back after the store is closed
// and opened again.
func TestGroupsOfEverySizeLand(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "s.duckdb")
	s := openTestStore(t, path)
	want := map[string]bool{}
	for _, size := range []int{1, 64, 65, 500} {
		var ops []Op
		for i := 0; i < size; i++ {
			id := fmt.Sprintf("g%d-%d", size, i)
			row, err := fhirflat.Default().NewNormalizer(fhirflat.Strict).Normalize([]byte(patient(id, "group")))
			if err != nil {
				t.Fatal(err)
			}
			row.JSON = append([]byte(nil), row.JSON...)
			ops = append(ops, Op{Kind: Put, Type: "Patient", ID: id, Row: row})
			want[id] = true
		}
		if _, err := s.Apply(ctx, ops); err != nil {
			t.Fatalf("a group of %d: %v", size, err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openTestStore(t, path)
	defer s.Close()
	for id := range want {
		if r, err := s.Read(ctx, "Patient", id); err != nil || r.VersionID != 1 {
			t.Fatalf("Patient/%s after reopening: %+v %v", id, r, err)
		}
	}
	var n int
	if err := s.db.QueryRowContext(ctx, "SELECT count(*) FROM main.patient").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != len(want) {
		t.Fatalf("%d rows stored for %d resources", n, len(want))
	}
}

// TestStoreTakesItsDuckDBSettings: the memory limit and thread count of
// StoreOptions are DuckDB's, and the store knows the limit it got.
func TestStoreTakesItsDuckDBSettings(t *testing.T) {
	s := openTestStoreWith(t, filepath.Join(t.TempDir(), "s.duckdb"), StoreOptions{MergeInterval: time.Hour, MemoryLimit: "300MB", Threads: 1})
	defer s.Close()
	var threads int64
	if err := s.DB().QueryRow("SELECT current_setting('threads')").Scan(&threads); err != nil || threads != 1 {
		t.Errorf("threads = %d (%v), want 1", threads, err)
	}
	if got := s.indexes.limit; got < 280<<20 || got > 300_000_000 {
		t.Errorf("memory limit read back as %d bytes, want 300MB", got)
	}
}

func storageVersionOf(t *testing.T, db *sql.DB) string {
	t.Helper()
	var v string
	if err := db.QueryRow("SELECT tags['storage_version'] FROM duckdb_databases() WHERE database_name = current_database()").Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// A new store is written in this DuckDB's storage format; a file made
// in DuckDB's default, older format (by an earlier fhirlake) keeps it and
// still takes writes.
func TestStoreFilesKeepTheirFormat(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t, filepath.Join(t.TempDir(), "new.duckdb"))
	put(t, s, patient("p1", "New"))
	if err := s.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if v := storageVersionOf(t, s.DB()); !strings.HasPrefix(v, StorageVersion) {
		t.Errorf("new store's storage version = %q, want %s", v, StorageVersion)
	}
	s.Close()

	old := filepath.Join(t.TempDir(), "old.duckdb")
	execOnFile(t, old, "CREATE TABLE earlier (i INTEGER)")
	for i, family := range []string{"Old", "Older"} {
		s := openTestStore(t, old)
		if i == 1 {
			got, err := s.Read(ctx, "Patient", "p1")
			if err != nil || !strings.Contains(string(got.JSON), `"family":"Old"`) {
				t.Fatalf("read after reopen = %+v %v", got, err)
			}
		}
		put(t, s, patient("p1", family))
		if err := s.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		if v := storageVersionOf(t, s.DB()); strings.HasPrefix(v, StorageVersion) {
			t.Errorf("an older file's storage version became %q", v)
		}
		s.Close()
	}
}
