package fhirapi

import (
	"slices"
	"strings"
	"testing"
)

// TestTerminologyAndPlacesOverHTTP: a ValueSet written through the API is
// what the next :in search reads; what the stored terminology cannot
// answer is a 400 OperationOutcome; near and :below on Location's
// hierarchy; the CapabilityStatement lists near.
func TestTerminologyAndPlacesOverHTTP(t *testing.T) {
	a := newTestAPI(t)
	seed(t, a) // 36 observations, all LOINC 29463-7
	vs := func(code string) string {
		return `{"resourceType":"ValueSet","id":"weights","url":"http://example.org/vs/weights","status":"active","compose":{"include":[{"system":"http://loinc.org","concept":[{"code":"` + code + `"}]}]}}`
	}
	count := func(q string) float64 {
		t.Helper()
		r := a.do("GET", q, "")
		if r.status != 200 {
			t.Fatalf("%s: %d %s", q, r.status, r.body)
		}
		total, _ := r.json(t)["total"].(float64)
		return total
	}
	if r := a.do("PUT", "ValueSet/weights", vs("29463-7")); r.status != 201 {
		t.Fatalf("PUT ValueSet: %d %s", r.status, r.body)
	}
	if n := count("Observation?code:in=http://example.org/vs/weights&_total=accurate&_count=1"); n != 36 {
		t.Errorf(":in the value set of the observations' code: %v, want 36", n)
	}
	if n := count("Observation?code:not-in=http://example.org/vs/weights&_total=accurate"); n != 0 {
		t.Errorf(":not-in: %v, want 0", n)
	}
	if r := a.do("PUT", "ValueSet/weights", vs("8302-2")); r.status != 200 {
		t.Fatalf("PUT ValueSet again: %d %s", r.status, r.body)
	}
	if n := count("Observation?code:in=http://example.org/vs/weights&_total=accurate"); n != 0 {
		t.Errorf(":in after the value set changed: %v, want 0", n)
	}
	if n := count("Observation?code:not-in=ValueSet/weights&_total=accurate&_count=1"); n != 36 {
		t.Errorf(":not-in after the value set changed: %v, want 36", n)
	}
	r := a.do("GET", "Observation?code:in=http://example.org/vs/nothing", "")
	if r.status != 400 || !strings.Contains(string(r.body), "OperationOutcome") || !strings.Contains(string(r.body), "http://example.org/vs/nothing is not stored") {
		t.Errorf("a value set not stored: %d %s", r.status, r.body)
	}

	for _, loc := range []string{
		`{"resourceType":"Location","id":"boston","name":"Boston","position":{"latitude":42.3601,"longitude":-71.0589}}`,
		`{"resourceType":"Location","id":"cambridge","name":"Cambridge","partOf":{"reference":"Location/boston"},"position":{"latitude":42.3736,"longitude":-71.1097}}`,
		`{"resourceType":"Location","id":"ward","name":"Ward 3","partOf":{"reference":"Location/cambridge"}}`,
		`{"resourceType":"Location","id":"nyc","name":"New York","position":{"latitude":40.7128,"longitude":-74.0060}}`,
	} {
		id := strings.Split(strings.Split(loc, `"id":"`)[1], `"`)[0]
		if r := a.do("PUT", "Location/"+id, loc); r.status != 201 {
			t.Fatalf("PUT Location/%s: %d %s", id, r.status, r.body)
		}
	}
	// Boston-Cambridge 4.6 km, Boston-New York 306 km
	for q, want := range map[string][]string{
		"Location?near=42.3601|-71.0589|10|km":     {"Location/boston", "Location/cambridge"},
		"Location?near=42.3601|-71.0589|400|km":    {"Location/boston", "Location/cambridge", "Location/nyc"},
		"Location?near=42.3601|-71.0589|1|km":      {"Location/boston"},
		"Location?partof:below=Location/boston":    {"Location/cambridge", "Location/ward"},
		"Location?partof:above=Location/cambridge": {"Location/cambridge", "Location/ward"}, // part of cambridge or of what holds it
	} {
		r := a.do("GET", strings.ReplaceAll(q, "|", "%7C"), "")
		got := entryIDs(t, r)
		slices.Sort(got)
		if r.status != 200 || !slices.Equal(got, want) {
			t.Errorf("%s: %d %v, want %v", q, r.status, got, want)
		}
	}

	caps := a.do("GET", "metadata", "").json(t)
	found := false
	for _, res := range caps["rest"].([]any)[0].(map[string]any)["resource"].([]any) {
		res := res.(map[string]any)
		if res["type"] != "Location" {
			continue
		}
		for _, p := range res["searchParam"].([]any) {
			found = found || p.(map[string]any)["name"] == "near"
		}
	}
	if !found {
		t.Error("the CapabilityStatement does not list Location's near")
	}
}
