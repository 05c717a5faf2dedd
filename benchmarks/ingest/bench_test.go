package ingestbench

import (
	"context"
	"io"
	"testing"
)

// TestRunSmall runs the benchmark at a small size: both loads must hold
// every generated resource.
func TestRunSmall(t *testing.T) {
	if testing.Short() {
		t.Skip("benchmark run")
	}
	res, err := Run(context.Background(), Options{Resources: 5000, Dir: t.TempDir(), Log: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	if res.Resources < 5000 || res.DuckDBRows != res.Resources || res.Import <= 0 || res.DuckDB <= 0 || res.ImportPeakRSS <= 0 {
		t.Fatalf("result %+v", res)
	}
	t.Log("\n" + res.String())
}
