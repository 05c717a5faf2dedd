package engine

import (
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fhirlake/fhirlake/fhirflat"
)

// BenchmarkCreateParallel creates Observations one per Apply from 16
// goroutines, as the creates of the benchmarks report: the writer group
// commits what is queued while the previous commit runs, and the merger
// moves pending writes into the typed table in the background.
func BenchmarkCreateParallel(b *testing.B) {
	ctx := context.Background()
	s, err := OpenStore(ctx, "bench", filepath.Join(b.TempDir(), "b.duckdb"), filepath.Join(b.TempDir(), "staging"), fhirflat.Default(), StoreOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	var n atomic.Int64
	b.SetParallelism(8)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		nz := fhirflat.Default().NewNormalizer(fhirflat.Strict) // one per goroutine
		for pb.Next() {
			id := fmt.Sprintf("o%d", n.Add(1))
			row, err := nz.Normalize([]byte(`{"resourceType":"Observation","id":"` + id + `","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}]},"subject":{"reference":"Patient/p1"},"effectiveDateTime":"2024-05-01T10:00:00Z","valueQuantity":{"value":72,"unit":"/min","system":"http://unitsofmeasure.org","code":"/min"}}`))
			if err != nil {
				b.Error(err)
				return
			}
			row.JSON = append([]byte(nil), row.JSON...)
			if _, err := s.Apply(ctx, []Op{{Kind: Put, Type: "Observation", ID: id, Row: row, New: true}}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "creates/s")
}
