package engine

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/fhirlake/fhirlake/fhirflat"
)

// TestImportsOfManyTypesFitTheMemoryLimit imports, into tables with a
// primary key (as an earlier fhirlake made them), four types whose
// indexes each fit DuckDB's memory limit but together do not: without a
// checkpoint between them, the third load runs out of memory (it passes
// with either the checkpoint before a load or the one after a load that
// ran out of memory).
func TestImportsOfManyTypesFitTheMemoryLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("loads 2M resources")
	}
	ctx := context.Background()
	// confined as the server confines it: checkpoints must still work
	s := openTestStoreWith(t, filepath.Join(t.TempDir(), "s.duckdb"), StoreOptions{MergeInterval: time.Hour, MemoryLimit: "200MB",
		Hardening: func(staging string) []string {
			return []string{"SET allowed_directories = ['" + staging + "/']", "SET enable_external_access = false", "SET lock_configuration = true"}
		}})
	defer s.Close()
	const perType = 500_000
	types := []string{"Patient", "Practitioner", "Organization", "HealthcareService"}
	for n, typ := range types {
		importSome(t, s, typ, n, 0, 1)
		if _, err := s.DB().ExecContext(ctx, fmt.Sprintf("ALTER TABLE main.%s ADD PRIMARY KEY (id)", fhirflat.QuoteIdent(fhirflat.TableName(typ)))); err != nil {
			t.Fatal(err)
		}
		stats := importSome(t, s, typ, n, 1, perType)
		if stats.Created[typ] != perType-1 {
			t.Fatalf("%s: %d created, want %d", typ, stats.Created[typ], perType-1)
		}
	}
	// every table is complete and still answers by id through its index
	for n, typ := range types {
		var rows, found int
		id := uuidLike(n, 7)
		err := s.DB().QueryRowContext(ctx, fmt.Sprintf("SELECT count(*), count(*) FILTER (WHERE id = '%s') FROM main.%s", id, fhirflat.QuoteIdent(fhirflat.TableName(typ)))).Scan(&rows, &found)
		if err != nil || rows != perType || found != 1 {
			t.Errorf("%s: %d rows, %d with id %s (%v)", typ, rows, found, id, err)
		}
	}
}

// TestOneTypeLargerThanItsIndexWouldFit imports more resources of one
// type than a primary-key index on their ids would hold within DuckDB's
// memory limit: the store's tables have none, so the memory an import
// needs does not grow with the table it loads into.
func TestOneTypeLargerThanItsIndexWouldFit(t *testing.T) {
	if testing.Short() {
		t.Skip("loads 2.5M resources")
	}
	ctx := context.Background()
	s := openTestStoreWith(t, filepath.Join(t.TempDir(), "s.duckdb"), StoreOptions{MergeInterval: time.Hour, MemoryLimit: "200MB"})
	defer s.Close()
	const batches, perBatch = 5, 500_000 // an index of 2.5M UUIDs: about 225 MB
	for b := range batches {
		if stats := importSome(t, s, "Patient", b, 0, perBatch); stats.Created["Patient"] != perBatch {
			t.Fatalf("batch %d: %d created, want %d", b, stats.Created["Patient"], perBatch)
		}
	}
	var rows, ids int
	if err := s.DB().QueryRowContext(ctx, "SELECT count(*), count(DISTINCT id) FROM main.patient").Scan(&rows, &ids); err != nil || rows != batches*perBatch || ids != rows {
		t.Fatalf("%d rows, %d ids (%v), want %d of each", rows, ids, err, batches*perBatch)
	}
	// a batch of ids already stored makes new versions, not new rows
	if stats := importSome(t, s, "Patient", 1, 0, 1000); stats.Updated["Patient"] != 1000 {
		t.Fatalf("re-import: %+v", stats)
	}
	got, err := s.Read(ctx, "Patient", uuidLike(1, 999))
	if err != nil || got.VersionID != 2 {
		t.Fatalf("re-imported patient: %+v %v", got, err)
	}
	if err := s.DB().QueryRowContext(ctx, "SELECT count(*) FROM main.patient").Scan(&rows); err != nil || rows != batches*perBatch {
		t.Fatalf("after re-import: %d rows (%v), want %d", rows, err, batches*perBatch)
	}
}

