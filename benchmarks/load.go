package main

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/fhirlake/fhirlake/engine"
	"github.com/fhirlake/fhirlake/fhirflat"
)

// benchLoad loads the dataset into a data store and, as the baseline,
// has DuckDB's own read_json (auto-detected schema) load the same files
// into one table per type in a fresh database.
func benchLoad(ctx context.Context, st *engine.Store, storePath string, ds *dataset, tmp string) (*Section, error) {
	start := time.Now()
	n, err := load(ctx, st, ds, fhirflat.StructureOnly, tmp)
	if err != nil {
		return nil, err
	}
	if err := st.Sync(ctx); err != nil {
		return nil, err
	}
	ours := time.Since(start)
	if _, err := st.DB().ExecContext(ctx, "CHECKPOINT"); err != nil {
		return nil, err
	}
	ourSize := fileSize(storePath)

	basePath := filepath.Join(tmp, "baseline-read_json.duckdb")
	db, err := sql.Open("duckdb", basePath)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	start = time.Now()
	for _, f := range ds.Files {
		table := strings.ToLower(strings.TrimSuffix(filepath.Base(f), ".ndjson"))
		if _, err := db.ExecContext(ctx, fmt.Sprintf("CREATE TABLE %s AS SELECT * FROM read_json('%s', format = 'newline_delimited', maximum_object_size = 268435456)", table, f)); err != nil {
			return nil, fmt.Errorf("baseline %s: %w", table, err)
		}
	}
	base := time.Since(start)
	if _, err := db.ExecContext(ctx, "CHECKPOINT"); err != nil {
		return nil, err
	}
	baseSize := fileSize(basePath)
	ndjson := float64(ds.Bytes)
	sec := &Section{
		Title: "Bulk load (engine import: parse, check structure-only, flatten, commit)",
		Setup: []string{
			fmt.Sprintf("%d resources, %.0f MB of NDJSON in %d files", n, ndjson/1e6, len(ds.Files)),
			"fhirlake: Go workers (one per core) check and flatten, DuckDB's JSON reader loads the typed columns, versions and checkpoints in the same transactions",
			"baseline: DuckDB `CREATE TABLE AS SELECT * FROM read_json(file)` per type (auto-detected nested schema), same files, same run",
		},
		Results: []Result{
			{What: "load throughput", Ours: float64(n) / ours.Seconds(), Unit: "resources/s", Baseline: "DuckDB read_json", Base: float64(n) / base.Seconds(), Target: "≥ 50,000/s", HigherIsBetter: true},
			{What: "load time", Ours: ours.Seconds(), Unit: "s", Baseline: "DuckDB read_json", Base: base.Seconds()},
			{What: "on-disk size / NDJSON size", Ours: float64(ourSize) / ndjson, Unit: "×", Baseline: "DuckDB read_json tables", Base: float64(baseSize) / ndjson},
		},
	}
	return sec, nil
}

func fileSize(p string) int64 {
	var n int64
	for _, f := range []string{p, p + ".wal"} {
		if st, err := os.Stat(f); err == nil {
			n += st.Size()
		}
	}
	return n
}
