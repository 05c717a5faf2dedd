package search

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/fhirlake/fhirlake/engine"
	"github.com/fhirlake/fhirlake/fhirflat"
)

func run(t *testing.T, st *engine.Store, typ, query string) *Result {
	t.Helper()
	params, err := url.ParseQuery(query)
	if err != nil {
		t.Fatal(err)
	}
	q, err := Parse(fhirflat.Default().Model(), typ, params, false)
	if err != nil {
		t.Fatalf("%s?%s: %v", typ, query, err)
	}
	res, err := NewCompiler(fhirflat.Default()).Run(context.Background(), st, q, "")
	if err != nil {
		t.Fatalf("%s?%s: %v", typ, query, err)
	}
	return res
}

func TestReverseChainAndIncludes(t *testing.T) {
	st, o := fixtureStore(t)
	code := sample(o, "Observation", func(r map[string]any) string { return str(get(r, "code", "coding", 0, "code")) })[0]
	// _has: patients with an Observation of that code, from the data
	want := map[string]bool{}
	for _, obs := range o.byTyp["Observation"] {
		if str(get(obs, "code", "coding", 0, "code")) == code {
			want[strings.TrimPrefix(str(get(obs, "subject", "reference")), "Patient/")] = true
		}
	}
	got, total := ids(t, st, "Patient", "_has:Observation:patient:code="+code)
	if total != len(want) || diff(want, got) != "" {
		t.Errorf("_has: %d vs %d: %s", total, len(want), diff(want, got))
	}
	// _include: the patients of a page of Observations
	res := run(t, st, "Observation", "code="+code+"&_include=Observation:patient&_count=5")
	pats := map[string]bool{}
	for _, m := range res.Matches {
		r, _ := st.Read(context.Background(), "Observation", m.ID)
		pats[strings.TrimPrefix(refOf(r.JSON), "Patient/")] = true
	}
	inc := map[string]bool{}
	for _, r := range res.Included {
		if r.Type != "Patient" {
			t.Errorf("included a %s", r.Type)
		}
		inc[r.ID] = true
	}
	if diff(pats, inc) != "" {
		t.Errorf("_include: %s", diff(pats, inc))
	}
	// _revinclude: the Conditions of a patient
	p := sample(o, "Condition", func(r map[string]any) string {
		return strings.TrimPrefix(str(get(r, "subject", "reference")), "Patient/")
	})[0]
	res = run(t, st, "Patient", "_id="+p+"&_revinclude=Condition:subject")
	wantConds := 0
	for _, c := range o.byTyp["Condition"] {
		if str(get(c, "subject", "reference")) == "Patient/"+p {
			wantConds++
		}
	}
	if len(res.Matches) != 1 || len(res.Included) != wantConds || wantConds == 0 {
		t.Errorf("_revinclude: %d matches, %d included, want 1 and %d", len(res.Matches), len(res.Included), wantConds)
	}
	// compartment: Patient/p/Condition is the same set
	m := fhirflat.Default().Model()
	names, _ := m.CompartmentParams("Condition")
	c := &Compartment{Type: "Patient", ID: p}
	for _, n := range names {
		c.Params = append(c.Params, m.SearchParam("Condition", n))
	}
	q := &Query{Type: "Condition", Compartment: c, Count: 1000}
	cres, err := NewCompiler(fhirflat.Default()).Run(context.Background(), st, q, "")
	if err != nil || len(cres.Matches) != wantConds || cres.Total != wantConds {
		t.Errorf("compartment: %d (total %d), want %d (%v)", len(cres.Matches), cres.Total, wantConds, err)
	}
}

func refOf(js []byte) string {
	i := strings.Index(string(js), `"subject":{"reference":"`)
	if i < 0 {
		return ""
	}
	rest := string(js[i+len(`"subject":{"reference":"`):])
	return rest[:strings.IndexByte(rest, '"')]
}

