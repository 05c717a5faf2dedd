package fhirpath

import (
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
)

func TestValueAccessors(t *testing.T) {
	obs := loadJSON(t, "testdata/synthea-observation-height.json")
	out, err := MustParse("Observation.value.ofType(Quantity).value").EvaluateJSON(nil, obs)
	if err != nil || len(out) != 1 {
		t.Fatalf("value = %v, %v", out, err)
	}
	v := out[0]
	if v.Type() != (TypeInfo{"FHIR", "decimal"}) {
		t.Errorf("type = %v", v.Type())
	}
	if j, ok := v.JSON().(json.Number); !ok || j != "176.35499866729558" {
		t.Errorf("JSON() = %#v", v.JSON())
	}
	g, err := v.Go()
	if d, ok := g.(Decimal); err != nil || !ok || d.String() != "176.35499866729558" {
		t.Errorf("Go() = %#v, %v", g, err)
	}
	out, _ = MustParse("Observation.effective").EvaluateJSON(nil, obs)
	g, _ = out[0].Go()
	if tm, ok := g.(Temporal); !ok || tm.Kind != DateTimeKind || tm.Year != 2011 || tm.Precision != SecondPrecision {
		t.Errorf("effective Go() = %#v", g)
	}
	if out[0].JSON() != "2011-10-14T23:37:54+00:00" {
		t.Errorf("effective JSON() = %#v, want the text as stored", out[0].JSON())
	}
	out, _ = MustParse("1 + 1.5").Evaluate(nil, nil)
	if out[0].JSON() != json.Number("2.5") || out[0].Type().String() != "System.Decimal" {
		t.Errorf("1 + 1.5 = %#v %v", out[0].JSON(), out[0].Type())
	}
}

func TestTypedAndVariables(t *testing.T) {
	bd, err := Typed("1974-12-25", "date")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Typed("1974-13-25", "date"); err == nil {
		t.Error("Typed accepted an invalid date")
	}
	ctx := &Context{Vars: map[string]Collection{"bd": {bd}}}
	pat := loadJSON(t, "testdata/handmade-patient.json")
	out, err := MustParse("birthDate = %bd").EvaluateJSON(ctx, pat)
	if err != nil || out.String() != "[true]" {
		t.Errorf("birthDate = %%bd: %v %v", out, err)
	}
	_, err = MustParse("birthDate = %nope").EvaluateJSON(ctx, pat)
	var ee *EvalError
	if !errors.As(err, &ee) || !strings.Contains(err.Error(), "undefined variable %nope") || ee.Offset != 12 {
		t.Errorf("undefined variable error = %v", err)
	}
}

func TestResolveAndMemberOf(t *testing.T) {
	pat := loadJSON(t, "testdata/handmade-patient.json")
	_, err := MustParse("generalPractitioner.resolve()").EvaluateJSON(nil, pat)
	if err == nil || !strings.Contains(err.Error(), "no resolver") {
		t.Errorf("resolve without resolver: %v", err)
	}
	ctx := &Context{
		Resolve: func(ref string) (any, error) {
			if ref == "#pr1" {
				return map[string]any{"resourceType": "Practitioner", "id": "pr1", "active": true}, nil
			}
			return nil, nil
		},
		MemberOf: func(v Value, vs string) (bool, error) {
			return vs == "http://hl7.org/fhir/ValueSet/administrative-gender" && v.JSON() == "male", nil
		},
	}
	out, err := MustParse("generalPractitioner.resolve().active").EvaluateJSON(ctx, pat)
	if err != nil || out.String() != "[true]" {
		t.Errorf("resolve().active = %v %v", out, err)
	}
	out, err = MustParse("gender.memberOf(%`vs-administrative-gender`)").EvaluateJSON(ctx, pat)
	if err != nil || out.String() != "[true]" {
		t.Errorf("memberOf = %v %v", out, err)
	}
}

func TestTrace(t *testing.T) {
	var names []string
	var seen []string
	ctx := &Context{Trace: func(name string, c Collection) { names = append(names, name); seen = append(seen, c.String()) }}
	out, err := MustParse("(1 | 2).trace('a').select($this * 2).trace('b', $this + 1)").Evaluate(ctx, nil)
	if err != nil || out.String() != "[2, 4]" {
		t.Fatalf("trace: %v %v", out, err)
	}
	if strings.Join(names, ",") != "a,b" || strings.Join(seen, ";") != "[1, 2];[3, 5]" {
		t.Errorf("trace saw %v %v", names, seen)
	}
}

// One compiled expression evaluated from many goroutines gives the same
// answers (run with -race).
func TestConcurrentEvaluation(t *testing.T) {
	e := MustParse("Observation.component.where(code.coding.code = '8480-6').value.ofType(Quantity).value.round(1)")
	obs := loadJSON(t, "testdata/synthea-observation-bp.json")
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				out, err := e.EvaluateJSON(nil, obs)
				if err != nil || out.String() != "[129.7]" {
					errs <- errors.New(out.String())
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestDecimalExactness(t *testing.T) {
	for _, c := range []struct{ expr, want string }{
		{"0.1 + 0.2", "0.3"},
		{"0.1 + 0.2 = 0.3", "true"},
		{"1.10 + 2.205", "3.305"},
		{"3.3 - 1.1 = 2.2", "true"},
		{"0.1 * 3 = 0.3", "true"},
		{"10 / 4", "2.5"},
		{"2 / 3", "0.66666667"},
		{"1.0 / 8", "0.125"},
	} {
		out, err := MustParse(c.expr).Evaluate(nil, nil)
		if err != nil || len(out) != 1 || out[0].String() != c.want {
			t.Errorf("%s = %v %v, want %s", c.expr, out, err, c.want)
		}
	}
}
