package fhirflat

import (
	"strings"
	"testing"
)

func TestSchemaEveryResourceType(t *testing.T) {
	b := Default()
	total := 0
	for _, rt := range b.Model().ResourceTypes() {
		s, err := b.Schema(rt)
		if err != nil {
			t.Fatalf("%s: %v", rt, err)
		}
		ddl := s.CreateTable("", false)
		if !strings.Contains(ddl, "(id VARCHAR NOT NULL, ") || strings.Contains(ddl, "PRIMARY KEY") {
			t.Errorf("%s: no id column, or a primary key: %s", rt, ddl)
		}
		full := s.FullLayout().Structure()
		total += len(full)
		if len(s.BySeq) == 0 || !strings.Contains(full, `"_primitive":"JSON"`) {
			t.Errorf("%s: full layout %.100s", rt, full)
		}
	}
	t.Logf("%d resource types, %d bytes of full structure", len(b.Model().ResourceTypes()), total)
}

func TestSchemaObservation(t *testing.T) {
	s, err := Default().Schema("Observation")
	if err != nil {
		t.Fatal(err)
	}
	vq := s.Field("valueQuantity")
	if vq == nil || vq.Kind != Struct || vq.Choice != "value" || vq.Field("value").Type != "decimal" {
		t.Fatalf("valueQuantity = %+v", vq)
	}
	if f := s.Field("effectiveDateTime"); f == nil || f.SQLType() != "VARCHAR" {
		t.Errorf("effectiveDateTime = %+v", f)
	}
	if f := s.Field("issued"); f == nil || f.SQLType() != "TIMESTAMPTZ" {
		t.Errorf("issued = %+v", f)
	}
	if f := s.Field("extension"); f == nil || f.Kind != JSON {
		t.Errorf("extension = %+v", f)
	}
	code := s.Field("code")
	if code.Field("coding") == nil || !code.Field("coding").Many {
		t.Errorf("code.coding = %+v", code.Field("coding"))
	}
	if m := s.Field("meta"); m.Field("versionId") != nil || m.Field("profile") == nil {
		t.Errorf("meta fields: %+v", m.Fields)
	}
	rr := s.Field("component").Field("referenceRange")
	if rr == nil || rr.Kind != Struct || rr.Field("low") == nil {
		t.Errorf("component.referenceRange = %+v", rr)
	}
}

func TestSchemaRecursionBecomesJSON(t *testing.T) {
	s, err := Default().Schema("Questionnaire")
	if err != nil {
		t.Fatal(err)
	}
	f := s.Field("item")
	depth := 0
	for f != nil && f.Kind == Struct {
		depth++
		f = f.Field("item")
	}
	if depth != 3 || f == nil || f.Kind != JSON {
		t.Errorf("Questionnaire.item nests %d levels then %+v; want 3 then JSON", depth, f)
	}
	obs, _ := Default().Schema("Observation")
	assigner := obs.Field("subject").Field("identifier").Field("assigner")
	for depth = 1; assigner != nil && assigner.Kind == Struct; depth++ {
		assigner = assigner.Field("identifier").Field("assigner")
	}
	if depth != 1 || assigner == nil || assigner.Kind != JSON {
		t.Errorf("Reference.identifier.assigner nests %d levels then %+v; want 1 then JSON", depth, assigner)
	}
}
