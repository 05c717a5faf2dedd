package synth

import (
	"context"
	"testing"
)

// BenchmarkGenerate measures single-core generation of one patient's
// lifetime record (about 1,300 resources) per op.
func BenchmarkGenerate(b *testing.B) {
	var resources, bytes int64
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		st, err := Generate(context.Background(), Options{Patients: 1, First: i, Seed: 1, Workers: 1, SkipShared: true},
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
