package viewdef

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

func TestCompileErrors(t *testing.T) {
	for _, c := range []struct{ view, want string }{
		{`[]`, "ViewDefinition: expected an object, got array"},
		{`{"resource": "Patient"}`, "select: at least one select is required"},
		{`{"resource": "Patient", "select": []}`, "select: at least one select is required"},
		{`{"resource": "Nope", "select": [{"column": [{"name": "id", "path": "id"}]}]}`, `resource: "Nope" is not a FHIR R4 resource type`},
		{`{"resourceType": "Patient", "resource": "Patient", "select": [{"column": [{"name": "id", "path": "id"}]}]}`, `resourceType is string "Patient", want "ViewDefinition"`},
		{`{"resource": "Patient", "name": "1bad", "select": [{"column": [{"name": "id", "path": "id"}]}]}`, `name: "1bad" must start with a letter`},
		{`{"resource": "Patient", "status": "live", "select": [{"column": [{"name": "id", "path": "id"}]}]}`, `status: "live" is not one of`},
		{`{"resource": "Patient", "selects": []}`, `ViewDefinition: unknown element "selects"`},
		{`{"resource": "Patient", "select": [{"column": [{"name": "id", "path": "id", "colour": "red"}]}]}`, `select[0].column[0]: unknown element "colour"`},
		{`{"resource": "Patient", "select": [{"column": [{"path": "id"}]}]}`, "select[0].column[0]: name is required"},
		{`{"resource": "Patient", "select": [{"column": [{"name": "id"}]}]}`, "select[0].column[0]: path is required"},
		{`{"resource": "Patient", "select": [{"column": [{"name": "my id", "path": "id"}]}]}`, `select[0].column[0].name: "my id" must start with a letter`},
		{`{"resource": "Patient", "select": [{"column": [{"name": "id", "path": "id"}, {"name": "id", "path": "gender"}]}]}`, `column "id" is defined more than once`},
		{`{"resource": "Patient", "select": [{"column": [{"name": "id", "path": "id"}]}, {"column": [{"name": "id", "path": "id"}]}]}`, `column "id" is defined more than once`},
		{`{"resource": "Patient", "select": [{"column": [{"name": "id", "path": "id", "collection": "yes"}]}]}`, "select[0].column[0].collection: expected a boolean, got string"},
		{`{"resource": "Patient", "select": [{"column": [{"name": "id", "path": "id", "type": "varchar"}]}]}`, `select[0].column[0].type: "varchar" is not a FHIR type`},
		{`{"resource": "Patient", "select": [{"column": [{"name": "id", "path": "id."}]}]}`, "select[0].column[0].path: fhirpath: 1:4: expected a name or function after '.'"},
		{`{"resource": "Patient", "select": [{"column": [{"name": "id", "path": "id.nosuch()"}]}]}`, "unknown function nosuch()"},
		{`{"resource": "Patient", "select": [{"forEach": "name", "forEachOrNull": "name", "column": [{"name": "id", "path": "id"}]}]}`, "select[0]: use only one of forEach, forEachOrNull and repeat"},
		{`{"resource": "Patient", "select": [{"forEach": "name"}]}`, "select[0]: a select needs a column, a select or a unionAll"},
		{`{"resource": "Patient", "select": [{"repeat": [], "column": [{"name": "id", "path": "id"}]}]}`, "select[0].repeat: at least one path is required"},
		{`{"resource": "Patient", "select": [{"repeat": "item", "column": [{"name": "id", "path": "id"}]}]}`, "select[0].repeat: expected an array"},
		{`{"resource": "Patient", "where": [{"path": 3}], "select": [{"column": [{"name": "id", "path": "id"}]}]}`, "where[0].path: expected a FHIRPath expression (string), got number 3"},
		{`{"resource": "Patient", "where": [{}], "select": [{"column": [{"name": "id", "path": "id"}]}]}`, "where[0]: path is required"},
		{`{"resource": "Patient", "constant": [{"name": "a", "valueString": "x", "valueInteger": 1}], "select": [{"column": [{"name": "id", "path": "id"}]}]}`, "constant[0]: a constant needs exactly one value[x]"},
		{`{"resource": "Patient", "constant": [{"name": "a", "valueQuantity": {}}], "select": [{"column": [{"name": "id", "path": "id"}]}]}`, "constant[0].valueQuantity: quantity is not a constant type"},
		{`{"resource": "Patient", "constant": [{"name": "a", "valueInteger": "1"}], "select": [{"column": [{"name": "id", "path": "id"}]}]}`, `constant[0].valueInteger: expected a number, got string "1"`},
		{`{"resource": "Patient", "constant": [{"name": "a", "valueInteger": 1.5}], "select": [{"column": [{"name": "id", "path": "id"}]}]}`, "constant[0].valueInteger: expected an integer, got 1.5"},
		{`{"resource": "Patient", "constant": [{"name": "a", "valueDate": "2019-02-30"}], "select": [{"column": [{"name": "id", "path": "id"}]}]}`, `constant[0].valueDate: invalid date "2019-02-30"`},
		{`{"resource": "Patient", "constant": [{"name": "a", "valueBoolean": true}, {"name": "a", "valueBoolean": false}], "select": [{"column": [{"name": "id", "path": "id"}]}]}`, `constant[1].name: "a" is already defined`},
		{`{"resource": "Patient", "constant": [{"name": "rowIndex", "valueInteger": 1}], "select": [{"column": [{"name": "id", "path": "id"}]}]}`, `constant[0].name: "rowIndex" is already defined`},
		{`{"resource": "Patient", "select": [{"column": [{"name": "id", "path": "%x"}]}]}`, "select[0].column[0].path: %x is not a constant of the view"},
		{`{"resource": "Patient", "select": [{"unionAll": [{"column": [{"name": "a", "path": "id"}]}, {"column": [{"name": "b", "path": "id"}]}]}]}`, "select[0].unionAll[1]: columns (b) differ from those of unionAll[0] (a)"},
		{`{"resource": "Patient", "select": [`, "viewdef: invalid JSON"},
	} {
		_, err := Compile([]byte(c.view))
		if err == nil {
			t.Errorf("%s: compiled, want an error containing %q", c.view, c.want)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s:\n error %q\n does not contain %q", c.view, err, c.want)
		}
	}
}

