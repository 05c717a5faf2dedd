package synth

import (
	"context"
	"testing"
)

// BenchmarkGenerate measures generation on one core: each op is a run of
// 100 patients (about 135,000 resources) into a sink that drops them, so
// allocs/op and B/op are the allocations for 100 patients.
func BenchmarkGenerate(b *testing.B) {
	var resources, bytes int64
	b.ReportAllocs()
	for b.Loop() {
		st, err := Generate(context.Background(), Options{Patients: 100, Seed: 1, Workers: 1, SkipShared: true},
			func(string, []byte) error { return nil })
		if err != nil {
			b.Fatal(err)
		}
		resources += int64(st.Total())
		bytes += st.Bytes
	}
	b.ReportMetric(float64(resources)/b.Elapsed().Seconds(), "resources/s")
	b.ReportMetric(float64(bytes)/b.Elapsed().Seconds()/1e6, "MB/s")
}

// BenchmarkWriteDirGzip adds writing gzip-compressed NDJSON files.
func BenchmarkWriteDirGzip(b *testing.B) {
	var resources int64
	dir := b.TempDir()
	for b.Loop() {
		st, err := WriteDir(context.Background(), Options{Patients: 20, Seed: 1, Workers: 1, Gzip: true}, dir)
		if err != nil {
			b.Fatal(err)
		}
		resources += int64(st.Total())
	}
	b.ReportMetric(float64(resources)/b.Elapsed().Seconds(), "resources/s")
}
