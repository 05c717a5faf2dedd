package fhirpath

import (
	"testing"

	"github.com/fhirlake/fhirlake/r4"
)

// BenchmarkEvaluate evaluates every R4 search parameter expression of
// Observation (what indexing a resource for search does) over a Synthea
// blood-pressure Observation. One op = all parameters once.
func BenchmarkEvaluate(b *testing.B) {
	obs := FromJSON(loadJSON(b, "testdata/synthea-observation-bp.json"))
	var exprs []*Expr
	for _, p := range r4.Load().ParamsFor("Observation") {
		if src := p.ExpressionFor("Observation"); src != "" {
			exprs = append(exprs, MustParse(src))
		}
	}
	ctx := &Context{Resolve: ReferenceStub}
	input := Collection{obs}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, e := range exprs {
			if _, err := e.Evaluate(ctx, input); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(len(exprs)), "exprs/op")
}

// BenchmarkEvaluateOne is a single typical expression.
func BenchmarkEvaluateOne(b *testing.B) {
	obs := FromJSON(loadJSON(b, "testdata/synthea-observation-bp.json"))
	for _, src := range []string{
		"Observation.code",
		"Observation.value.ofType(Quantity)",
		"Observation.component.where(code.coding.code = '8480-6').value.ofType(Quantity).value > 120",
		"Observation.subject.where(resolve() is Patient)",
	} {
		e := MustParse(src)
		ctx := &Context{Resolve: ReferenceStub}
		input := Collection{obs}
		b.Run(src, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := e.Evaluate(ctx, input); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkParse parses every search parameter expression.
func BenchmarkParse(b *testing.B) {
	var srcs []string
	for _, p := range r4.Load().SearchParams {
		if p.Expression != "" {
			srcs = append(srcs, p.Expression)
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, s := range srcs {
			if _, err := Parse(s); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(len(srcs)), "exprs/op")
}
