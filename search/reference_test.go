package search

import (
	"context"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/fhirlake/fhirlake/engine"
	"github.com/fhirlake/fhirlake/fhirflat"
)

// TestReferenceTargets checks which stored references a reference search
// matches: a typed value matches the relative reference and the absolute
// one on this server, not a reference to another server; a full URL
// matches only itself.
func TestReferenceTargets(t *testing.T) {
	ctx := context.Background()
	st := emptyStore(t, "refs")
	const base = "https://fhir.example/r4"
	refs := map[string]string{
		"relative":  "Patient/p1",
		"ours":      base + "/Patient/p1",
		"other":     "http://other.example/fhir/Patient/p1",
		"versioned": "Patient/p1/_history/2",
		"p2":        "Patient/p2",
		"group":     "Group/p1",
		"grpother":  "http://other.example/fhir/Group/g1",
	}
	nz := fhirflat.Default().NewNormalizer(fhirflat.Strict)
	var ops []engine.Op
	for id, ref := range refs {
		row, err := nz.Normalize([]byte(fmt.Sprintf(`{"resourceType":"Observation","id":%q,"status":"final","code":{"text":"x"},"subject":{"reference":%q}}`, id, ref)))
		if err != nil {
			t.Fatal(err)
		}
		row.JSON = append([]byte(nil), row.JSON...)
		ops = append(ops, engine.Op{Kind: engine.Put, Type: "Observation", ID: id, Row: row, New: true})
	}
	if _, err := st.Apply(ctx, ops); err != nil {
		t.Fatal(err)
	}
	c := NewCompiler(fhirflat.Default())
	for _, tc := range []struct{ query, want string }{
		{"patient=p1", "[ours relative]"},
		{"patient=Patient/p1", "[ours relative]"},
		{"subject=Patient/p1", "[ours relative]"},
		{"subject:Patient=p1", "[ours relative]"},
		{"patient=" + base + "/Patient/p1", "[ours relative]"},
		{"patient=http://other.example/fhir/Patient/p1", "[other]"},
		{"patient=p1,p2", "[ours p2 relative]"},
		{"subject:Group=p1", "[group]"},
		{"subject:Device=p1", "[]"},
		// patient is subject.where(resolve() is Patient): a reference
		// to a Group never matches, whatever the value names
		{"patient=Group/p1", "[]"},
		{"subject=Group/p1", "[group]"},
		{"patient=http://other.example/fhir/Group/g1", "[]"},
		{"subject=http://other.example/fhir/Group/g1", "[grpother]"},
		// code.coding was never stored: the token search reads into it
		// all the same (the store grows the whole CodeableConcept)
		{"code=abc", "[]"},
		{"code:text=x&patient=p2", "[p2]"},
	} {
		params, _ := url.ParseQuery(tc.query)
		q, err := Parse(fhirflat.Default().Model(), "Observation", params, true)
		if err != nil {
			t.Fatal(tc.query, err)
		}
		res, err := c.Run(ctx, st, q, base)
		if err != nil {
			t.Fatal(tc.query, err)
		}
		var got []string
		for _, m := range res.Matches {
			got = append(got, m.ID)
		}
		sort.Strings(got)
		if fmt.Sprint(got) != tc.want || res.Total != len(got) {
			t.Errorf("%s: %v (total %d), want %s", tc.query, got, res.Total, tc.want)
		}
		// The same search compiled without the key columns (a store
		// made before they existed) finds the same.
		keyed, err := c.compile(q, base, st.Layout)
		if err != nil {
			t.Fatal(err)
		}
		plain, err := c.compile(q, base, nil)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(plain.Where, fhirflat.KeySuffix) {
			t.Errorf("%s: compiled without layouts, the SQL reads a key column: %s", tc.query, plain.Where)
		}
		for _, p := range []*Plan{keyed, plain} {
			if ids := planIDs(t, st, p); fmt.Sprint(ids) != tc.want {
				t.Errorf("%s: the plan finds %v, want %s\n%s", tc.query, ids, tc.want, p.Where)
			}
		}
	}
	// a patient search tests the 8-byte keys before the strings
	params, _ := url.ParseQuery("patient=p1")
	q, _ := Parse(fhirflat.Default().Model(), "Observation", params, true)
	if plan, err := c.compile(q, base, st.Layout); err != nil || !strings.Contains(plan.Where, `r."subject__key" = ? AND`) {
		t.Errorf("patient=p1 does not test subject's key column: %v %v", plan, err)
	}
	var codeType string
	if err := st.DB().QueryRow("SELECT data_type FROM duckdb_columns() WHERE table_name = 'observation' AND column_name = 'code'").Scan(&codeType); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(codeType, "coding") {
		t.Errorf("the token search did not grow code.coding: %s", codeType)
	}
}

// planIDs runs a plan's predicate on its type's table: the ids it keeps.
func planIDs(t *testing.T, st *engine.Store, p *Plan) []string {
	t.Helper()
	rows, err := st.DB().Query("SELECT r.id FROM main."+fhirflat.QuoteIdent(fhirflat.TableName(p.Type))+" AS r WHERE "+p.Where+" ORDER BY r.id", p.Args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}
