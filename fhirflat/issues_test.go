package fhirflat

import (
	"errors"
	"testing"
)

// TestIssuesNameTheElement: each issue names the element it is about,
// with the indexes of the arrays on the way (OperationOutcome's expression).
func TestIssuesNameTheElement(t *testing.T) {
	nz := Default().NewNormalizer(Strict)
	for in, want := range map[string]string{
		`{"resourceType":"Patient","name":[{"given":["a",5]}]}`:                       "Patient.name[0].given[1]",
		`{"resourceType":"Patient","birthDate":"1990-13-01"}`:                         "Patient.birthDate",
		`{"resourceType":"Patient","name":[{"family":"x"},{"period":{"start":"x"}}]}`: "Patient.name[1].period.start",
		`{"resourceType":"Patient","name":{"family":"x"}}`:                            "Patient.name",
		`{"resourceType":"Patient","name":[null]}`:                                    "Patient.name[0]",
		`{"resourceType":"Patient","gender":"robot"}`:                                 "Patient.gender",
		`{"resourceType":"Patient","contact":[{"name":{"given":[[]]}}]}`:              "Patient.contact[0].name.given[0]",
	} {
		_, err := nz.Normalize([]byte(in))
		var e *Error
		if !errors.As(err, &e) || len(e.Issues) == 0 {
			t.Errorf("%s: %v, want an issue at %s", in, err, want)
			continue
		}
		if got := e.Issues[0].Path; got != want {
			t.Errorf("%s: issue at %q (%s), want %q", in, got, e.Issues[0].Message, want)
		}
	}
}