// Columns carry the declared type, or the type inferred from the path.
func TestColumns(t *testing.T) {
	v, err := Compile([]byte(`{
		"resourceType": "ViewDefinition", "name": "obs", "status": "active", "resource": "Observation",
		"constant": [{"name": "loinc", "valueUri": "http://loinc.org"}],
		"select": [{
			"column": [
				{"name": "id", "path": "getResourceKey()"},
				{"name": "status", "path": "status"},
				{"name": "code", "path": "code.coding.where(system = %loinc).code.first()"},
				{"name": "effective", "path": "effective.ofType(dateTime)"},
				{"name": "value", "path": "value.ofType(Quantity).value"},
				{"name": "unit", "path": "value.ofType(Quantity).code", "type": "string", "description": "UCUM"},
				{"name": "value_text", "path": "value"},
				{"name": "has_value", "path": "value.exists()"},
				{"name": "n_components", "path": "component.count()"},
				{"name": "doubled", "path": "value.ofType(Quantity).value * 2"},
				{"name": "subject", "path": "subject.getReferenceKey(Patient)", "tag": [{"name": "ansi/type", "value": "VARCHAR"}]}
			]
		}, {
			"forEachOrNull": "component",
			"column": [
				{"name": "component_code", "path": "code.coding.code", "collection": true},
				{"name": "component_value", "path": "value.ofType(Quantity)"},
				{"name": "row", "path": "%rowIndex"}
			]
		}]
	}`))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range v.Columns() {
		got = append(got, fmt.Sprintf("%s:%s:%v", c.Name, c.Type, c.Collection))
	}
	want := "id:string:false status:code:false code:code:false effective:dateTime:false value:decimal:false " +
		"unit:string:false value_text::false has_value:boolean:false n_components:integer:false doubled:decimal:false " +
		"subject:string:false component_code:code:true component_value:Quantity:false row:integer:false"
	if strings.Join(got, " ") != want {
		t.Errorf("columns\n got %s\nwant %s", strings.Join(got, " "), want)
	}
	if v.Name != "obs" || v.Resource != "Observation" || len(v.Constants) != 1 || v.Constants[0].Type != "uri" {
		t.Errorf("view = %+v", v)
	}
	if tags := v.Columns()[10].Tags; len(tags) != 1 || tags[0] != (Tag{"ansi/type", "VARCHAR"}) {
		t.Errorf("tags = %v", tags)
	}

	var bp map[string]any
	dec := json.NewDecoder(strings.NewReader(bloodPressure))
	dec.UseNumber()
	if err := dec.Decode(&bp); err != nil {
		t.Fatal(err)
	}
	rows, err := v.Rows(bp)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 {
		t.Fatalf("rows = %v", rows)
	}
	b, _ := json.Marshal(rows)
	wantRows := `[["bp1","final","85354-9","2024-01-02T10:00:00Z",null,null,"see components",true,2,null,"p1",["8480-6"],{"code":"mm[Hg]","value":120},0],` +
		`["bp1","final","85354-9","2024-01-02T10:00:00Z",null,null,"see components",true,2,null,"p1",["8462-4"],{"code":"mm[Hg]","value":80},1]]`
	if string(b) != wantRows {
		t.Errorf("rows\n got %s\nwant %s", b, wantRows)
	}
	if _, err := v.Rows(map[string]any{"resourceType": "Patient"}); err == nil || !strings.Contains(err.Error(), "view reads Observation") {
		t.Errorf("Rows(Patient) error = %v", err)
	}
}

