// Package ingestbench measures bulk import end to end (ingest.Runner into a
// data store: parsed, checked at structure-only level, flattened into the
// typed tables, committed) against DuckDB's own read_json loading the same
// NDJSON files into tables, in the same run, on data from the project's
// generator (synth).
package ingestbench

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"github.com/fhirlake/fhirlake/sqlserver"
	"github.com/fhirlake/fhirlake/views"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	_ "github.com/duckdb/duckdb-go/v2" // database/sql driver

	"github.com/fhirlake/fhirlake/engine"
	"github.com/fhirlake/fhirlake/fhirflat"
	"github.com/fhirlake/fhirlake/ingest"
	"github.com/fhirlake/fhirlake/synth"
)

// Options configure a run.
type Options struct {
	Resources  int    // at least this many resources (default 50,000)
	Dir        string // work folder (default: a temporary one, removed after)
	Level      string // validation level (default structure-only)
	Chunk      int64  // resources per chunk (default: ingest's)
	ChunkBytes int64  // bytes of row JSON per chunk (default: ingest's)
	ChunkRamp  int64  // smaller first chunks (default: ingest's; negative: none)
	// MemoryLimit is DuckDB's memory_limit for the data store (default
	// 1GB; "none": DuckDB's own default, 80% of RAM).
	MemoryLimit string
	Threads     int    // DuckDB threads of the data store (0: one per core)
	CPUProfile  string // write a CPU profile of our import here
	SkipDuckDB  bool
	Log         io.Writer // progress lines (default stderr)
}

// Result is what a run measured.
type Result struct {
	Machine   Machine
	Options   Options
	Patients  int
	Resources int64
	Files     int
	InputMB   float64 // NDJSON bytes

	Import        time.Duration // ours, end to end: start to COMPLETED, then a CHECKPOINT
	ImportLoad    time.Duration // of which in engine.Store.Import (DuckDB)
	Checkpoint    time.Duration // of which in the CHECKPOINT (rows DuckDB left in its WAL)
	ImportChunks  int
	ImportPeakRSS int64         // bytes
	JobPeakRSS    int64         // of which before the CHECKPOINT
	ImportCPU     time.Duration // CPU time of the process (user and system) during Import
	DuckDB        time.Duration // read_json into per-type tables
	DuckDBPeakRSS int64
	DuckDBRows    int64
	DuckDBCPU     time.Duration
}

// Machine describes where a run ran.
type Machine struct {
	CPU        string
	Cores      int
	MemoryGiB  float64
	LoadBefore string // /proc/loadavg at the start
	GoVersion  string
}

// ImportRate is our resources per second.
func (r *Result) ImportRate() float64 { return float64(r.Resources) / r.Import.Seconds() }

// DuckDBRate is DuckDB's resources per second.
func (r *Result) DuckDBRate() float64 { return float64(r.DuckDBRows) / r.DuckDB.Seconds() }

// Ratio is our time over DuckDB's (below 1: we are faster).
func (r *Result) Ratio() float64 { return r.Import.Seconds() / r.DuckDB.Seconds() }

