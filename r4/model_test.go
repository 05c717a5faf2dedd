package r4

import (
	"slices"
	"testing"
)

func TestModelCounts(t *testing.T) {
	m := Load()
	if got := len(m.SearchParams); got != 1378 {
		t.Errorf("search parameters = %d, want 1378", got)
	}
	if got := len(m.ResourceTypes()); got < 145 {
		t.Errorf("resource types = %d, want at least 145", got)
	}
	for _, name := range []string{"Patient", "Observation", "Bundle", "Parameters", "Questionnaire"} {
		if !m.IsResource(name) {
			t.Errorf("%s is not a resource type", name)
		}
	}
	if m.IsResource("DomainResource") || m.IsResource("Quantity") {
		t.Error("abstract types or datatypes counted as resources")
	}
}

func TestElements(t *testing.T) {
	m := Load()
	obs := m.Type("Observation")
	v := obs.Element("value")
	if v == nil || !v.Choice || v.Many {
		t.Fatalf("Observation.value = %+v, want a single choice", v)
	}
	var codes []string
	for _, et := range v.Types {
		codes = append(codes, et.Code)
	}
	if !slices.Contains(codes, "Quantity") || !slices.Contains(codes, "CodeableConcept") || len(codes) != 11 {
		t.Errorf("value[x] types = %v", codes)
	}
	status := obs.Element("status")
	if status.Min != 1 || status.Binding == nil || !slices.Contains(status.Binding.Codes, "final") {
		t.Errorf("Observation.status = %+v", status)
	}
	subject := obs.Element("subject")
	if !slices.Contains(subject.Types[0].Targets, "Patient") {
		t.Errorf("Observation.subject targets = %v", subject.Types[0].Targets)
	}
	if id := obs.Element("id"); id.Types[0].Code != "id" {
		t.Errorf("Observation.id type = %s, want id", id.Types[0].Code)
	}
	// contentReference: component.referenceRange has referenceRange's children.
	rr := m.ElementAt("Observation.component.referenceRange")
	if rr == nil || rr.Element("low") == nil || !rr.Many {
		t.Fatalf("Observation.component.referenceRange not resolved: %+v", rr)
	}
	// recursive backbone: Questionnaire.item.item
	item := m.ElementAt("Questionnaire.item.item")
	if item == nil || item.Element("linkId") == nil || item.Element("item") == nil {
		t.Fatal("Questionnaire.item.item does not recurse")
	}
	dec := m.Type("decimal")
	if dec.Kind != Primitive || dec.JSON != "number" || dec.Regex == "" {
		t.Errorf("decimal = %+v", dec)
	}
}

func TestSearchParams(t *testing.T) {
	m := Load()
	p := m.SearchParam("Observation", "code")
	if p == nil || p.Type != "token" || p.ExpressionFor("Observation") != "Observation.code" {
		t.Fatalf("Observation code = %+v", p)
	}
	if got := p.ExpressionFor("MedicationRequest"); got != "(MedicationRequest.medication.ofType(CodeableConcept))" {
		t.Errorf("code on MedicationRequest = %q", got)
	}
	if p := m.SearchParam("Observation", "_lastUpdated"); p == nil || p.Type != "date" {
		t.Errorf("_lastUpdated on Observation = %+v", p)
	}
	cvq := m.SearchParam("Observation", "code-value-quantity")
	if cvq == nil || cvq.Type != "composite" || len(cvq.Components) != 2 {
		t.Errorf("code-value-quantity = %+v", cvq)
	}
	subj := m.SearchParam("Observation", "subject")
	if subj == nil || !slices.Contains(subj.Targets, "Patient") {
		t.Errorf("subject = %+v", subj)
	}
	params, in := m.CompartmentParams("Observation")
	if !in || !slices.Contains(params, "subject") {
		t.Errorf("Observation compartment params = %v %v", params, in)
	}
	if _, in := m.CompartmentParams("Organization"); in {
		t.Error("Organization is not in the Patient compartment")
	}
}
