// Command benchmarks generates synthetic data at a chosen scale, runs the
// benchmarks the issues ask for, each beside its baseline in the same run,
// and writes benchmarks/results/<date>-<machine>-<scale>.md.
//
//	go run ./benchmarks -scale small    # a few minutes
//	go run ./benchmarks -scale 1m       # about 1 million resources
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strings"
	"time"

	"github.com/fhirlake/fhirlake/engine"
	"github.com/fhirlake/fhirlake/ingest"
	"github.com/fhirlake/fhirlake/server"
)

func main() {
	var o options
	flag.StringVar(&o.scale, "scale", "small", "data scale: small (~55k resources), medium (~270k), 1m (~1M), large (~2.7M)")
	flag.Int64Var(&o.seed, "seed", 1, "generator seed")
	flag.StringVar(&o.dataDir, "data", filepath.Join("benchmarks", "data"), "where generated data is kept between runs")
	flag.StringVar(&o.outDir, "out", filepath.Join("benchmarks", "results"), "where the report is written")
	flag.DurationVar(&o.dur, "duration", 10*time.Second, "duration of each load test")
	flag.BoolVar(&o.gms, "gms", true, "also run the SQL queries in go-mysql-server's own row engine (loads the rows into its memory)")
	only := flag.String("only", "", "comma-separated sections to run (flatten,import,reads,search,sql,creates); default all")
	flag.StringVar(&o.keep, "keep", "", "keep the server's data directory here and reuse its imported data store on the next run (skips the import section)")
	flag.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the whole run to this file")
	flag.Int64Var(&o.chunk, "chunk", 0, "resources per import chunk (default: ingest's)")
	flag.Parse()
	if *only != "" {
		o.only = map[string]bool{}
		for _, s := range strings.Split(*only, ",") {
			o.only[strings.TrimSpace(s)] = true
		}
	}
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "benchmarks:", err)
		os.Exit(1)
	}
}

// options of a run.
type options struct {
	scale, dataDir, outDir, keep, cpuProfile string
	seed, chunk                              int64
	dur                                      time.Duration
	gms                                      bool
	only                                     map[string]bool // nil: every section
}

func (o options) wants(section string) bool { return o.only == nil || o.only[section] }

func step(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s  %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}

func run(o options) error {
	ctx := context.Background()
	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	cmd := "go run ./benchmarks -scale " + o.scale
	if o.only != nil {
		cmd += " -only " + strings.Join(slices.Sorted(maps.Keys(o.only)), ",")
	}
	rep := &Report{Started: time.Now(), Machine: readMachine(), Scale: o.scale, Command: cmd}
	step("generating %s data (seed %d)", o.scale, o.seed)
	dataDir, err := filepath.Abs(o.dataDir)
	if err != nil {
		return err
	}
	ds, err := generate(ctx, dataDir, o.scale, o.seed)
	if err != nil {
		return err
	}
	rep.Data = append(rep.Data, fmt.Sprintf("%d resources, %.0f MB NDJSON, from `fhirlake synth --patients %d --seed %d`", ds.Resources, float64(ds.Bytes)/1e6, scales[o.scale], o.seed))
	tmp, err := os.MkdirTemp("", "fhirlake-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	if o.wants("flatten") {
		step("flattening")
		sec, err := benchFlatten(ds)
		if err != nil {
			return err
		}
		rep.Sections = append(rep.Sections, sec)
	}

	step("starting a server")
	serverDir := filepath.Join(tmp, "server")
	if o.keep != "" {
		serverDir = o.keep
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv, err := server.Start(ctx, server.Config{DataDir: serverDir, HTTPAddr: "127.0.0.1:0", MySQLAddr: "127.0.0.1:0",
		Store: engine.StoreOptions{MemoryLimit: "1GB"}, Import: ingest.Config{ChunkResources: o.chunk}, Logger: quiet})
	if err != nil {
		return err
	}
	defer srv.Close()
	storeID, imported, err := benchStore(ctx, srv, ds, o.keep != "")
	if err != nil {
		return err
	}
	if !imported {
		step("import of %d resources, and DuckDB read_json on the same files", ds.Resources)
		sec, err := benchLoad(ctx, srv, storeID, ds, tmp)
		if err != nil {
			return err
		}
		if o.wants("import") {
			rep.Sections = append(rep.Sections, sec)
		}
	}
	sections := []struct {
		name string
		run  func() (*Section, error)
	}{
		{"reads", func() (*Section, error) { return benchReads(ctx, srv, storeID, ds, o.dur) }},
		{"search", func() (*Section, error) { return benchSearch(ctx, srv, storeID, ds, o.dur) }},
		{"sql", func() (*Section, error) { return benchSQL(ctx, srv, storeID, o.gms) }},
		{"creates", func() (*Section, error) { return benchCreates(ctx, srv, storeID, ds, o.dur, tmp) }},
	}
	for _, sc := range sections {
		if !o.wants(sc.name) {
			continue
		}
		step("%s", sc.name)
		debug.FreeOSMemory() // what an earlier section left (go-mysql-server's rows) is not this one's garbage
		sec, err := sc.run()
		if err != nil {
			return err
		}
		rep.Sections = append(rep.Sections, sec)
	}

	if err := os.MkdirAll(o.outDir, 0o755); err != nil {
		return err
	}
	name := fmt.Sprintf("%s-%s-%s.md", rep.Started.UTC().Format("2006-01-02"), rep.Machine.Label(), o.scale)
	path := filepath.Join(o.outDir, name)
	var b strings.Builder
	rep.Write(&b)
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		return err
	}
	fmt.Print(b.String())
	step("report written to %s", path)
	return nil
}

// benchStore returns the data store the benchmarks use: with reuse, the
// one a previous run imported into a kept data directory (imported true),
// else a new empty one.
func benchStore(ctx context.Context, srv *server.Server, ds *dataset, reuse bool) (string, bool, error) {
	if reuse {
		active, err := srv.Engine.ActiveStores(ctx)
		if err != nil {
			return "", false, err
		}
		for _, d := range active {
			if d.Name != "bench" {
				continue
			}
			st, err := srv.Engine.Store(ctx, d.ID)
			if err != nil {
				return "", false, err
			}
			var n int
			if err := st.DB().QueryRowContext(ctx, "SELECT count(*) FROM observation").Scan(&n); err == nil && n == ds.ByType["Observation"] {
				return d.ID, true, nil
			}
		}
	}
	d, err := srv.Engine.CreateDatastore(ctx, engine.CreateRequest{Name: "bench", TypeVersion: "R4"})
	if err != nil {
		return "", false, err
	}
	if d, err = srv.Engine.WaitActive(ctx, d.ID); err != nil {
		return "", false, err
	}
	return d.ID, false, nil
}
