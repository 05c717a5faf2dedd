// Command ingestbench runs the bulk import benchmark (package ingestbench):
//
//	go run ./benchmarks/ingest/cmd/ingestbench -resources 1000000
package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	ingestbench "github.com/fhirlake/fhirlake/benchmarks/ingest"
)

func main() {
	var o ingestbench.Options
	flag.IntVar(&o.Resources, "resources", 50_000, "resources to generate and import (the real run: 1000000)")
	flag.StringVar(&o.Dir, "dir", "", "work folder (default: a temporary folder)")
	flag.StringVar(&o.Level, "level", "structure-only", "validation level: strict, structure-only or minimal")
	flag.Int64Var(&o.Chunk, "chunk", 0, "resources per chunk (default: ingest's)")
	flag.Int64Var(&o.ChunkBytes, "chunk-bytes", 0, "bytes of row JSON per chunk (default: ingest's)")
	flag.Int64Var(&o.ChunkRamp, "chunk-ramp", 0, "how many first chunks are smaller, each half the next (default: ingest's; -1: none)")
	flag.StringVar(&o.MemoryLimit, "memory-limit", "1GB", "DuckDB memory_limit of the data store (none: DuckDB's default, 80% of RAM)")
	flag.IntVar(&o.Threads, "threads", 0, "DuckDB threads of the data store (0: one per core)")
	flag.StringVar(&o.CPUProfile, "cpuprofile", "", "write a CPU profile of the import to this file")
	flag.BoolVar(&o.SkipDuckDB, "skip-duckdb", false, "do not run DuckDB's read_json for comparison")
	flag.Parse()
	res, err := ingestbench.Run(context.Background(), o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "ingestbench:", err)
		os.Exit(1)
	}
	fmt.Print(res)
}