func (r *Result) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "machine: %s, %d cores, %.1f GiB RAM, load before %s, %s\n", r.Machine.CPU, r.Machine.Cores, r.Machine.MemoryGiB, r.Machine.LoadBefore, r.Machine.GoVersion)
	threads := "one per core"
	if r.Options.Threads > 0 {
		threads = strconv.Itoa(r.Options.Threads)
	}
	fmt.Fprintf(&b, "options: DuckDB memory_limit %q (data store and read_json), data store threads %s, validation %s\n", r.Options.MemoryLimit, threads, r.Options.Level)
	fmt.Fprintf(&b, "input: %d patients, %d resources, %d NDJSON files, %.1f MB\n", r.Patients, r.Resources, r.Files, r.InputMB)
	fmt.Fprintf(&b, "fhirlake import: %.1f s, %.0f resources/s, %.1f MB/s, %d chunks, %.1f s in Store.Import (DuckDB), %.1f s in the CHECKPOINT after, %.1f CPU-s, peak RSS %.0f MiB (%.0f MiB before the CHECKPOINT)\n",
		r.Import.Seconds(), r.ImportRate(), r.InputMB/r.Import.Seconds(), r.ImportChunks, r.ImportLoad.Seconds(), r.Checkpoint.Seconds(), r.ImportCPU.Seconds(), float64(r.ImportPeakRSS)/(1<<20), float64(r.JobPeakRSS)/(1<<20))
	if r.DuckDB > 0 {
		fmt.Fprintf(&b, "duckdb read_json: %.1f s, %.0f resources/s, %.1f MB/s, %.1f CPU-s, peak RSS %.0f MiB\n",
			r.DuckDB.Seconds(), r.DuckDBRate(), r.InputMB/r.DuckDB.Seconds(), r.DuckDBCPU.Seconds(), float64(r.DuckDBPeakRSS)/(1<<20))
		fmt.Fprintf(&b, "ratio (our time / DuckDB's): %.2f\n", r.Ratio())
	}
	return b.String()
}

// Run generates the data, imports it, and loads it with read_json.
func Run(ctx context.Context, o Options) (*Result, error) {
	if o.Resources <= 0 {
		o.Resources = 50_000
	}
	if o.Level == "" {
		o.Level = "structure-only"
	}
	if o.Log == nil {
		o.Log = os.Stderr
	}
	switch o.MemoryLimit {
	case "":
		o.MemoryLimit = "1GB"
	case "none":
		o.MemoryLimit = ""
	}
	if o.Dir == "" {
		dir, err := os.MkdirTemp("", "ingestbench")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
		o.Dir = dir
	}
	res := &Result{Machine: machine(), Options: o}
	in := filepath.Join(o.Dir, "input")
	// resources per patient, from a small sample (the generator is deterministic)
	sample, err := synth.Generate(ctx, synth.Options{Patients: 20, Seed: 1, SkipShared: true}, func(string, []byte) error { return nil })
	if err != nil {
		return nil, err
	}
	res.Patients = int(float64(o.Resources)/(float64(sample.Total())/20)) + 1
	fmt.Fprintf(o.Log, "generating %d patients (about %d resources) into %s\n", res.Patients, o.Resources, in)
	st, err := synth.WriteDir(ctx, synth.Options{Patients: res.Patients, Seed: 1}, in)
	if err != nil {
		return nil, err
	}
	res.Resources, res.Files, res.InputMB = int64(st.Total()), st.Files, float64(st.FileBytes)/1e6

	if err := runImport(ctx, o, in, res); err != nil {
		return nil, err
	}
	if !o.SkipDuckDB {
		if err := runDuckDB(ctx, o, in, res); err != nil {
			return nil, err
		}
	}
	return res, nil
}