func TestSortPagingAndTotal(t *testing.T) {
	st, o := fixtureStore(t)
	// _sort=-birthdate,family: compare with the data's own order
	res := run(t, st, "Patient", "_sort=-birthdate,_id&_count=1000")
	var want []string
	type p struct{ id, birth string }
	var ps []p
	for _, r := range o.byTyp["Patient"] {
		ps = append(ps, p{str(r["id"]), str(r["birthDate"])})
	}
	sort.Slice(ps, func(i, j int) bool {
		if ps[i].birth != ps[j].birth {
			return ps[i].birth > ps[j].birth
		}
		return ps[i].id < ps[j].id
	})
	for _, x := range ps {
		want = append(want, x.id)
	}
	var got []string
	for _, m := range res.Matches {
		got = append(got, m.ID)
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("_sort=-birthdate:\n got %v\nwant %v", got, want)
	}
	// paging: pages of 7 concatenate to the whole, in order
	var paged []string
	for off := 0; ; off += 7 {
		r := run(t, st, "Patient", "_sort=-birthdate,_id&_count=7&_offset="+itoa(off))
		for _, m := range r.Matches {
			paged = append(paged, m.ID)
		}
		if r.Total != len(want) {
			t.Errorf("page at %d: total %d, want %d", off, r.Total, len(want))
		}
		if !r.More {
			break
		}
	}
	if strings.Join(paged, ",") != strings.Join(want, ",") {
		t.Errorf("pages differ from the whole:\n got %v\nwant %v", paged, want)
	}
	if r := run(t, st, "Patient", "_total=none"); r.Total != -1 {
		t.Errorf("_total=none gave %d", r.Total)
	}
	if r := run(t, st, "Patient", "gender=female&_summary=count"); len(r.Matches) != 0 || r.Total != len(o.search("Patient", url.Values{"gender": {"female"}})) {
		t.Errorf("_summary=count: %d matches, total %d", len(r.Matches), r.Total)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestCompositeAndLastUpdated(t *testing.T) {
	st, o := fixtureStore(t)
	// component-code-value-quantity: a systolic pressure over 140, counted in the data
	want := map[string]bool{}
	for _, obs := range o.byTyp["Observation"] {
		comps, _ := obs["component"].([]any)
		for _, c := range comps {
			cm := c.(map[string]any)
			if str(get(cm, "code", "coding", 0, "code")) == "8480-6" {
				if v, ok := get(cm, "valueQuantity", "value").(interface{ String() string }); ok && v.String() > "" {
					var f float64
					_, _ = fmtSscan(v.String(), &f)
					if f > 140 {
						want[str(obs["id"])] = true
					}
				}
			}
		}
	}
	got, _ := ids(t, st, "Observation", "component-code-value-quantity=http://loinc.org|8480-6$gt140")
	if len(want) == 0 || diff(want, got) != "" {
		t.Errorf("component-code-value-quantity: %d wanted: %s", len(want), diff(want, got))
	}
	// every resource was loaded now: _lastUpdated=ge today finds all
	all, total := ids(t, st, "Condition", "_lastUpdated=ge2020-01-01")
	if total != len(o.byTyp["Condition"]) || len(all) != total {
		t.Errorf("_lastUpdated: %d of %d", total, len(o.byTyp["Condition"]))
	}
	if _, total := ids(t, st, "Condition", "_lastUpdated=lt2020-01-01"); total != 0 {
		t.Errorf("_lastUpdated in the past: %d", total)
	}
}

func TestValuesAreNeverSQL(t *testing.T) {
	st, _ := fixtureStore(t)
	for _, q := range []string{
		"name=' OR 1=1 --",
		"name=x'); DROP TABLE patient; --",
		"_id=' OR ''='",
		"gender=female' OR 'a'='a",
		"family:exact=\\",
		"identifier=a|b' UNION SELECT 1 --",
		"general-practitioner=Practitioner/x' OR 1=1 --",
		"birthdate=ge2000'--",
	} {
		name, value, _ := strings.Cut(q, "=")
		params := url.Values{name: {value}}
		pq, err := Parse(fhirflat.Default().Model(), "Patient", params, true)
		if err != nil {
			continue // rejected as a bad value: fine
		}
		res, err := NewCompiler(fhirflat.Default()).Run(context.Background(), st, pq, "")
		if err != nil {
			if _, ok := err.(*Error); !ok && !strings.Contains(err.Error(), "not a search date") {
				t.Errorf("%s: %v", q, err)
			}
			continue
		}
		if res.Total != 0 {
			t.Errorf("%s matched %d patients: the value was not taken as a plain value", q, res.Total)
		}
	}
	var n int
	if err := st.DB().QueryRow("SELECT count(*) FROM patient").Scan(&n); err != nil || n == 0 {
		t.Fatalf("patients after the attempts: %d %v", n, err)
	}
}

func TestUnknownParameters(t *testing.T) {
	m := fhirflat.Default().Model()
	q, err := Parse(m, "Patient", url.Values{"frobnicate": {"1"}, "gender": {"female"}}, false)
	if err != nil || len(q.Unknown) != 1 || len(q.Clauses) != 1 {
		t.Errorf("lenient: %+v %v", q, err)
	}
	// chains through unknown parameters are ignored too
	q, err = Parse(m, "Location", url.Values{"organization.frob": {"x"}, "name": {"x"}}, false)
	if err != nil || len(q.Clauses) != 1 || len(q.Unknown) != 1 || !strings.Contains(strings.Join(q.Unknown, " "), "organization.frob") {
		t.Errorf("lenient, chained: %+v %v", q, err)
	}
	if _, err := Parse(m, "Location", url.Values{"organization.frob": {"x"}}, true); err == nil {
		t.Errorf("strict: a chain through an unknown parameter accepted")
	}
	// an unsupported modifier is refused even when lenient
	if _, err := Parse(m, "Patient", url.Values{"name:in": {"http://vs"}}, false); err == nil || !strings.Contains(err.Error(), ":in") {
		t.Errorf("lenient name:in: %v", err)
	}
	if _, err := Parse(m, "Patient", url.Values{"frobnicate": {"1"}}, true); err == nil || !strings.Contains(err.Error(), "frobnicate") {
		t.Errorf("strict: %v", err)
	}
	for _, bad := range []url.Values{
		{"gender:exact": {"x"}},
		{"birthdate": {"19800"}},
		{"_count": {"-1"}},
		{"_sort": {"nonsense"}},
		{"general-practitioner.name": {"x"}},
		{"_include": {"Patient:nothing"}},
		{"gender:in": {"http://vs"}}, // needs a store to read the value set from
	} {
		q, err := Parse(m, "Patient", bad, true)
		if err == nil {
			_, err = NewCompiler(fhirflat.Default()).Compile(q, "")
		}
		if err == nil {
			t.Errorf("%v: accepted", bad)
		}
	}
}

// FuzzParse: any query string parses or fails with an *Error, and what
// parses compiles or fails with an *Error: never a panic.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"name=smith", "birthdate=ge2000-01", "subject:Patient.name=x", "_has:Observation:patient:code=1", "code=a|b,c", "value-quantity=gt1.5|http://u|mg", "_sort=-date&_include=Observation:patient", "component-code-value-quantity=a|b$lt3", "_snapshot=2026-11-26T08:00:00.123456Z&_offset=10"} {
		f.Add("Observation", s)
		f.Add("Patient", s)
	}
	for _, s := range []string{"near=42.1|-71.2|10|km", "near=1|2", "partof:below=Location/1", "organization:above=1", "type:in=http://vs", "type:below=http://s|c"} {
		f.Add("Location", s)
	}
	m := fhirflat.Default().Model()
	c := NewCompiler(fhirflat.Default())
	f.Fuzz(func(t *testing.T, typ, query string) {
		if !m.IsResource(typ) {
			return
		}
		params, err := url.ParseQuery(query)
		if err != nil {
			return
		}
		q, err := Parse(m, typ, params, false)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("%T %v", err, err)
			}
			return
		}
		if _, err := c.Compile(q, ""); err != nil {
			var e *Error
			if !asError(err, &e) {
				t.Fatalf("compile %s?%s: %T %v", typ, query, err, err)
			}
		}
	})
}

func fmtSscan(s string, f *float64) (int, error) { return fmt.Sscan(s, f) }

func asError(err error, target **Error) bool { return errors.As(err, target) }
