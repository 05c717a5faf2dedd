package fhirapi

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
)

// seed stores a few patients and observations through a transaction.
func seed(t *testing.T, a *testAPI) {
	t.Helper()
	var entries []string
	for i := 0; i < 12; i++ {
		gender := []string{"female", "male"}[i%2]
		entries = append(entries, fmt.Sprintf(`{"resource":{"resourceType":"Patient","id":"p%d","identifier":[{"system":"urn:mrn","value":"m%d"}],"name":[{"family":"Fam%d","given":["G%d"]}],"gender":%q,"birthDate":"19%02d-05-01"},"request":{"method":"PUT","url":"Patient/p%d"}}`, i, i, i, i, gender, 60+i, i))
		for j := 0; j < 3; j++ {
			entries = append(entries, fmt.Sprintf(`{"resource":{"resourceType":"Observation","id":"o%d-%d","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"29463-7"}]},"subject":{"reference":"Patient/p%d"},"effectiveDateTime":"20%02d-01-01T10:00:00Z","valueQuantity":{"value":%d,"unit":"kg","system":"http://unitsofmeasure.org","code":"kg"}},"request":{"method":"PUT","url":"Observation/o%d-%d"}}`, i, j, i, 10+j, 50+i*5+j, i, j))
		}
	}
	r := a.do("POST", "", `{"resourceType":"Bundle","type":"transaction","entry":[`+strings.Join(entries, ",")+`]}`)
	if r.status != 200 {
		t.Fatalf("seed: %d %s", r.status, r.body)
	}
}

func entryIDs(t *testing.T, r response) []string {
	t.Helper()
	m := r.json(t)
	var out []string
	es, _ := m["entry"].([]any)
	for _, e := range es {
		res := e.(map[string]any)["resource"].(map[string]any)
		if res["resourceType"] != "OperationOutcome" {
			out = append(out, res["resourceType"].(string)+"/"+res["id"].(string))
		}
	}
	return out
}

func TestSearchOverHTTP(t *testing.T) {
	a := newTestAPI(t)
	seed(t, a)
	r := a.do("GET", "Patient?gender=female&_count=4&_sort=birthdate", "")
	if r.status != 200 {
		t.Fatalf("search: %d %s", r.status, r.body)
	}
	m := r.json(t)
	if m["type"] != "searchset" || m["total"] != float64(6) {
		t.Fatalf("bundle: %s", r.body)
	}
	if got := entryIDs(t, r); strings.Join(got, ",") != "Patient/p0,Patient/p2,Patient/p4,Patient/p6" {
		t.Errorf("first page: %v", got)
	}
	var next string
	for _, l := range m["link"].([]any) {
		if l.(map[string]any)["relation"] == "next" {
			next = l.(map[string]any)["url"].(string)
		}
	}
	if next == "" {
		t.Fatal("no next link")
	}
	u, _ := url.Parse(next)
	r2 := a.do("GET", "Patient?"+u.RawQuery, "")
	if got := entryIDs(t, r2); strings.Join(got, ",") != "Patient/p8,Patient/p10" {
		t.Errorf("next page: %v", got)
	}
	// POST _search with a form body gives the same
	r3 := a.do("POST", "Patient/_search", "gender=female&_count=4&_sort=birthdate", "Content-Type", "application/x-www-form-urlencoded")
	if strings.Join(entryIDs(t, r3), ",") != strings.Join(entryIDs(t, r), ",") {
		t.Errorf("POST _search: %s", r3.body)
	}
	// a patient's recent weights, with the patient included
	r = a.do("GET", "Observation?patient=p3&code=http://loinc.org|29463-7&date=ge2011&_include=Observation:patient", "")
	if got := entryIDs(t, r); strings.Join(got, ",") != "Observation/o3-1,Observation/o3-2,Patient/p3" {
		t.Errorf("patient search with include: %v", got)
	}
	// chain, reverse chain, compartment
	if got := entryIDs(t, a.do("GET", "Observation?subject:Patient.identifier=urn:mrn|m7", "")); len(got) != 3 {
		t.Errorf("chain: %v", got)
	}
	if got := entryIDs(t, a.do("GET", "Patient?_has:Observation:patient:value-quantity=gt100", "")); strings.Join(got, ",") != "Patient/p10,Patient/p11" {
		t.Errorf("_has: %v", got)
	}
	if got := entryIDs(t, a.do("GET", "Patient/p5/Observation?_sort=-date", "")); strings.Join(got, ",") != "Observation/o5-2,Observation/o5-1,Observation/o5-0" {
		t.Errorf("compartment: %v", got)
	}
	// unknown parameters: a warning when lenient, 400 when strict
	r = a.do("GET", "Patient?frobnicate=1&gender=male", "")
	if !strings.Contains(string(r.body), `"mode":"outcome"`) || len(entryIDs(t, r)) != 6 {
		t.Errorf("lenient: %s", r.body)
	}
	if r = a.do("GET", "Patient?frobnicate=1", "", "Prefer", "handling=strict"); r.status != 400 {
		t.Errorf("strict: %d %s", r.status, r.body)
	}
	if r = a.do("GET", "Patient?birthdate=notadate", ""); r.status != 400 {
		t.Errorf("bad date: %d", r.status)
	}
	// a search right after a write sees it
	a.do("PUT", "Patient/fresh", `{"resourceType":"Patient","id":"fresh","name":[{"family":"Justwritten"}]}`)
	if got := entryIDs(t, a.do("GET", "Patient?name=justwrit", "")); strings.Join(got, ",") != "Patient/fresh" {
		t.Errorf("read-your-writes: %v", got)
	}
	// $everything
	r = a.do("GET", "Patient/p2/$everything", "")
	if got := entryIDs(t, r); len(got) != 4 || got[0] != "Patient/p2" {
		t.Errorf("$everything: %v", got)
	}
}