// importSome imports resources of type typ with ids uuidLike(set, i) for
// i from from to to-1, in one batch.
func importSome(t testing.TB, s *Store, typ string, set, from, to int) ImportStats {
	t.Helper()
	nz := fhirflat.Default().NewNormalizer(fhirflat.StructureOnly)
	w := NewBatchWriter(s.StagingDir())
	for i := from; i < to; i++ {
		// ids as long and as random as UUIDs: an index of them takes memory
		row, err := nz.Normalize(fmt.Appendf(nil, `{"resourceType":%q,"id":%q,"active":true}`, typ, uuidLike(set, i)))
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Add(row); err != nil {
			t.Fatal(err)
		}
	}
	b, err := w.Batch()
	if err != nil {
		t.Fatal(err)
	}
	stats, err := s.Import(context.Background(), b)
	if err != nil {
		t.Fatalf("import of %s %d-%d: %v", typ, from, to, err)
	}
	return stats
}

// uuidLike is an id shaped like a random UUID, distinct for each (n, i).
func uuidLike(n, i int) string {
	x := uint64(i)*0x9E3779B97F4A7C15 ^ uint64(n)<<56
	return fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", uint32(x>>32), uint16(x>>16), i%4096, n, (x*0xBF58476D1CE4E5B9)>>16)
}

func TestParseByteSize(t *testing.T) {
	for in, want := range map[string]int64{
		"953.6 MiB": 999_922_073, "1.0 GiB": 1 << 30, "512 bytes": 512, "2GB": 2_000_000_000, "0 bytes": 0, " 3 kib ": 3072,
	} {
		got, err := parseByteSize(in)
		if err != nil || got != want {
			t.Errorf("parseByteSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "MiB", "12 parsecs", "-1 GB", "1e400 GB"} {
		if got, err := parseByteSize(in); err == nil {
			t.Errorf("parseByteSize(%q) = %d, want an error", in, got)
		}
	}
}

func FuzzParseByteSize(f *testing.F) {
	for _, s := range []string{"953.6 MiB", "2GB", "512 bytes", "1.5.5 GB", "9999999999999 TiB"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := parseByteSize(s)
		if err == nil && n < 0 {
			t.Fatalf("parseByteSize(%q) = %d", s, n)
		}
	})
}

func TestMemoryErrorsSayWhatToDo(t *testing.T) {
	s := &Store{indexes: residentIndexes{limit: 1 << 30}}
	oom := &duckdb.Error{Type: duckdb.ErrorTypeOutOfMemory, Msg: "Out of Memory Error: failed to allocate data of size 32.0 MiB (1.0 GiB/1.0 GiB used)"}
	err := s.withMemoryHint(fmt.Errorf("import Observation: %w", oom))
	if !errors.Is(err, oom) || !strings.Contains(err.Error(), "memory limit (1024 MiB)") || !strings.Contains(err.Error(), "--memory-limit") {
		t.Errorf("out of memory: %v", err)
	}
	commit := &duckdb.Error{Type: duckdb.ErrorTypeTransaction, Msg: "TransactionContext Error: Failed to commit: failed to allocate data of size 32.0 KiB"}
	if err := s.withMemoryHint(commit); !strings.Contains(err.Error(), "--memory-limit") {
		t.Errorf("commit out of memory: %v", err)
	}
	other := &duckdb.Error{Type: duckdb.ErrorTypeConstraint, Msg: "Constraint Error: duplicate key"}
	if err := s.withMemoryHint(other); err != error(other) {
		t.Errorf("another error changed: %v", err)
	}
}