func runImport(ctx context.Context, o Options, in string, res *Result) error {
	data := filepath.Join(o.Dir, "data")
	defer os.RemoveAll(data)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	// the data store as the server makes it: DuckDB confined to its
	// staging folder, and the default views, whose columns the tables get
	eng, err := engine.Open(ctx, engine.Config{Dir: data, Logger: quiet, OnCreate: views.InstallDefaults,
		Store: engine.StoreOptions{MemoryLimit: o.MemoryLimit, Threads: o.Threads, Hardening: func(staging string) []string {
			return sqlserver.DuckDBHardening([]string{staging})
		}}})
	if err != nil {
		return err
	}
	defer eng.Close()
	d, err := eng.CreateDatastore(ctx, engine.CreateRequest{Name: "bench", TypeVersion: "R4"})
	if err != nil {
		return err
	}
	if d, err = eng.WaitActive(ctx, d.ID); err != nil {
		return err
	}
	var mu sync.Mutex
	runner := ingest.NewRunner(ingest.Config{Engine: eng, Logger: quiet, ChunkResources: o.Chunk, ChunkBytes: o.ChunkBytes, ChunkRamp: o.ChunkRamp, OnChunk: func(c ingest.ChunkStats) {
		mu.Lock()
		res.ImportLoad += c.Load
		res.ImportChunks++
		mu.Unlock()
	}})
	defer runner.Close()
	Settle() // what generating the data left behind
	resetPeakRSS()
	if o.CPUProfile != "" {
		f, err := os.Create(o.CPUProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	cpu := CPUTime()
	start := time.Now()
	job, err := runner.StartImport(ctx, engine.ImportRequest{DatastoreID: d.ID, Spec: engine.ImportSpec{
		InputURI: in, OutputURI: filepath.Join(o.Dir, "output"), ValidationLevel: o.Level}})
	if err != nil {
		return err
	}
	done := make(chan struct{})
	var peak struct {
		rss    int64
		shares string
	}
	sampled := make(chan struct{})
	go func() { // progress, and what the memory holds at its highest
		defer close(sampled)
		t := time.NewTicker(5 * time.Second)
		defer t.Stop()
		sample := time.NewTicker(200 * time.Millisecond)
		defer sample.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				if j, err := runner.ImportJob(ctx, d.ID, job.ID); err == nil {
					fmt.Fprintf(o.Log, "  %s: %d imported, %s, rss %.0f MiB (%s)\n", j.Status, j.Progress.ResourcesImported, j.Message, float64(currentRSS())/(1<<20), memoryShares(ctx, eng, d.ID))
				}
			case <-sample.C:
				if rss := currentRSS(); rss > peak.rss+(16<<20) {
					peak.rss, peak.shares = rss, memoryShares(ctx, eng, d.ID)
				}
			}
		}
	}()
	job, err = runner.Wait(ctx, d.ID, job.ID)
	close(done)
	<-sampled
	fmt.Fprintf(o.Log, "  highest RSS sampled during the job: %.0f MiB (%s)\n", float64(peak.rss)/(1<<20), peak.shares)
	if err != nil {
		return err
	}
	if job.Status != engine.JobCompleted || job.Progress.ResourcesImported != res.Resources {
		return fmt.Errorf("import %s: %d of %d resources imported: %s", job.Status, job.Progress.ResourcesImported, res.Resources, job.Message)
	}
	s, err := eng.Store(ctx, d.ID)
	if err != nil {
		return err
	}
	// the rows DuckDB wrote to its WAL are compressed into the database
	// file at a checkpoint: part of the cost, as the baseline's is
	res.JobPeakRSS = peakRSS()
	checkpoint := time.Now()
	if _, err := s.DB().ExecContext(ctx, "CHECKPOINT"); err != nil {
		return err
	}
	res.Checkpoint = time.Since(checkpoint)
	res.Import = time.Since(start)
	res.ImportCPU = CPUTime() - cpu
	res.ImportPeakRSS = peakRSS()
	var rows int64
	types, _ := s.TypesWithData(ctx)
	for _, typ := range types {
		var n int64
		if err := s.DB().QueryRowContext(ctx, "SELECT count(*) FROM main."+fhirflat.QuoteIdent(fhirflat.TableName(typ))).Scan(&n); err != nil {
			return err
		}
		rows += n
	}
	if rows != res.Resources {
		return fmt.Errorf("the tables hold %d rows, want %d", rows, res.Resources)
	}
	fmt.Fprintf(o.Log, "fhirlake import: %d resources in %.1f s\n", rows, res.Import.Seconds())
	return nil
}

