package fhirapi

import (
	"encoding/json"
	"net/http"
	"time"
)

// capabilities answers /metadata with a CapabilityStatement of what this
// server really does.
func (h *Handler) capabilities(r *request) error {
	var resources []map[string]any
	for _, t := range h.model.ResourceTypes() {
		resources = append(resources, map[string]any{
			"type": t,
			"interaction": []map[string]string{
				{"code": "read"}, {"code": "vread"}, {"code": "update"}, {"code": "delete"},
				{"code": "create"}, {"code": "history-instance"}, {"code": "history-type"},
			},
			"versioning":   "versioned",
			"readHistory":  true,
			"updateCreate": true,
		})
	}
	cs := map[string]any{
		"resourceType": "CapabilityStatement",
		"status":       "active",
		"date":         time.Now().UTC().Format("2006-01-02"),
		"publisher":    "fhirlake",
		"kind":         "instance",
		"software":     map[string]string{"name": "fhirlake"},
		"implementation": map[string]string{
			"description": "fhirlake data store " + r.storeID,
			"url":         r.base,
		},
		"fhirVersion": "4.0.1",
		"format":      []string{"application/fhir+json", "json"},
		"rest": []map[string]any{{
			"mode": "server",
			"security": map[string]any{
				"description": "Requests are signed with AWS Signature Version 4 (service healthlake).",
			},
			"resource":    resources,
			"interaction": []map[string]string{{"code": "history-system"}},
		}},
	}
	b, err := json.Marshal(cs)
	if err != nil {
		return err
	}
	writeJSON(r, http.StatusOK, b)
	return nil
}
