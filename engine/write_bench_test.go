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

// BenchmarkUpdateParallel updates Patients of a store holding 500k of them
// from 16 goroutines, one per Apply: the writer looks up each resource's
// latest version in the copy for reads by id ("copy"); without the copy
// it scans the table's id column ("scan"), or looks the id up in a
// primary-key index, as tables made by an earlier fhirlake had ("key").
func BenchmarkUpdateParallel(b *testing.B) {
	const stored = 500_000
	for _, how := range []string{"copy", "scan", "key"} {
		b.Run(how, func(b *testing.B) {
			ctx := context.Background()
			s, err := OpenStore(ctx, "bench", filepath.Join(b.TempDir(), "b.duckdb"), filepath.Join(b.TempDir(), "staging"), fhirflat.Default(), StoreOptions{})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			importSome(b, s, "Patient", 0, 0, stored)
			if how == "key" {
				if _, err := s.DB().ExecContext(ctx, "ALTER TABLE main.patient ADD PRIMARY KEY (id)"); err != nil {
					b.Fatal(err)
				}
			}
			if how != "copy" {
				s.docsReady.Store(false)
			}
			var n atomic.Int64
			b.SetParallelism(8)
			b.ResetTimer()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				nz := fhirflat.Default().NewNormalizer(fhirflat.Strict)
				for pb.Next() {
					id := uuidLike(0, int(n.Add(7919)%stored))
					row, err := nz.Normalize([]byte(`{"resourceType":"Patient","id":"` + id + `","active":false}`))
					if err != nil {
						b.Error(err)
						return
					}
					row.JSON = append([]byte(nil), row.JSON...)
					if _, err := s.Apply(ctx, []Op{{Kind: Put, Type: "Patient", ID: id, Row: row}}); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "updates/s")
		})
	}
}
