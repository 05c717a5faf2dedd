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

// TestImportsOfManyTypesFitTheMemoryLimit imports four types whose
// primary-key indexes each fit DuckDB's memory limit but together do not:
// without a checkpoint between them, the third load runs out of memory
// (it passes with either the checkpoint before a load or the one after a
// load that ran out of memory).
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
	nz := fhirflat.Default().NewNormalizer(fhirflat.StructureOnly)
	const perType = 500_000
	types := []string{"Patient", "Practitioner", "Organization", "HealthcareService"}
	for n, typ := range types {
		w := NewBatchWriter(s.StagingDir())
		for i := range perType {
			// ids as long and as random as UUIDs: their index is what takes the memory
			js := fmt.Sprintf(`{"resourceType":%q,"id":%q,"active":true}`, typ, uuidLike(n, i))
			row, err := nz.Normalize([]byte(js))
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
		stats, err := s.Import(ctx, b)
		if err != nil {
			t.Fatalf("import of %s after %v: %v", typ, types[:n], err)
		}
		if stats.Created[typ] != perType {
			t.Fatalf("%s: %d created, want %d", typ, stats.Created[typ], perType)
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
