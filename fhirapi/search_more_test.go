package fhirapi

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

// seedMore stores, besides seed's patients p0..p11 and observations
// o{i}-{j} (value 50+5i+j kg, effective 20{10+j}-01-01), resources for the
// modifiers, types and parameters seed does not exercise.
func seedMore(t *testing.T, a *testAPI) {
	t.Helper()
	seed(t, a)
	for _, r := range []string{
		`{"resourceType":"Organization","id":"org1","name":"Acme Health"}`,
		`{"resourceType":"Patient","id":"px","meta":{"tag":[{"system":"urn:tags","code":"vip"}],"profile":["http://example.org/StructureDefinition/px"],"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"R"}]},"text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">px</div>"},"identifier":[{"type":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v2-0203","code":"MR"}]},"system":"urn:hosp","value":"77"}],"name":[{"family":"Extra"}],"gender":"other","maritalStatus":{"text":"single"},"managingOrganization":{"reference":"Organization/org1"}}`,
		`{"resourceType":"Observation","id":"ox","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/px"}}`,
		`{"resourceType":"Observation","id":"oid","status":"final","code":{"text":"x"},"subject":{"identifier":{"system":"urn:mrn","value":"m3"}}}`,
		`{"resourceType":"RiskAssessment","id":"ra1","status":"final","subject":{"reference":"Patient/p1"},"prediction":[{"probabilityDecimal":0.8}]}`,
		`{"resourceType":"RiskAssessment","id":"ra2","status":"final","subject":{"reference":"Patient/p2"},"prediction":[{"probabilityDecimal":0.3}]}`,
		`{"resourceType":"ValueSet","id":"vs1","url":"http://example.org/vs/a","status":"active"}`,
		`{"resourceType":"ValueSet","id":"vs2","url":"http://example.org/vs/a/b","status":"active"}`,
		`{"resourceType":"ValueSet","id":"vs3","url":"http://other.example/vs/a","status":"active"}`,
	} {
		var head struct{ ResourceType, ID string }
		if err := json.Unmarshal([]byte(r), &head); err != nil {
			t.Fatal(err)
		}
		if res := a.do("PUT", head.ResourceType+"/"+head.ID, r); res.status != 201 {
			t.Fatalf("PUT %s/%s: %d %s", head.ResourceType, head.ID, res.status, res.body)
		}
	}
}

// TestMoreSearchFeatures checks the search features TestSearchOverHTTP and
// the oracle tests do not: ap and ne prefixes, number and uri parameters,
// :identifier, :of-type, :below and :above on uri, _tag, _profile,
// _security, chains of two levels, _include:iterate, the previous link,
// _total, _summary and _elements on a search. The expected ids follow from
// the data stored above, not from the search code.
func TestMoreSearchFeatures(t *testing.T) {
	a := newTestAPI(t)
	seedMore(t, a)
	obsWhere := func(keep func(v float64) bool) []string {
		var out []string
		for i := 0; i < 12; i++ {
			for j := 0; j < 3; j++ {
				if keep(float64(50 + 5*i + j)) {
					out = append(out, fmt.Sprintf("Observation/o%d-%d", i, j))
				}
			}
		}
		return out
	}
	patientsExcept := func(skip int) []string {
		var out []string
		for i := 0; i < 12; i++ {
			if i != skip {
				out = append(out, fmt.Sprintf("Patient/p%d", i))
			}
		}
		return out
	}
	for _, c := range []struct {
		q    string
		want []string
	}{
		{"Observation?value-quantity=ap100", obsWhere(func(v float64) bool { return v >= 90 && v <= 110 })},
		{"Observation?value-quantity=ne100&code=29463-7", obsWhere(func(v float64) bool { return v != 100 })},
		{"Patient?birthdate=ne1965-05-01&gender=female,male", patientsExcept(5)},
		{"RiskAssessment?probability=gt0.5", []string{"RiskAssessment/ra1"}},
		{"RiskAssessment?probability=le0.5", []string{"RiskAssessment/ra2"}},
		{"ValueSet?url=http://example.org/vs/a", []string{"ValueSet/vs1"}},
		{"ValueSet?url:below=http://example.org/vs", []string{"ValueSet/vs1", "ValueSet/vs2"}},
		{"ValueSet?url:above=http://example.org/vs/a/b/c", []string{"ValueSet/vs1", "ValueSet/vs2"}},
		{"Observation?subject:identifier=urn:mrn|m3", []string{"Observation/oid"}},
		{"Patient?identifier:of-type=http://terminology.hl7.org/CodeSystem/v2-0203|MR|77", []string{"Patient/px"}},
		{"Patient?identifier:of-type=http://terminology.hl7.org/CodeSystem/v2-0203|MR|78", nil},
		{"Patient?_tag=urn:tags|vip", []string{"Patient/px"}},
		{"Patient?_profile=http://example.org/StructureDefinition/px", []string{"Patient/px"}},
		{"Patient?_security=R", []string{"Patient/px"}},
		{"Observation?subject:Patient.organization.name=Acme", []string{"Observation/ox"}},
		{"Observation?subject:Patient.organization.name=Other", nil},
		{"Observation?_id=ox&_include=Observation:subject&_include:iterate=Patient:organization", []string{"Observation/ox", "Patient/px", "Organization/org1"}},
		{"Observation?_id=ox&_include=Observation:subject&_include=Patient:organization", []string{"Observation/ox", "Patient/px"}},
	} {
		r := a.do("GET", c.q, "")
		if r.status != 200 {
			t.Errorf("%s: %d %s", c.q, r.status, r.body)
			continue
		}
		got := entryIDs(t, r)
		slices.Sort(got)
		want := slices.Clone(c.want)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s:\n got %v\nwant %v", c.q, got, want)
		}
	}

	// paging back: the previous link of the second page gives the first
	first := a.do("GET", "Patient?_count=4&_sort=birthdate&gender=female,male", "")
	second := a.do("GET", linkOf(t, first, "next"), "")
	back := a.do("GET", linkOf(t, second, "previous"), "")
	if f, b := entryIDs(t, first), entryIDs(t, back); len(f) != 4 || !slices.Equal(f, b) {
		t.Errorf("previous of the second page: %v, first page %v", b, f)
	}
	if linkOf(t, first, "previous") != "" {
		t.Error("the first page has a previous link")
	}

	// _total
	for _, total := range []string{"accurate", "estimate"} {
		m := a.do("GET", "Patient?gender=female,male&_count=1&_total="+total, "").json(t)
		if m["total"] != float64(12) {
			t.Errorf("_total=%s: total %v, want 12", total, m["total"])
		}
	}

	// _summary and _elements on a search
	res := func(q string) map[string]any {
		m := a.do("GET", q, "").json(t)
		es, _ := m["entry"].([]any)
		if len(es) != 1 {
			t.Fatalf("%s: %d entries", q, len(es))
		}
		return es[0].(map[string]any)["resource"].(map[string]any)
	}
	if p := res("Patient?_id=px&_summary=true"); p["maritalStatus"] != nil || p["text"] != nil || p["name"] == nil || !subsetted(p) {
		t.Errorf("_summary=true: %v", p)
	}
	if p := res("Patient?_id=px&_summary=data"); p["text"] != nil || p["maritalStatus"] == nil || !subsetted(p) {
		t.Errorf("_summary=data: %v", p)
	}
	if p := res("Patient?_id=px&_summary=text"); p["text"] == nil || p["name"] != nil || !subsetted(p) {
		t.Errorf("_summary=text: %v", p)
	}
	if p := res("Patient?_id=px&_elements=gender"); p["gender"] != "other" || p["name"] != nil || p["identifier"] != nil || !subsetted(p) {
		t.Errorf("_elements=gender: %v", p)
	}
}

