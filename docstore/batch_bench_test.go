package docstore

import (
	"crypto/rand"
	"fmt"
	"path/filepath"
	"testing"
)

// BenchmarkImportPuts puts the locations of 200,000 new resources with
// random (UUID-like) ids, as an import's copy for reads by id does.
func BenchmarkImportPuts(b *testing.B) {
	const n = 200_000
	ids := make([]string, n)
	for i := range ids {
		var r [16]byte
		rand.Read(r[:])
		ids[i] = fmt.Sprintf("%x-%x-%x-%x-%x", r[0:4], r[4:6], r[6:8], r[8:10], r[10:16])
	}
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		s, _, err := Open(filepath.Join(b.TempDir(), "docs"), "")
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		batch := s.NewBatch()
		for j, id := range ids {
			if err := batch.PutInSegment("Observation", id, Doc{VersionID: 1}, Segment{1}, int64(j)*700, 699, true); err != nil {
				b.Fatal(err)
			}
		}
		if err := batch.Commit(); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		s.Close("")
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/put")
}