func TestConditionalInteractions(t *testing.T) {
	a := newTestAPI(t)
	seed(t, a)
	body := `{"resourceType":"Patient","identifier":[{"system":"urn:mrn","value":"m3"}],"active":true}`
	// If-None-Exist matching one: the existing resource, nothing created
	r := a.do("POST", "Patient", body, "If-None-Exist", "identifier=urn:mrn|m3")
	if r.status != 200 || r.json(t)["id"] != "p3" {
		t.Errorf("conditional create, one match: %d %s", r.status, r.body)
	}
	r = a.do("POST", "Patient", `{"resourceType":"Patient","identifier":[{"system":"urn:mrn","value":"new"}]}`, "If-None-Exist", "identifier=urn:mrn|new")
	if r.status != 201 {
		t.Errorf("conditional create, no match: %d %s", r.status, r.body)
	}
	if r = a.do("POST", "Patient", body, "If-None-Exist", "gender=female"); r.status != 412 {
		t.Errorf("conditional create, many matches: %d", r.status)
	}
	// conditional update
	r = a.do("PUT", "Patient?identifier=urn:mrn|m4", `{"resourceType":"Patient","active":false,"identifier":[{"system":"urn:mrn","value":"m4"}]}`)
	if r.status != 200 || r.json(t)["id"] != "p4" || r.header.Get("ETag") != `W/"2"` {
		t.Errorf("conditional update: %d %s", r.status, r.body)
	}
	// conditional delete
	if r = a.do("DELETE", "Patient?identifier=urn:mrn|m5", ""); r.status != 200 {
		t.Errorf("conditional delete: %d %s", r.status, r.body)
	}
	if r = a.do("GET", "Patient/p5", ""); r.status != 410 {
		t.Errorf("after conditional delete: %d", r.status)
	}
	// a transaction with a conditional reference and a conditional create
	tx := `{"resourceType":"Bundle","type":"transaction","entry":[
	 {"resource":{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"Patient?identifier=urn:mrn|m6"}},"request":{"method":"POST","url":"Observation"}},
	 {"resource":{"resourceType":"Patient","identifier":[{"system":"urn:mrn","value":"m7"}]},"request":{"method":"POST","url":"Patient","ifNoneExist":"identifier=urn:mrn|m7"}}]}`
	r = a.do("POST", "", tx)
	if r.status != 200 {
		t.Fatalf("transaction: %d %s", r.status, r.body)
	}
	es := r.json(t)["entry"].([]any)
	loc := es[0].(map[string]any)["response"].(map[string]any)["location"].(string)
	obs := a.do("GET", strings.Join(strings.Split(loc, "/")[:2], "/"), "").json(t)
	if obs["subject"].(map[string]any)["reference"] != "Patient/p6" {
		t.Errorf("conditional reference resolved to %v", obs["subject"])
	}
	if st := es[1].(map[string]any)["response"].(map[string]any)["status"]; st != "200 OK" {
		t.Errorf("ifNoneExist entry: %v", st)
	}
	bad := `{"resourceType":"Bundle","type":"transaction","entry":[{"resource":{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"Patient?identifier=urn:mrn|nobody"}},"request":{"method":"POST","url":"Observation"}}]}`
	if r = a.do("POST", "", bad); r.status != 404 {
		t.Errorf("unresolvable conditional reference: %d %s", r.status, r.body)
	}
}