// TestHistoryKinds checks type and system history, _since and _count.
func TestHistoryKinds(t *testing.T) {
	a := newTestAPI(t)
	if r := a.do("PUT", "Patient/h1", `{"resourceType":"Patient","id":"h1","gender":"male"}`); r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	a.do("PUT", "Observation/h2", `{"resourceType":"Observation","id":"h2","status":"final","code":{"text":"x"}}`)
	time.Sleep(10 * time.Millisecond)
	mid := time.Now().UTC()
	time.Sleep(10 * time.Millisecond)
	if r := a.do("PUT", "Patient/h1", `{"resourceType":"Patient","id":"h1","gender":"female"}`); r.status != 200 {
		t.Fatalf("update: %d %s", r.status, r.body)
	}
	versions := func(path string) []string {
		m := a.do("GET", path, "").json(t)
		if m["type"] != "history" {
			t.Fatalf("%s: %v", path, m)
		}
		var out []string
		es, _ := m["entry"].([]any)
		for _, e := range es {
			r := e.(map[string]any)["resource"].(map[string]any)
			out = append(out, fmt.Sprintf("%s/%s/%s", r["resourceType"], r["id"], r["meta"].(map[string]any)["versionId"]))
		}
		return out
	}
	since := url.QueryEscape(mid.Format(time.RFC3339Nano))
	for _, c := range []struct{ path, want string }{
		{"Patient/_history", "Patient/h1/2 Patient/h1/1"},
		{"_history", "Patient/h1/2 Observation/h2/1 Patient/h1/1"},
		{"_history?_count=1", "Patient/h1/2"},
		{"_history?_since=" + since, "Patient/h1/2"},
		{"Patient/h1/_history?_since=" + since, "Patient/h1/2"},
		{"Observation/_history?_since=" + since, ""},
	} {
		if got := strings.Join(versions(c.path), " "); got != c.want {
			t.Errorf("%s: %q, want %q", c.path, got, c.want)
		}
	}
	r := a.do("GET", "_history?_since=yesterday", "")
	if code, diag := r.issue(t); r.status != 400 || code != "invalid" || !strings.Contains(diag, "_since") {
		t.Errorf("a bad _since: %d %s %q", r.status, code, diag)
	}
}

// linkOf returns the URL of a Bundle's link with a relation, "" when none.
func linkOf(t *testing.T, r response, relation string) string {
	t.Helper()
	m := r.json(t)
	ls, _ := m["link"].([]any)
	for _, l := range ls {
		if l.(map[string]any)["relation"] == relation {
			u := l.(map[string]any)["url"].(string)
			return u[strings.Index(u, "/r4/")+len("/r4/"):]
		}
	}
	return ""
}

// subsetted says a resource carries the SUBSETTED tag.
func subsetted(r map[string]any) bool {
	meta, _ := r["meta"].(map[string]any)
	tags, _ := meta["tag"].([]any)
	for _, tg := range tags {
		if tg.(map[string]any)["code"] == "SUBSETTED" {
			return true
		}
	}
	return false
}
