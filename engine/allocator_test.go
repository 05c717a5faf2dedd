package engine

import (
	"path/filepath"
	"testing"
)

// Every arena of DuckDB's allocator, and those it makes later, give freed
// pages back without the MADV_FREE step that keeps them resident.
func TestFreedPagesLeaveTheResidentSet(t *testing.T) {
	s := openTestStore(t, filepath.Join(t.TempDir(), "db.duckdb"))
	if _, err := s.db.Exec("CREATE TABLE t AS SELECT i, repeat('x', i % 100) AS s FROM range(200000) r(i)"); err != nil {
		t.Fatal(err)
	}
	if lazyFreeErr != nil {
		t.Fatal(lazyFreeErr)
	}
	ms, ok, err := muzzyDecay(-1)
	if !ok {
		t.Skip("this DuckDB build has no jemalloc")
	}
	if err != nil || ms != 0 {
		t.Fatalf("muzzy decay of new arenas: %d ms, %v; want 0", ms, err)
	}
	for i := 0; i < 2; i++ { // DuckDB makes two at least (opt.narenas)
		if ms, _, err := muzzyDecay(i); err != nil || ms != 0 {
			t.Errorf("arena %d: muzzy decay %d ms, %v; want 0", i, ms, err)
		}
	}
}
