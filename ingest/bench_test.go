package ingest

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/fhirlake/fhirlake/engine"
	"github.com/fhirlake/fhirlake/synth"
)

// BenchmarkImport imports synthetic NDJSON (20 patients) into a new data
// store per iteration, end to end: read, checked at structure-only level,
// flattened, committed. benchmarks/ingest runs the same at scale, against
// DuckDB's read_json.
func BenchmarkImport(b *testing.B) {
	ctx := context.Background()
	in := b.TempDir()
	st, err := synth.WriteDir(ctx, synth.Options{Patients: 20, Seed: 1}, in)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(st.FileBytes)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		e := newEnv(b, Config{})
		b.StartTimer()
		job, err := e.runner.StartImport(ctx, engine.ImportRequest{DatastoreID: e.ds, Spec: engine.ImportSpec{
			InputURI: in, OutputURI: filepath.Join(e.dir, "out"), ValidationLevel: "structure-only"}})
		if err != nil {
			b.Fatal(err)
		}
		if job, err = e.runner.Wait(ctx, e.ds, job.ID); err != nil || job.Progress.ResourcesImported != int64(st.Total()) {
			b.Fatalf("%+v %v", job, err)
		}
	}
	b.ReportMetric(float64(st.Total())*float64(b.N)/b.Elapsed().Seconds(), "resources/s")
}
