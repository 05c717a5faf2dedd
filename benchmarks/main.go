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
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/fhirlake/fhirlake/engine"
	"github.com/fhirlake/fhirlake/server"
)

func main() {
	scale := flag.String("scale", "small", "data scale: small (~55k resources), medium (~270k), 1m (~1M), large (~2.7M)")
	seed := flag.Int64("seed", 1, "generator seed")
	dataDir := flag.String("data", filepath.Join("benchmarks", "data"), "where generated data is kept between runs")
	outDir := flag.String("out", filepath.Join("benchmarks", "results"), "where the report is written")
	dur := flag.Duration("duration", 10*time.Second, "duration of each load test")
	flag.Parse()
	if err := run(*scale, *seed, *dataDir, *outDir, *dur); err != nil {
		fmt.Fprintln(os.Stderr, "benchmarks:", err)
		os.Exit(1)
	}
}

func step(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s  %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}

func run(scale string, seed int64, dataDir, outDir string, dur time.Duration) error {
	ctx := context.Background()
	rep := &Report{Started: time.Now(), Machine: readMachine(), Scale: scale,
		Command: "go run ./benchmarks -scale " + scale}
	step("generating %s data (seed %d)", scale, seed)
	ds, err := generate(ctx, dataDir, scale, seed)
	if err != nil {
		return err
	}
	rep.Data = append(rep.Data, fmt.Sprintf("%d resources, %.0f MB NDJSON, from `fhirlake synth --patients %d --seed %d`", ds.Resources, float64(ds.Bytes)/1e6, scales[scale], seed))
	tmp, err := os.MkdirTemp("", "fhirlake-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	step("flattening")
	sec, err := benchFlatten(ds)
	if err != nil {
		return err
	}
	rep.Sections = append(rep.Sections, sec)

	step("starting a server")
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv, err := server.Start(ctx, server.Config{DataDir: filepath.Join(tmp, "server"), HTTPAddr: "127.0.0.1:0", MySQLAddr: "127.0.0.1:0",
		Store: engine.StoreOptions{MemoryLimit: "1GB"}, Logger: quiet})
	if err != nil {
		return err
	}
	defer srv.Close()
	d, err := srv.Engine.CreateDatastore(ctx, engine.CreateRequest{Name: "bench", TypeVersion: "R4"})
	if err != nil {
		return err
	}
	if d, err = srv.Engine.WaitActive(ctx, d.ID); err != nil {
		return err
	}

	step("import of %d resources, and DuckDB read_json on the same files", ds.Resources)
	if sec, err = benchLoad(ctx, srv, d.ID, ds, tmp); err != nil {
		return err
	}
	rep.Sections = append(rep.Sections, sec)

	step("reads by id for %v", dur)
	if sec, err = benchReads(ctx, srv, d.ID, ds, dur); err != nil {
		return err
	}
	rep.Sections = append(rep.Sections, sec)

	step("creates for %v", dur)
	if sec, err = benchCreates(ctx, srv, d.ID, ds, dur, tmp); err != nil {
		return err
	}
	rep.Sections = append(rep.Sections, sec)

	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return err
	}
	name := fmt.Sprintf("%s-%s-%s.md", rep.Started.UTC().Format("2006-01-02"), rep.Machine.Label(), scale)
	path := filepath.Join(outDir, name)
	var b strings.Builder
	rep.Write(&b)
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		return err
	}
	fmt.Print(b.String())
	step("report written to %s", path)
	return nil
}
