package main

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	ingestbench "github.com/fhirlake/fhirlake/benchmarks/ingest"
	"github.com/fhirlake/fhirlake/engine"
	"github.com/fhirlake/fhirlake/server"
)

// benchLoad imports the dataset into a data store with an import job (the
// path StartFHIRImportJob takes: read, parse, check structure-only,
// flatten, commit in chunks with checkpoints) and, as the baseline, has
// DuckDB's own read_json (auto-detected schema) load the same files into
// one table per type in a fresh database.
func benchLoad(ctx context.Context, srv *server.Server, datastore string, ds *dataset, tmp string) (*Section, error) {
	ingestbench.Settle()
	resetPeakRSS()
	cpu := ingestbench.CPUTime()
	start := time.Now()
	job, err := srv.Imports.StartImport(ctx, engine.ImportRequest{DatastoreID: datastore, Name: "benchmark", Spec: engine.ImportSpec{
		InputURI: ds.Dir, OutputURI: filepath.Join(tmp, "import-output"), ValidationLevel: "structure-only"}})
	if err != nil {
		return nil, err
	}
	if job, err = srv.Imports.Wait(ctx, datastore, job.ID); err != nil {
		return nil, err
	}
	if job.Status != engine.JobCompleted || job.Progress.ResourcesImported != int64(ds.Resources) {
		return nil, fmt.Errorf("import %s: %d of %d resources: %s", job.Status, job.Progress.ResourcesImported, ds.Resources, job.Message)
	}
	jobTime := time.Since(start)
	st, err := srv.Engine.Store(ctx, datastore)
	if err != nil {
		return nil, err
	}
	// DuckDB may be checkpointing on its own at the commit of a write
	// after the import's last chunk (the WAL passed checkpoint_threshold):
	// wait for it
	for i := 0; ; i++ {
		_, err := st.DB().ExecContext(ctx, "CHECKPOINT")
		if err == nil {
			break
		}
		if i == 600 {
			return nil, err
		}
		if i%50 == 49 {
			step("checkpoint after the import: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// the time includes the checkpoint that writes the imported rows
	// into the database file, as the baseline's does
	ours := time.Since(start)
	ourCPU := ingestbench.CPUTime() - cpu
	checkpoint := ours - jobTime
	ourRSS := peakRSS()
	ourSize := fileSize(srv.Engine.Layout().Store(datastore))
	var allSize int64 // with the copy for reads by id
	for _, f := range srv.Engine.Layout().StoreFiles(datastore) {
		allSize += treeSize(f)
	}

	basePath := filepath.Join(tmp, "baseline-read_json.duckdb")
	db, err := sql.Open("duckdb", basePath+"?storage_compatibility_version="+engine.StorageVersion) // the format of our stores
	if err != nil {
		return nil, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, "SET memory_limit = '1GB'"); err != nil {
		return nil, err
	}
	maxObject, err := ingestbench.MaxObjectSize(ds.Files)
	if err != nil {
		return nil, err
	}
	ingestbench.Settle()
	resetPeakRSS()
	cpu = ingestbench.CPUTime()
	start = time.Now()
	for _, f := range ds.Files {
		table := strings.ToLower(strings.TrimSuffix(filepath.Base(f), ".ndjson"))
		if _, err := db.ExecContext(ctx, fmt.Sprintf("CREATE TABLE %s AS SELECT * FROM read_json('%s', format = 'newline_delimited', maximum_object_size = %d)", table, f, maxObject)); err != nil {
			return nil, fmt.Errorf("baseline %s: %w", table, err)
		}
	}
	if _, err := db.ExecContext(ctx, "CHECKPOINT"); err != nil {
		return nil, err
	}
	base := time.Since(start)
	baseCPU := ingestbench.CPUTime() - cpu
	baseRSS := peakRSS()
	baseSize := fileSize(basePath)
	n := float64(ds.Resources)
	ndjson := float64(ds.Bytes)
	return &Section{
		Title: "Bulk import (StartFHIRImportJob: read, parse, check structure-only, flatten, commit)",
		Setup: []string{
			fmt.Sprintf("%d resources, %.0f MB of NDJSON in %d files, imported by one job from a local folder", ds.Resources, ndjson/1e6, len(ds.Files)),
			"fhirlake: Go workers parse, check and flatten while DuckDB's JSON reader loads the previous chunk of rows into the typed tables; each chunk commits with its checkpoint; data store memory_limit 1GB",
			fmt.Sprintf("fhirlake's time: the job %.1f s, then DuckDB's CHECKPOINT of what it left in the WAL %.1f s", jobTime.Seconds(), checkpoint.Seconds()),
			"baseline: DuckDB `CREATE TABLE AS SELECT * FROM read_json(file)` per type (auto-detected nested schema), same files, same run, memory_limit 1GB",
		},
		Results: []Result{
			{What: "import throughput", Ours: n / ours.Seconds(), Unit: "resources/s", Baseline: "DuckDB read_json", Base: n / base.Seconds(), Target: "≥ 50,000/s", HigherIsBetter: true},
			{What: "import time", Ours: ours.Seconds(), Unit: "s", Baseline: "DuckDB read_json", Base: base.Seconds()},
			{What: "CPU time of the process (user + system, all threads)", Ours: ourCPU.Seconds(), Unit: "s", Baseline: "DuckDB read_json", Base: baseCPU.Seconds()},
			{What: "import MB/s of NDJSON", Ours: ndjson / 1e6 / ours.Seconds(), Unit: "MB/s", Baseline: "DuckDB read_json", Base: ndjson / 1e6 / base.Seconds(), HigherIsBetter: true},
			{What: "peak RSS of the process", Ours: ourRSS, Unit: "MiB", Baseline: "DuckDB read_json", Base: baseRSS, Target: "< 2048 MiB"},
			{What: "on-disk size / NDJSON size, database", Ours: float64(ourSize) / ndjson, Unit: "×", Baseline: "DuckDB read_json tables", Base: float64(baseSize) / ndjson},
			{What: "on-disk size / NDJSON size, with the copy for reads by id", Ours: float64(allSize) / ndjson, Unit: "×", Baseline: "DuckDB read_json tables", Base: float64(baseSize) / ndjson},
		},
	}, nil
}

// treeSize is the size of a file, or of every file under a directory.
func treeSize(p string) int64 {
	var n int64
	filepath.WalkDir(p, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if info, err := d.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	return n
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
