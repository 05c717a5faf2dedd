package fhirapi

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
)

const weightView = `{"resourceType":"ViewDefinition","name":"weights","status":"active","resource":"Observation",
 "where":[{"path":"code.coding.where(system='http://loinc.org' and code='29463-7').exists()"}],
 "select":[{"column":[{"name":"id","path":"getResourceKey()"},{"name":"patient","path":"subject.getReferenceKey(Patient)"},
   {"name":"kg","path":"value.ofType(Quantity).value","type":"decimal"},{"name":"taken","path":"effective.ofType(dateTime)","type":"dateTime"}]}]}`

func TestViewDefinitions(t *testing.T) {
	a := newTestAPI(t)
	seed(t, a)
	r := a.do("PUT", "ViewDefinition/weights", weightView)
	if r.status != 201 {
		t.Fatalf("store view: %d %s", r.status, r.body)
	}
	st, _ := a.eng.Store(context.Background(), a.ds)
	if err := st.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	var n int
	var avg float64
	if err := st.DB().QueryRow("SELECT count(*), avg(kg) FROM weights WHERE patient = 'p1'").Scan(&n, &avg); err != nil || n != 3 || avg != 56 {
		t.Fatalf("SQL over the view: %d rows, avg %v, %v", n, avg, err)
	}
	// run the stored view, in every format
	r = a.do("GET", "ViewDefinition/weights/$viewdefinition-run?_format=json&_limit=5", "")
	var rows []map[string]any
	if err := json.Unmarshal(r.body, &rows); err != nil || len(rows) != 5 || rows[0]["kg"] == nil {
		t.Fatalf("run json: %d %s", r.status, r.body)
	}
	if r = a.do("GET", "ViewDefinition/weights/$viewdefinition-run?_format=csv", ""); !strings.HasPrefix(string(r.body), "id,patient,kg,taken\n") || strings.Count(string(r.body), "\n") != 37 {
		t.Errorf("run csv: %.200s", r.body)
	}
	if r = a.do("GET", "ViewDefinition/weights/$viewdefinition-run?_format=parquet", ""); r.status != 200 || !strings.HasPrefix(string(r.body), "PAR1") {
		t.Errorf("run parquet: %d %.20q", r.status, r.body)
	}
	// an inline view over inline resources (the Go evaluator)
	params := `{"resourceType":"Parameters","parameter":[{"name":"viewResource","resource":` + weightView + `},
	 {"name":"resource","resource":{"resourceType":"Observation","id":"x1","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"29463-7"}]},"valueQuantity":{"value":70.5}}},
	 {"name":"resource","resource":{"resourceType":"Observation","id":"x2","status":"final","code":{"text":"other"}}},
	 {"name":"_format","valueCode":"ndjson"}]}`
	r = a.do("POST", "ViewDefinition/$viewdefinition-run", params)
	if r.status != 200 || strings.TrimSpace(string(r.body)) != `{"id":"x1","kg":70.5,"patient":null,"taken":null}` {
		t.Errorf("inline run: %d %s", r.status, r.body)
	}
	// list, read, errors
	if r = a.do("GET", "ViewDefinition?name=weights", ""); r.json(t)["total"] != float64(1) {
		t.Errorf("list: %s", r.body)
	}
	if r = a.do("GET", "ViewDefinition/weights", ""); r.json(t)["meta"].(map[string]any)["versionId"] != "1" {
		t.Errorf("read: %s", r.body)
	}
	if r = a.do("PUT", "ViewDefinition/clash", strings.Replace(weightView, `"weights"`, `"patient"`, 1)); r.status != 409 {
		t.Errorf("a view named like a table: %d %s", r.status, r.body)
	}
	if r = a.do("PUT", "ViewDefinition/bad", `{"resourceType":"ViewDefinition","name":"bad","resource":"Observation","select":[{"column":[{"name":"x","path":"code.("}]}]}`); r.status != 422 {
		t.Errorf("an invalid view: %d %s", r.status, r.body)
	}
	if r = a.do("DELETE", "ViewDefinition/weights", ""); r.status != 200 {
		t.Errorf("delete: %d", r.status)
	}
	if _, err := st.DB().Exec("SELECT * FROM weights"); err == nil {
		t.Error("the SQL view is still there after delete")
	}
}