// runDuckDB loads each NDJSON file with DuckDB's read_json (types and
// nesting auto-detected) into a table of its own.
func runDuckDB(ctx context.Context, o Options, in string, res *Result) error {
	path := filepath.Join(o.Dir, "duckdb.db")
	defer os.Remove(path)
	defer os.Remove(path + ".wal")
	db, err := sql.Open("duckdb", path+"?storage_compatibility_version="+engine.StorageVersion) // the format of our stores
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	files, _ := filepath.Glob(filepath.Join(in, "*.ndjson"))
	sort.Strings(files)
	if o.MemoryLimit != "" { // the same limit as the data store's
		if _, err := db.ExecContext(ctx, "SET memory_limit = "+fhirflat.QuoteString(o.MemoryLimit)); err != nil {
			return err
		}
	}
	maxObject, err := MaxObjectSize(files)
	if err != nil {
		return err
	}
	Settle()
	resetPeakRSS()
	cpu := CPUTime()
	start := time.Now()
	for _, f := range files {
		table := strings.TrimSuffix(filepath.Base(f), ".ndjson")
		q := fmt.Sprintf("CREATE TABLE %s AS SELECT * FROM read_json('%s', format = 'newline_delimited', maximum_object_size = %d)",
			fhirflat.QuoteIdent(table), strings.ReplaceAll(f, "'", "''"), maxObject)
		if _, err := db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("read_json %s: %w", f, err)
		}
		var n int64
		if err := db.QueryRowContext(ctx, "SELECT count(*) FROM "+fhirflat.QuoteIdent(table)).Scan(&n); err != nil {
			return err
		}
		res.DuckDBRows += n
	}
	if _, err := db.ExecContext(ctx, "CHECKPOINT"); err != nil {
		return err
	}
	res.DuckDB = time.Since(start)
	res.DuckDBCPU = CPUTime() - cpu
	res.DuckDBPeakRSS = peakRSS()
	fmt.Fprintf(o.Log, "duckdb read_json: %d rows in %.1f s\n", res.DuckDBRows, res.DuckDB.Seconds())
	return nil
}

func machine() Machine {
	m := Machine{Cores: runtime.NumCPU(), GoVersion: runtime.Version()}
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
		f.Close()
	}
	if kb := procField("/proc/meminfo", "MemTotal"); kb > 0 {
		m.MemoryGiB = float64(kb) / (1 << 20)
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		m.LoadBefore = strings.Join(strings.Fields(string(b))[:3], " ")
	}
	return m
}

// procField reads a "Name: N kB" line of a /proc file, in kB.
func procField(path, name string) int64 {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && k == name {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

// memoryShares says how much memory Go holds (all of it, and its live and
// not yet collected heap objects) and how much DuckDB's buffer manager
// holds for the store, with its three largest tags.
func memoryShares(ctx context.Context, eng *engine.Engine, id string) string {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/memory/classes/total:bytes"}, {Name: "/memory/classes/heap/released:bytes"}}
	metrics.Read(sample)
	mib := func(i int) float64 { return float64(sample[i].Value.Uint64()) / (1 << 20) }
	s := fmt.Sprintf("Go %.0f MiB, heap objects %.0f", mib(1)-mib(2), mib(0))
	st, err := eng.Store(ctx, id)
	if err != nil {
		return s
	}
	rows, err := st.DB().QueryContext(ctx, "SELECT tag, memory_usage_bytes FROM duckdb_memory() WHERE memory_usage_bytes > 0 ORDER BY 2 DESC")
	if err != nil {
		return s
	}
	defer rows.Close()
	var total int64
	var tags []string
	for rows.Next() {
		var tag string
		var n int64
		if rows.Scan(&tag, &n) != nil {
			return s
		}
		total += n
		if len(tags) < 3 {
			tags = append(tags, fmt.Sprintf("%s %.0f", strings.ToLower(tag), float64(n)/(1<<20)))
		}
	}
	return fmt.Sprintf("%s, DuckDB %.0f MiB: %s", s, float64(total)/(1<<20), strings.Join(tags, ", "))
}

func peakRSS() int64    { return procField("/proc/self/status", "VmHWM") << 10 }
func currentRSS() int64 { return procField("/proc/self/status", "VmRSS") << 10 }

// resetPeakRSS starts peak RSS counting anew (Linux: clear_refs 5).
func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }
