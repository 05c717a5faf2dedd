package fhirapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/fhirlake/fhirlake/engine"
	"github.com/fhirlake/fhirlake/fhirflat"
	"github.com/fhirlake/fhirlake/views"
)

// ViewDefinitions (SQL on FHIR v2) are not an R4 resource type; the data
// store keeps them apart, each as a SQL view (package views).

const viewType = "ViewDefinition"

// viewDefinition routes ViewDefinition[/id][/$viewdefinition-run].
func (h *Handler) viewDefinition(r *request) error {
	p := r.parts
	m := r.Method
	switch {
	case len(p) == 1 && m == http.MethodGet:
		return h.listViews(r)
	case len(p) == 1 && m == http.MethodPost:
		return h.putView(r, NewID(), true)
	case len(p) == 2 && p[1] == "$viewdefinition-run":
		return h.runView(r, "")
	case len(p) == 2 && m == http.MethodGet:
		return h.getView(r, p[1])
	case len(p) == 2 && m == http.MethodPut:
		return h.putView(r, p[1], false)
	case len(p) == 2 && m == http.MethodDelete:
		if err := r.store.DeleteView(r.ctx(), p[1]); err != nil {
			return err
		}
		o := &Outcome{Issues: []Issue{{Severity: "information", Code: "informational", Diagnostics: "deleted ViewDefinition/" + p[1] + " and its SQL view"}}}
		writeJSON(r, http.StatusOK, o.json())
		return nil
	case len(p) == 3 && p[2] == "$viewdefinition-run":
		return h.runView(r, p[1])
	}
	return notAllowed(r, "GET, POST, PUT, DELETE on ViewDefinition")
}

func viewError(err error) error {
	var ve *views.Error
	var ne *engine.ViewNameError
	switch {
	case errors.As(err, &ve):
		return outcome(http.StatusUnprocessableEntity, "invalid", "%s", ve.Msg)
	case errors.As(err, &ne):
		return outcome(http.StatusConflict, "conflict", "%s", ne.Error())
	}
	return err
}

// viewJSON is a stored ViewDefinition with its id and meta.
func viewJSON(v *engine.StoredView) ([]byte, error) {
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(v.Definition))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	m["id"] = v.ID
	m["meta"] = map[string]string{"versionId": strconv.FormatInt(v.VersionID, 10), "lastUpdated": fhirflat.FormatInstant(v.LastUpdated)}
	return json.Marshal(m)
}

func (h *Handler) putView(r *request, id string, create bool) error {
	if !validID(id) {
		return badRequest("%q is not a valid id", id)
	}
	body, err := readBody(r)
	if err != nil {
		return err
	}
	var head struct {
		ID string `json:"id"`
	}
	_ = json.Unmarshal(body, &head)
	if !create && head.ID != "" && head.ID != id {
		return badRequest("the ViewDefinition id %q does not match the id %q in the URL", head.ID, id)
	}
	v, created, err := views.Install(r.ctx(), r.store, id, body)
	if err != nil {
		return viewError(err)
	}
	out, err := viewJSON(&v)
	if err != nil {
		return err
	}
	r.w.Header().Set("ETag", fmt.Sprintf(`W/"%d"`, v.VersionID))
	r.w.Header().Set("Location", fmt.Sprintf("%s/%s/%s/_history/%d", r.base, viewType, id, v.VersionID))
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	writeJSON(r, status, out)
	return nil
}

func (h *Handler) getView(r *request, id string) error {
	v, err := r.store.View(r.ctx(), id)
	if err != nil {
		return err
	}
	out, err := viewJSON(v)
	if err != nil {
		return err
	}
	r.w.Header().Set("ETag", fmt.Sprintf(`W/"%d"`, v.VersionID))
	writeJSON(r, http.StatusOK, out)
	return nil
}

// listViews is GET ViewDefinition[?name=...]: every stored ViewDefinition.
func (h *Handler) listViews(r *request) error {
	all, err := r.store.Views(r.ctx())
	if err != nil {
		return err
	}
	name := r.URL.Query().Get("name")
	var list []*engine.StoredView
	for _, v := range all {
		if name == "" || strings.EqualFold(v.Name, name) {
			list = append(list, v)
		}
	}
	b := newBundle("searchset", len(list), []link{{Relation: "self", URL: r.base + "/" + viewType + "?" + r.URL.RawQuery}})
	for _, v := range list {
		out, err := viewJSON(v)
		if err != nil {
			return err
		}
		b.entry(r.base+"/"+viewType+"/"+v.ID, out, map[string]any{"search": map[string]string{"mode": "match"}})
	}
	writeJSON(r, http.StatusOK, b.finish())
	return nil
}

// runView is $viewdefinition-run: the view given inline (viewResource)
// or stored (the id in the URL, or viewReference), over resources given
// inline (resource) or the stored data; _format json (default), ndjson,
// csv or parquet; _limit.
func (h *Handler) runView(r *request, id string) error {
	format := r.URL.Query().Get("_format")
	limit := 0
	if s := r.URL.Query().Get("_limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return badRequest("_limit must be a positive number, not %q", s)
		}
		limit = n
	}
	var def []byte
	var resources []map[string]any
	if r.Method == http.MethodPost {
		body, err := readBody(r)
		if err != nil {
			return err
		}
		var params struct {
			ResourceType string `json:"resourceType"`
			Parameter    []struct {
				Name           string          `json:"name"`
				Resource       json.RawMessage `json:"resource"`
				ValueReference *struct {
					Reference string `json:"reference"`
				} `json:"valueReference"`
				ValueCode    string `json:"valueCode"`
				ValueString  string `json:"valueString"`
				ValueInteger *int   `json:"valueInteger"`
			} `json:"parameter"`
		}
		if err := json.Unmarshal(body, &params); err != nil || params.ResourceType != "Parameters" {
			return badRequest("$viewdefinition-run takes a Parameters resource")
		}
		for _, p := range params.Parameter {
			switch p.Name {
			case "viewResource":
				def = p.Resource
			case "viewReference":
				if p.ValueReference == nil {
					return badRequest("viewReference needs a valueReference")
				}
				id = strings.TrimPrefix(p.ValueReference.Reference, viewType+"/")
			case "resource":
				var m map[string]any
				dec := json.NewDecoder(bytes.NewReader(p.Resource))
				dec.UseNumber()
				if err := dec.Decode(&m); err != nil {
					return badRequest("a resource parameter is not a resource: %v", err)
				}
				resources = append(resources, m)
			case "_format":
				format = p.ValueCode + p.ValueString
			case "_limit":
				if p.ValueInteger == nil || *p.ValueInteger < 1 {
					return badRequest("_limit must be a positive valueInteger")
				}
				limit = *p.ValueInteger
			default:
				return badRequest("$viewdefinition-run has no parameter %q (viewResource, viewReference, resource, _format, _limit)", p.Name)
			}
		}
	} else if r.Method != http.MethodGet {
		return notAllowed(r, "GET, POST")
	}
	if def == nil {
		if id == "" {
			return badRequest("$viewdefinition-run needs a viewResource, a viewReference or a ViewDefinition id in the URL")
		}
		v, err := r.store.View(r.ctx(), id)
		if err != nil {
			return err
		}
		def = v.Definition
	}
	if format == "" {
		format = "json"
	}
	ct, ok := views.Formats[format]
	if !ok {
		return badRequest("_format must be json, ndjson, csv or parquet, not %q", format)
	}
	p, err := views.Prepare(h.b, def)
	if err != nil {
		return viewError(err)
	}
	var out bytes.Buffer
	if resources != nil {
		err = views.RunInline(r.ctx(), r.store, p, resources, format, limit, &out)
	} else {
		err = views.RunStored(r.ctx(), r.store, p, format, limit, &out)
	}
	if err != nil {
		return viewError(err)
	}
	r.w.Header().Set("Content-Type", ct)
	if format == "parquet" || format == "csv" {
		name := p.View.Name
		if name == "" {
			name = "view"
		}
		r.w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s-%s.%s"`, name, time.Now().UTC().Format("20060102T150405Z"), format))
	}
	r.w.WriteHeader(http.StatusOK)
	_, _ = r.w.Write(out.Bytes())
	return nil
}
