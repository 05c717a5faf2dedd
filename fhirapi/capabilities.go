package fhirapi

import (
	"encoding/json"
	"net/http"
	"sync"
	"time"

	"github.com/fhirlake/fhirlake/fhirpath"
	"github.com/fhirlake/fhirlake/fhirsql"
)

var (
	searchableOnce sync.Once
	searchable     map[string][]map[string]string // type → searchParam entries
)

// searchParams lists, per type, the search parameters the server can run:
// those whose expression compiles to SQL (computed once).
func (h *Handler) searchableParams() map[string][]map[string]string {
	searchableOnce.Do(func() {
		searchable = map[string][]map[string]string{}
		for _, t := range h.model.ResourceTypes() {
			entries := []map[string]string{
				{"name": "_id", "type": "token", "definition": "http://hl7.org/fhir/SearchParameter/Resource-id"},
				{"name": "_lastUpdated", "type": "date", "definition": "http://hl7.org/fhir/SearchParameter/Resource-lastUpdated"},
			}
			for _, p := range h.model.ParamsFor(t) {
				if p.Code == "_id" || p.Code == "_lastUpdated" || p.Type == "special" && p.Code != "near" {
					continue
				}
				src := p.ExpressionFor(t)
				if src == "" {
					continue
				}
				e, err := fhirpath.Parse(src)
				if err != nil {
					continue
				}
				if _, err := fhirsql.CompileCollection(e, t, h.b, "r"); err != nil {
					continue
				}
				entries = append(entries, map[string]string{"name": p.Code, "type": p.Type, "definition": p.URL})
			}
			searchable[t] = entries
		}
	})
	return searchable
}

// capabilities answers /metadata with a CapabilityStatement of what this
// server really does.
func (h *Handler) capabilities(r *request) error {
	params := h.searchableParams()
	var resources []map[string]any
	for _, t := range h.model.ResourceTypes() {
		var revinc, inc []string
		for _, p := range params[t] {
			if p["type"] == "reference" {
				inc = append(inc, t+":"+p["name"])
			}
		}
		inc = append(inc, "*")
		for _, other := range h.model.ResourceTypes() {
			for _, p := range params[other] {
				if sp := h.model.SearchParamByURL(p["definition"]); p["type"] == "reference" && sp != nil && targets(sp.Targets, t) {
					revinc = append(revinc, other+":"+p["name"])
				}
			}
		}
		res := map[string]any{
			"type": t,
			"interaction": []map[string]string{
				{"code": "read"}, {"code": "vread"}, {"code": "update"}, {"code": "patch"}, {"code": "delete"},
				{"code": "history-instance"}, {"code": "history-type"}, {"code": "create"}, {"code": "search-type"},
			},
			"versioning":        "versioned-update",
			"readHistory":       true,
			"updateCreate":      true,
			"conditionalCreate": true,
			"conditionalRead":   "not-supported",
			"conditionalUpdate": true,
			"conditionalDelete": "single",
			"referencePolicy":   []string{"literal", "logical"},
			"searchInclude":     inc,
			"searchParam":       params[t],
			"operation":         []map[string]string{{"name": "validate", "definition": "http://hl7.org/fhir/OperationDefinition/Resource-validate"}},
		}
		if len(revinc) > 0 {
			res["searchRevInclude"] = revinc
		}
		if t == "Patient" {
			res["operation"] = append(res["operation"].([]map[string]string),
				map[string]string{"name": "everything", "definition": "http://hl7.org/fhir/OperationDefinition/Patient-everything"})
		}
		resources = append(resources, res)
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
		"patchFormat": []string{"application/json-patch+json"},
		"rest": []map[string]any{{
			"mode": "server",
			"security": map[string]any{
				"description": "Requests are signed with AWS Signature Version 4 (service healthlake).",
			},
			"resource": resources,
			"interaction": []map[string]string{
				{"code": "transaction"}, {"code": "batch"}, {"code": "history-system"},
			},
		}},
	}
	b, err := json.Marshal(cs)
	if err != nil {
		return err
	}
	writeJSON(r, http.StatusOK, b)
	return nil
}

func targets(list []string, t string) bool {
	for _, x := range list {
		if x == t || x == "Resource" {
			return true
		}
	}
	return false
}
