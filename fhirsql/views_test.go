package fhirsql

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/fhirlake/fhirlake/fhirflat"
	"github.com/fhirlake/fhirlake/internal/sofsuite"
	"github.com/fhirlake/fhirlake/viewdef"
)

// testViews reads the ViewDefinitions in testdata/views.
func testViews(t testing.TB) []*viewdef.View {
	t.Helper()
	paths, err := filepath.Glob("testdata/views/*.json")
	if err != nil {
		t.Fatal(err)
	}
	var out []*viewdef.View
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		v, err := viewdef.Compile(data)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		out = append(out, v)
	}
	return out
}

// decodeAll decodes resources with UseNumber, with the meta the store
// serves (versionId 1, lastUpdated testTime), by type.
func decodeAll(t testing.TB, raws [][]byte) map[string][]map[string]any {
	t.Helper()
	out := map[string][]map[string]any{}
	for _, raw := range raws {
		var r map[string]any
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if err := dec.Decode(&r); err != nil {
			t.Fatal(err)
		}
		meta, _ := r["meta"].(map[string]any)
		if meta == nil {
			meta = map[string]any{}
			r["meta"] = meta
		}
		meta["versionId"] = "1"
		meta["lastUpdated"] = fhirflat.FormatInstant(testTime)
		rt := r["resourceType"].(string)
		out[rt] = append(out[rt], r)
	}
	return out
}

// goRows runs a view with the Go runner, each row as canonical JSON.
func goRows(t testing.TB, v *viewdef.View, docs []map[string]any) []string {
	t.Helper()
	cols := v.Columns()
	var out []string
	for _, d := range docs {
		rows, err := v.Rows(d)
		if err != nil {
			t.Fatalf("%s: Go runner: %v", v.Name, err)
		}
		for _, row := range rows {
			for i, col := range cols {
				if col.Type == "instant" {
					if s, ok := row[i].(string); ok {
						if tm, ok := parseRFC3339(s); ok {
							row[i] = fhirflat.FormatInstant(tm)
						}
					}
				}
			}
			out = append(out, sofsuite.Canonical(row))
		}
	}
	sort.Strings(out)
	return out
}

// sqlRows creates a compiled view in DuckDB and reads it, each row as
// canonical JSON.
func sqlRows(t testing.TB, db *sql.DB, vs *ViewSQL) []string {
	t.Helper()
	if _, err := db.Exec("CREATE OR REPLACE VIEW " + ident(vs.Name) + " AS " + vs.SQL); err != nil {
		t.Fatalf("%s: %v\n%s", vs.Name, err, vs.SQL)
	}
	_, rows, err := queryJSON(db, "SELECT * FROM "+ident(vs.Name))
	if err != nil {
		t.Fatalf("%s: %v\n%s", vs.Name, err, vs.SQL)
	}
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = sofsuite.Canonical(r)
	}
	sort.Strings(out)
	return out
}

// TestViewsMatchGoRunner compiles realistic ViewDefinitions over Synthea
// data and compares the rows of the SQL view with the Go runner's.
func TestViewsMatchGoRunner(t *testing.T) {
	if testing.Short() {
		t.Skip("Synthea views in -short mode")
	}
	b := fhirflat.Default()
	db := openDB(t)
	raws := synthea(t)
	load(t, db, b, raws)
	docs := decodeAll(t, raws)
	for _, v := range testViews(t) {
		vs, err := CompileView(v, b)
		if err != nil {
			t.Errorf("%s: %v", v.Name, err)
			continue
		}
		want := goRows(t, v, docs[v.Resource])
		got := sqlRows(t, db, vs)
		if len(want) == 0 {
			t.Errorf("%s: the view gives no rows on the fixtures", v.Name)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: %d rows through SQL, %d through Go; first differences:\n%s", v.Name, len(got), len(want), firstDiff(got, want, 3))
			continue
		}
		t.Logf("%s: %d rows agree", v.Name, len(got))
	}
}

// firstDiff shows up to n rows found on one side only.
func firstDiff(got, want []string, n int) string {
	var b strings.Builder
	g, w := map[string]int{}, map[string]int{}
	for _, r := range got {
		g[r]++
	}
	for _, r := range want {
		w[r]++
	}
	shown := 0
	for _, r := range got {
		if g[r] > w[r] && shown < n {
			b.WriteString("  sql only: " + r + "\n")
			shown++
			g[r] = w[r]
		}
	}
	shown = 0
	for _, r := range want {
		if w[r] > g[r] && shown < n {
			b.WriteString("  go only:  " + r + "\n")
			shown++
			w[r] = g[r]
		}
	}
	return b.String()
}

