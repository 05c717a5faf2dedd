package fhirsql_test

import (
	"fmt"

	"github.com/fhirlake/fhirlake/fhirflat"
	"github.com/fhirlake/fhirlake/fhirpath"
	"github.com/fhirlake/fhirlake/fhirsql"
	"github.com/fhirlake/fhirlake/viewdef"
)

func ExampleCompileView() {
	v, err := viewdef.Compile([]byte(`{"resourceType": "ViewDefinition", "name": "patient_names", "resource": "Patient",
	  "select": [{"column": [{"name": "id", "path": "getResourceKey()"}]},
	             {"forEach": "name", "column": [{"name": "family", "path": "family"}]}]}`))
	if err != nil {
		panic(err)
	}
	vs, err := fhirsql.CompileView(v, fhirflat.Default())
	if err != nil {
		panic(err)
	}
	fmt.Println(vs.SQL)
	for _, c := range vs.Columns {
		fmt.Println(c.Name, c.SQLType)
	}
	// Output:
	// SELECT "id", _u."family" AS "family" FROM (SELECT r.id AS "id", unnest((list_transform(r."name", lambda _x3, _x4: {'family': _x3."family"}))) AS _u FROM main."patient" AS r) AS _v
	// id VARCHAR
	// family VARCHAR
}

func ExampleCompileCollection() {
	e := fhirpath.MustParse("Patient.telecom.where(system = 'email').value")
	x, err := fhirsql.CompileCollection(e, "Patient", fhirflat.Default(), "r")
	if err != nil {
		panic(err)
	}
	for _, p := range x.Parts {
		fmt.Println(p.Type, p.SQLType, p.SQL)
	}
	// Output:
	// string VARCHAR list_filter(list_transform(list_filter(r."telecom", lambda _x1: (_x1."system" = 'email')), lambda _x3: _x3."value"), lambda _x5: _x5 IS NOT NULL)
}