const bloodPressure = `{
	"resourceType": "Observation", "id": "bp1", "status": "final",
	"code": {"coding": [{"system": "http://loinc.org", "code": "85354-9"}]},
	"subject": {"reference": "Patient/p1"},
	"effectiveDateTime": "2024-01-02T10:00:00Z",
	"valueString": "see components",
	"component": [
		{"code": {"coding": [{"system": "http://loinc.org", "code": "8480-6"}]}, "valueQuantity": {"value": 120, "code": "mm[Hg]"}},
		{"code": {"coding": [{"system": "http://loinc.org", "code": "8462-4"}]}, "valueQuantity": {"value": 80, "code": "mm[Hg]"}}
	]
}`

// FuzzCompile checks that no definition panics Compile, and that a view
// that compiles evaluates a resource without panicking.
func FuzzCompile(f *testing.F) {
	f.Add(`{"resource": "Patient", "select": [{"column": [{"name": "id", "path": "id"}]}]}`)
	f.Add(`{"resource": "Patient", "constant": [{"name": "u", "valueString": "official"}], "where": [{"path": "active"}],
		"select": [{"forEachOrNull": "name.where(use = %u)", "column": [{"name": "f", "path": "family", "collection": true}],
		"unionAll": [{"column": [{"name": "g", "path": "given.first()"}]}, {"repeat": ["link"], "column": [{"name": "g", "path": "%rowIndex"}]}]}]}`)
	f.Add(`{"resource": "Observation", "select": [{"column": [{"name": "v", "path": "value.ofType(Quantity).value.lowBoundary()", "type": "decimal"}]}]}`)
	patient := map[string]any{"resourceType": "Patient", "id": "p", "active": true,
		"name": []any{map[string]any{"use": "official", "family": "F", "given": []any{"A", "B"}}}}
	f.Fuzz(func(t *testing.T, def string) {
		v, err := Compile([]byte(def))
		if err != nil {
			return
		}
		if v.Resource == "Patient" {
			v.Rows(patient)
		}
	})
}

// BenchmarkRows evaluates a view with a forEach over a Synthea-like
// blood-pressure Observation.
func BenchmarkRows(b *testing.B) {
	v, err := Compile([]byte(`{"resource": "Observation", "select": [
		{"column": [{"name": "id", "path": "getResourceKey()"}, {"name": "subject", "path": "subject.getReferenceKey(Patient)"},
		            {"name": "effective", "path": "effective.ofType(dateTime)"}]},
		{"forEach": "component", "column": [{"name": "code", "path": "code.coding.where(system = 'http://loinc.org').code.first()"},
		            {"name": "value", "path": "value.ofType(Quantity).value"}]}]}`))
	if err != nil {
		b.Fatal(err)
	}
	var bp map[string]any
	dec := json.NewDecoder(strings.NewReader(bloodPressure))
	dec.UseNumber()
	if err := dec.Decode(&bp); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := v.Rows(bp); err != nil {
			b.Fatal(err)
		}
	}
}