// TestRepeatDeep follows repeat through the typed levels of
// QuestionnaireResponse.item into the levels kept as JSON, with
// %rowIndex, against the Go runner; and stops with an error past the
// levels the SQL follows.
func TestRepeatDeep(t *testing.T) {
	b := fhirflat.Default()
	db := openDB(t)
	// q1 of exprResources nests five levels; deep nests twelve
	var deep strings.Builder
	deep.WriteString(`{"resourceType":"QuestionnaireResponse","id":"deep","status":"completed","item":[`)
	for i := range 12 {
		deep.WriteString(`{"linkId":"l` + strconv.Itoa(i) + `","item":[`)
	}
	deep.WriteString(`{"linkId":"leaf"}`)
	deep.WriteString(strings.Repeat("]}", 12) + "]}")
	raws := [][]byte{[]byte(exprResources[6]), []byte(deep.String())}
	load(t, db, b, raws)
	docs := decodeAll(t, raws)
	views := []string{
		`{"resource":"QuestionnaireResponse","name":"rq1","select":[{"column":[{"name":"id","path":"id"}]},
		  {"repeat":["item","answer.item"],"column":[{"name":"link","path":"linkId"},{"name":"pos","path":"%rowIndex"},{"name":"text","path":"text"}]}],
		  "where":[{"path":"id = 'q1'"}]}`,
		`{"resource":"QuestionnaireResponse","name":"rq2","select":[{"column":[{"name":"id","path":"id"}]},
		  {"repeat":["item"],"select":[{"column":[{"name":"link","path":"linkId"}]},
		    {"unionAll":[{"column":[{"name":"n","path":"%rowIndex"},{"name":"v","path":"'item'"}]},
		                 {"forEachOrNull":"answer","column":[{"name":"n","path":"%rowIndex"},{"name":"v","path":"value.ofType(integer).toString()"}]}]}]}],
		  "where":[{"path":"id = 'q1'"}]}`,
		`{"resource":"QuestionnaireResponse","name":"rq3","select":[{"repeat":["item"],"column":[{"name":"link","path":"linkId"}]}],
		  "where":[{"path":"id = 'q1'"}]}`,
	}
	for _, src := range views {
		v, err := viewdef.Compile([]byte(src))
		if err != nil {
			t.Fatal(err)
		}
		vs, err := CompileView(v, b)
		if err != nil {
			t.Fatalf("%s: %v", v.Name, err)
		}
		want := goRows(t, v, docs["QuestionnaireResponse"])
		got := sqlRows(t, db, vs)
		if !slices.Equal(got, want) {
			t.Errorf("%s:\n  sql: %v\n   go: %v\n%s", v.Name, got, want, vs.SQL)
		}
		if strings.Contains(vs.SQL, "to_json") {
			t.Errorf("%s: the SQL turns typed columns into JSON", v.Name)
		}
	}
	v, err := viewdef.Compile([]byte(`{"resource":"QuestionnaireResponse","name":"rdeep","select":[{"repeat":["item"],"column":[{"name":"link","path":"linkId"}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	vs, err := CompileView(v, b)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("CREATE VIEW rdeep AS " + vs.SQL); err != nil {
		t.Fatal(err)
	}
	_, _, err = queryJSON(db, "SELECT * FROM rdeep")
	if err == nil || !strings.Contains(err.Error(), "nests deeper than 10 levels") {
		t.Errorf("a 13-level QuestionnaireResponse: got %v, want the error saying the SQL follows 10 levels", err)
	}
	if _, err := v.Rows(docs["QuestionnaireResponse"][1]); err != nil {
		t.Errorf("the Go runner: %v", err)
	}
}

// A view reads only the alternatives of a choice that ofType() keeps; the
// others are in AllFields, for when its SQL does not bind without them.
func TestViewFieldsLeaveOutTheChoicesOfTypeDrops(t *testing.T) {
	compile := func(path string) *ViewSQL {
		t.Helper()
		v, err := viewdef.Compile([]byte(`{"resourceType": "ViewDefinition", "name": "v", "resource": "Observation",
			"select": [{"column": [{"name": "x", "path": "` + path + `"}]}]}`))
		if err != nil {
			t.Fatal(err)
		}
		vs, err := CompileView(v, fhirflat.Default())
		if err != nil {
			t.Fatal(err)
		}
		return vs
	}
	names := func(fs []*fhirflat.Field) map[string]bool {
		m := map[string]bool{}
		for _, f := range fs {
			m[f.Path] = true
		}
		return m
	}
	narrow := compile("value.ofType(Quantity).value")
	got, all := names(narrow.Fields), names(narrow.AllFields)
	if !got["Observation.valueQuantity"] || !got["Observation.valueQuantity.value"] {
		t.Errorf("Fields %v lack valueQuantity(.value)", got)
	}
	if got["Observation.valueString"] || got["Observation.valueSampledData"] {
		t.Errorf("Fields %v hold alternatives ofType() left out", got)
	}
	if !all["Observation.valueString"] {
		t.Errorf("AllFields %v lack valueString", all)
	}
	whole := names(compile("value.exists()").Fields)
	if !whole["Observation.valueString"] || !whole["Observation.valueQuantity"] {
		t.Errorf("a view reading value[x] whole needs every alternative, Fields %v", whole)
	}
}
