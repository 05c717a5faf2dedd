package search

import (
	"context"
	"net/url"
	"testing"

	"github.com/fhirlake/fhirlake/fhirflat"
)

// BenchmarkPatientSearch runs the patient-scoped search of the benchmarks
// report (Observation?patient=X&code=Y&date=ge…) on the fixture store,
// cycling over the (patient, code) pairs of the fixture's Observations.
func BenchmarkPatientSearch(b *testing.B) {
	t := &testing.T{}
	st, o := fixtureStore(t)
	type pair struct{ patient, code string }
	var pairs []pair
	seen := map[pair]bool{}
	for _, r := range o.byTyp["Observation"] {
		p := pair{str(get(r, "subject", "reference")), str(get(r, "code", "coding", 0, "code"))}
		if p.patient != "" && p.code != "" && !seen[p] {
			seen[p] = true
			pairs = append(pairs, p)
		}
	}
	if len(pairs) == 0 {
		b.Fatal("no Observations in the fixture")
	}
	c := NewCompiler(fhirflat.Default())
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p := pairs[i%len(pairs)]
		q, err := Parse(fhirflat.Default().Model(), "Observation", url.Values{"patient": {p.patient}, "code": {p.code}, "date": {"ge2000-01-01"}}, true)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := c.Run(ctx, st, q, "https://fhir.example/r4"); err != nil {
			b.Fatal(err)
		}
	}
}
