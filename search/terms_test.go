package search

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/fhirlake/fhirlake/fhirflat"
	"github.com/fhirlake/fhirlake/internal/fixtures"
)

const snomed = "http://snomed.info/sct"

// terminologyFixtures: a SNOMED CT fragment (an invented grouping code
// 999000 above two employment findings, nested, and stress by its parent
// property) and value sets over it and over the statuses.
var terminologyFixtures = []string{
	`{"resourceType":"CodeSystem","id":"sct","url":"http://snomed.info/sct","status":"active","content":"fragment","concept":[
	 {"code":"999000","display":"Social finding","concept":[{"code":"160903007"},{"code":"160904001"}]},
	 {"code":"73595000","property":[{"code":"parent","valueCode":"999000"}]}]}`,
	`{"resourceType":"ValueSet","id":"work","url":"http://example.org/vs/work","status":"active","compose":{"include":[{"system":"http://snomed.info/sct","concept":[{"code":"160903007"},{"code":"160904001"}]}]}}`,
	`{"resourceType":"ValueSet","id":"social","url":"http://example.org/vs/social","status":"active","compose":{"include":[{"system":"http://snomed.info/sct","filter":[{"property":"concept","op":"is-a","value":"999000"}]}]}}`,
	`{"resourceType":"ValueSet","id":"not-work","url":"http://example.org/vs/not-work","status":"active","compose":{"include":[{"system":"http://snomed.info/sct"}],"exclude":[{"valueSet":["http://example.org/vs/work"]}]}}`,
	`{"resourceType":"ValueSet","id":"active","url":"http://example.org/vs/active","status":"active","compose":{"include":[{"system":"http://terminology.hl7.org/CodeSystem/condition-clinical","concept":[{"code":"active"},{"code":"recurrence"},{"code":"relapse"}]}]}}`,
	`{"resourceType":"ValueSet","id":"done","url":"http://example.org/vs/done","status":"active","compose":{"include":[{"system":"http://hl7.org/fhir/event-status","concept":[{"code":"completed"}]}]}}`,
	`{"resourceType":"ValueSet","id":"not-done","url":"http://example.org/vs/not-done","status":"active","compose":{"include":[{"system":"http://hl7.org/fhir/event-status"}],"exclude":[{"system":"http://hl7.org/fhir/event-status","concept":[{"code":"completed"}]}]}}`,
}

// TestTerminologyModifiers checks :in, :not-in, :below and :above on the
// 13-patient export against the codes the fixtures hold, read here from
// their JSON.
func TestTerminologyModifiers(t *testing.T) {
	st := emptyStore(t, "terms")
	o := newOracle(fhirflat.Default().Model())
	bulk, err := fixtures.Bulk()
	if err != nil {
		t.Fatal(err)
	}
	var all [][]byte
	for _, r := range bulk {
		all = append(all, r.JSON)
	}
	for _, r := range terminologyFixtures {
		all = append(all, []byte(r))
	}
	if err := importAll(st, all); err != nil {
		t.Fatal(err)
	}
	for _, js := range all {
		o.add(js)
	}
	// where gives the ids of the resources of typ with a coding of element
	// in system whose code keep accepts; patients, their subjects
	where := func(typ, element, system string, keep func(string) bool) (ids, patients map[string]bool) {
		ids, patients = map[string]bool{}, map[string]bool{}
		for _, r := range o.byTyp[typ] {
			codings, _ := get(r, element, "coding").([]any)
			for _, c := range codings {
				c := c.(map[string]any)
				if str(c["system"]) == system && keep(str(c["code"])) {
					ids[str(r["id"])] = true
					patients[strings.TrimPrefix(str(get(r, "subject", "reference")), "Patient/")] = true
				}
			}
		}
		return ids, patients
	}
	in := func(codes ...string) func(string) bool {
		return func(c string) bool {
			for _, k := range codes {
				if c == k {
					return true
				}
			}
			return false
		}
	}
	not := func(f func(string) bool) func(string) bool { return func(c string) bool { return !f(c) } }
	work, workPatients := where("Condition", "code", snomed, in("160903007", "160904001"))
	social, _ := where("Condition", "code", snomed, in("999000", "160903007", "160904001", "73595000"))
	notWork, _ := where("Condition", "code", snomed, not(in("160903007", "160904001")))
	fullTime, _ := where("Condition", "code", snomed, in("160903007"))
	active, _ := where("Condition", "clinicalStatus", "http://terminology.hl7.org/CodeSystem/condition-clinical", in("active", "recurrence", "relapse"))
	immunizations := map[string]bool{}
	for _, r := range o.byTyp["Immunization"] {
		immunizations[str(r["id"])] = true
	}
	if len(work) == 0 || len(social) <= len(work) || len(notWork) == 0 || len(active) == 0 || len(fullTime) == len(work) || len(immunizations) == 0 {
		t.Fatalf("the fixtures no longer cover the cases: %d %d %d %d %d", len(work), len(social), len(notWork), len(active), len(fullTime))
	}
	for _, c := range []struct {
		typ, query string
		want       map[string]bool
	}{
		{"Condition", "code:in=http://example.org/vs/work", work},
		{"Condition", "code:in=ValueSet/work", work},
		{"Condition", "code:not-in=http://example.org/vs/work", notWork},
		{"Condition", "code:in=http://example.org/vs/social", social},
		{"Condition", "code:below=http://snomed.info/sct|999000", social},
		{"Condition", "code:above=http://snomed.info/sct|160903007", fullTime},
		{"Condition", "code:in=http://example.org/vs/not-work", notWork},
		{"Condition", "code:in=http://example.org/vs/work,http://example.org/vs/not-work", o.search("Condition", url.Values{})},
		{"Condition", "clinical-status:in=http://example.org/vs/active", active},
		{"Immunization", "status:in=http://example.org/vs/done", immunizations},
		{"Immunization", "status:in=http://example.org/vs/not-done", map[string]bool{}},
		{"Patient", "_has:Condition:patient:code:in=http://example.org/vs/work", workPatients},
	} {
		got, total := ids(t, st, c.typ, c.query)
		if total != len(c.want) || diff(c.want, got) != "" {
			t.Errorf("%s?%s: %d matches, want %d: %s", c.typ, c.query, total, len(c.want), diff(c.want, got))
		}
	}
	// what the stored terminology cannot answer is a 400 naming it
	c := NewCompiler(fhirflat.Default())
	for query, want := range map[string]string{
		"code:in=http://example.org/vs/missing":  "the value set http://example.org/vs/missing is not stored",
		"code:below=http://loinc.org|1234-5":     "the code system http://loinc.org is not stored",
		"code:above=160903007":                   "needs a code system: system|code",
		"code:in=http://example.org/vs/work|9.9": "http://example.org/vs/work|9.9 is not stored",
	} {
		params, _ := url.ParseQuery(query)
		q, err := Parse(fhirflat.Default().Model(), "Condition", params, true)
		if err == nil {
			_, err = c.Run(t.Context(), st, q, "")
		}
		var se *Error
		if !errors.As(err, &se) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want a search error with %q", query, err, want)
		}
	}
}
