package fhirapi

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/fhirlake/fhirlake/fhirflat"
)

// typeOperation serves POST/GET [type]/$operation.
func (h *Handler) typeOperation(r *request, typ, op string) error {
	switch op {
	case "$validate":
		return h.validate(r, typ, "")
	}
	return notSupported("operation %s is not supported on %s", op, typ)
}

// instanceOperation serves [type]/[id]/$operation.
func (h *Handler) instanceOperation(r *request, typ, id, op string) error {
	switch op {
	case "$validate":
		return h.validate(r, typ, id)
	case "$everything":
		if typ == "Patient" {
			return h.everything(r, id)
		}
	}
	return notSupported("operation %s is not supported on %s/%s", op, typ, id)
}

// validate checks a resource against the R4 model without storing it:
// the body is the resource, or a Parameters with a "resource" parameter.
func (h *Handler) validate(r *request, typ, id string) error {
	if r.Method != http.MethodPost {
		return notAllowed(r, "POST")
	}
	body, err := readBody(r)
	if err != nil {
		return err
	}
	var head struct {
		ResourceType string `json:"resourceType"`
		Parameter    []struct {
			Name     string          `json:"name"`
			Resource json.RawMessage `json:"resource"`
		} `json:"parameter"`
	}
	if err := json.Unmarshal(body, &head); err != nil {
		return badRequest("the body is not JSON: %v", err)
	}
	if head.ResourceType == "Parameters" && typ != "Parameters" {
		body = nil
		for _, p := range head.Parameter {
			if p.Name == "resource" {
				body = p.Resource
			}
		}
		if body == nil {
			return badRequest("the Parameters of $validate have no resource parameter")
		}
	}
	_, err = h.b.NewNormalizer(fhirflat.Strict).NormalizeAs(body, typ, "")
	var ve *fhirflat.Error
	if err != nil && !errors.As(err, &ve) {
		return err
	}
	out := translate(err)
	if err == nil {
		out = &Outcome{Issues: []Issue{{Severity: "information", Code: "informational", Diagnostics: "the resource is valid FHIR R4"}}}
	}
	if id != "" && err == nil {
		out.Issues[0].Diagnostics += " (as " + typ + "/" + id + ")"
	}
	// $validate answers 200 with the outcome, whatever it says.
	writeJSON(r, http.StatusOK, out.json())
	return nil
}
