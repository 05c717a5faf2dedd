package engine

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fhirlake/fhirlake/fhirflat"
	"github.com/fhirlake/fhirlake/synth"
)

// BenchmarkRead reads merged resources by id from a store holding 20
// synthetic patients (about 27,000 resources): every read misses the cache.
func BenchmarkRead(b *testing.B) { benchmarkRead(b, 0, false) }

// BenchmarkReadHot reads 1,000 resources over and over (cache hits).
func BenchmarkReadHot(b *testing.B) { benchmarkRead(b, 1000, false) }

// BenchmarkReadParallel is BenchmarkRead from 16 goroutines, as the
// benchmarks report's load test reads.
func BenchmarkReadParallel(b *testing.B) { benchmarkRead(b, 0, true) }

// BenchmarkReadMissing reads ids no resource has (a 404) in the same
// store: answered by the copy for reads by id, and (table) with the copy
// out of use, by scanning the current table's id column and the history's.
func BenchmarkReadMissing(b *testing.B) {
	for _, copied := range []bool{true, false} {
		name := "copy"
		if !copied {
			name = "table"
		}
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			s, _ := benchStore(b)
			defer s.Close()
			waitDocs(b, s)
			if !copied {
				s.docsReady.Store(false)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				var missing *NotFoundError
				if _, err := s.Read(ctx, "Observation", fmt.Sprintf("missing-%d", i)); !errors.As(err, &missing) {
					b.Fatalf("read of a missing id: %v", err)
				}
			}
		})
	}
}

func benchmarkRead(b *testing.B, hot int, parallel bool) {
	ctx := context.Background()
	s, keys := benchStore(b)
	defer s.Close()
	if hot > 0 {
		keys = keys[:hot]
		for _, k := range keys {
			if _, err := s.Read(ctx, k.typ, k.id); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ResetTimer()
	if parallel {
		b.SetParallelism(8)
		var next atomic.Int64
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				k := keys[(next.Add(1)*7919)%int64(len(keys))]
				if _, err := s.Read(ctx, k.typ, k.id); err != nil {
					b.Error(fmt.Errorf("%v: %w", k, err))
					return
				}
			}
		})
		return
	}
	for i := 0; i < b.N; i++ {
		k := keys[(i*7919)%len(keys)]
		if _, err := s.Read(ctx, k.typ, k.id); err != nil {
			b.Fatal(fmt.Errorf("%v: %w", k, err))
		}
	}
}

// benchStore opens a store holding 20 synthetic patients (about 27,000
// resources), written and merged into the tables, and returns their keys.
func benchStore(b *testing.B) (*Store, []key) {
	ctx := context.Background()
	s, err := OpenStore(ctx, "bench", filepath.Join(b.TempDir(), "b.duckdb"), filepath.Join(b.TempDir(), "staging"), fhirflat.Default(), StoreOptions{MergeInterval: time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	nz := fhirflat.Default().NewNormalizer(fhirflat.Strict)
	var ops []Op
	var keys []key
	_, err = synth.Generate(ctx, synth.Options{Patients: 20, Seed: 3}, func(typ string, res []byte) error {
		row, err := nz.Normalize(res)
		if err != nil {
			return err
		}
		row.JSON = append([]byte(nil), row.JSON...)
		ops = append(ops, Op{Kind: Put, Type: row.Type, ID: row.ID, Row: row, New: true})
		keys = append(keys, key{row.Type, row.ID})
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := s.Apply(ctx, ops); err != nil {
		b.Fatal(err)
	}
	if err := s.Sync(ctx); err != nil {
		b.Fatal(err)
	}
	return s, keys
}
