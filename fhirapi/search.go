package fhirapi

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/fhirlake/fhirlake/engine"
	"github.com/fhirlake/fhirlake/search"
)

// searchParams gathers a search's parameters: the URL's, and for POST
// _search the form body's.
func searchParams(r *request) (url.Values, error) {
	params, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, badRequest("the search parameters are not a valid query string (a ; or %% must be percent-encoded): %v", err)
	}
	if r.Method == http.MethodPost {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			return nil, badRequest("could not read the search body: %v", err)
		}
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, badRequest("the _search body is not application/x-www-form-urlencoded: %v", err)
		}
		for k, vs := range form {
			params[k] = append(params[k], vs...)
		}
	}
	return params, nil
}

// search serves GET [type] and POST [type]/_search.
func (h *Handler) search(r *request, typ string) error {
	params, err := searchParams(r)
	if err != nil {
		return err
	}
	return h.runSearch(r, typ, params, nil, r.base+"/"+typ)
}

// compartmentSearch serves GET [type]/[id]/[target] (Patient/123/Observation).
func (h *Handler) compartmentSearch(r *request, typ, id, target string) error {
	c, err := h.compartment(typ, id, target)
	if err != nil {
		return err
	}
	params, err := searchParams(r)
	if err != nil {
		return err
	}
	return h.runSearch(r, target, params, c, r.base+"/"+typ+"/"+id+"/"+target)
}

// compartment is the compartment filter of a target type in a Patient
// compartment.
func (h *Handler) compartment(typ, id, target string) (*search.Compartment, error) {
	if typ != "Patient" {
		return nil, notSupported("only the Patient compartment is supported, not %s", typ)
	}
	names, in := h.model.CompartmentParams(target)
	if !in {
		return nil, outcome(http.StatusBadRequest, "invalid", "%s is not in the Patient compartment", target)
	}
	c := &search.Compartment{Type: typ, ID: id}
	for _, n := range names {
		if p := h.model.SearchParam(target, n); p != nil {
			c.Params = append(c.Params, p)
		}
	}
	return c, nil
}

// runSearch runs a search and answers with a searchset Bundle.
func (h *Handler) runSearch(r *request, typ string, params url.Values, comp *search.Compartment, self string) error {
	body, err := h.searchBundle(r, typ, params, comp, self)
	if err != nil {
		return err
	}
	writeJSON(r, http.StatusOK, body)
	return nil
}

// searchBundle runs a search and returns its searchset Bundle.
func (h *Handler) searchBundle(r *request, typ string, params url.Values, comp *search.Compartment, self string) ([]byte, error) {
	strict := strictHandling(r.Request)
	q, err := search.Parse(h.model, typ, params, strict)
	if err != nil {
		return nil, err
	}
	q.Compartment = comp
	res, err := h.searcher.Run(r.ctx(), r.store, q, r.base)
	if err != nil {
		return nil, err
	}
	sub, err := parseSubset(q.Summary, q.Elements)
	if err != nil {
		return nil, err
	}
	links := []link{{Relation: "self", URL: self + "?" + params.Encode()}}
	// the other pages are taken at the instant this one was: stable
	// while resources are written between two page requests
	page := func(offset int) string {
		return self + "?" + withParams(params, "_offset", strconv.Itoa(offset), "_snapshot", res.Snapshot.Format(time.RFC3339Nano))
	}
	if res.More {
		links = append(links, link{Relation: "next", URL: page(res.Offset + res.Count)})
	}
	if res.Offset > 0 && res.Count > 0 {
		links = append(links, link{Relation: "previous", URL: page(max(0, res.Offset-res.Count))})
	}
	b := newBundle("searchset", res.Total, links)
	for _, m := range res.Matches {
		if err := h.searchEntry(r, b, m, "match", sub); err != nil {
			return nil, err
		}
	}
	for _, m := range res.Included {
		if err := h.searchEntry(r, b, m, "include", sub); err != nil {
			return nil, err
		}
	}
	if len(q.Unknown) > 0 {
		o := &Outcome{}
		for _, u := range q.Unknown {
			o.Issues = append(o.Issues, Issue{Severity: "warning", Code: "not-supported", Diagnostics: u + " (ignored)"})
		}
		b.entry("", o.json(), map[string]any{"search": map[string]string{"mode": "outcome"}})
	}
	return b.finish(), nil
}

func (h *Handler) searchEntry(r *request, b *bundleWriter, res *engine.Resource, mode string, sub subset) error {
	body, err := sub.apply(h.model, res.JSON)
	if err != nil {
		return err
	}
	b.entry(fmt.Sprintf("%s/%s/%s", r.base, res.Type, res.ID), body, map[string]any{"search": map[string]string{"mode": mode}})
	return nil
}

// matchIDs runs a conditional URL's search (the parameters after Type?)
// and returns the ids of what it matches (at most two: enough to tell
// none, one and many apart).
func (h *Handler) matchIDs(r *request, typ, query string) ([]string, error) {
	params, err := url.ParseQuery(query)
	if err != nil {
		return nil, badRequest("the condition %q is not a search: %v", query, err)
	}
	if len(params) == 0 {
		return nil, badRequest("a conditional interaction needs search parameters")
	}
	q, err := search.Parse(h.model, typ, params, true)
	if err != nil {
		return nil, err
	}
	q.Count, q.Total = 2, "none"
	res, err := h.searcher.Run(r.ctx(), r.store, q, r.base)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, m := range res.Matches {
		ids = append(ids, m.ID)
	}
	return ids, nil
}

// conditionalCreate is POST with If-None-Exist.
func (h *Handler) conditionalCreate(r *request, typ, cond string, body []byte) error {
	ids, err := h.matchIDs(r, typ, strings.TrimPrefix(cond, typ+"?"))
	if err != nil {
		return err
	}
	switch len(ids) {
	case 0:
		id := NewID()
		row, err := h.normalize(typ, id, body)
		if err != nil {
			return err
		}
		return h.put(r, engine.Op{Kind: engine.Put, Type: typ, ID: id, Row: row, New: true})
	case 1:
		res, err := r.store.Read(r.ctx(), typ, ids[0])
		if err != nil {
			return err
		}
		return h.writeResource(r, http.StatusOK, res, true)
	}
	return outcome(http.StatusPreconditionFailed, "multiple-matches", "If-None-Exist %q matches more than one %s", cond, typ)
}

// conditionalUpdate is PUT [type]?params.
func (h *Handler) conditionalUpdate(r *request, typ string) error {
	if r.URL.RawQuery == "" {
		return notAllowed(r, "GET, POST (PUT and DELETE need an id or search parameters)")
	}
	body, err := readBody(r)
	if err != nil {
		return err
	}
	ids, err := h.matchIDs(r, typ, r.URL.RawQuery)
	if err != nil {
		return err
	}
	row, err := h.normalize(typ, "", body)
	if err != nil {
		return err
	}
	switch len(ids) {
	case 0:
		id := row.ID
		if id == "" {
			id = NewID()
			if row, err = h.normalize(typ, id, body); err != nil {
				return err
			}
		}
		return h.put(r, engine.Op{Kind: engine.Put, Type: typ, ID: id, Row: row, IfNoneExisting: row.ID != id})
	case 1:
		if row.ID != "" && row.ID != ids[0] {
			return badRequest("the resource id %q is not the id %q the condition matched", row.ID, ids[0])
		}
		if row.ID == "" {
			if row, err = h.normalize(typ, ids[0], body); err != nil {
				return err
			}
		}
		return h.put(r, engine.Op{Kind: engine.Put, Type: typ, ID: ids[0], Row: row})
	}
	return outcome(http.StatusPreconditionFailed, "multiple-matches", "the condition %q matches more than one %s", r.URL.RawQuery, typ)
}

// conditionalDelete is DELETE [type]?params.
func (h *Handler) conditionalDelete(r *request, typ string) error {
	if r.URL.RawQuery == "" {
		return notAllowed(r, "GET, POST (PUT and DELETE need an id or search parameters)")
	}
	ids, err := h.matchIDs(r, typ, r.URL.RawQuery)
	if err != nil {
		return err
	}
	switch len(ids) {
	case 0:
		r.w.Header().Set("Content-Type", fhirJSON)
		o := &Outcome{Issues: []Issue{{Severity: "information", Code: "informational", Diagnostics: "nothing matched; nothing was deleted"}}}
		r.w.WriteHeader(http.StatusOK)
		_, _ = r.w.Write(o.json())
		return nil
	case 1:
		return h.delete(r, typ, ids[0])
	}
	return outcome(http.StatusPreconditionFailed, "multiple-matches", "the condition %q matches more than one %s", r.URL.RawQuery, typ)
}

// everything serves Patient/[id]/$everything: the patient and every
// resource in its compartment.
func (h *Handler) everything(r *request, id string) error {
	patient, err := r.store.Read(r.ctx(), "Patient", id)
	if err != nil {
		return err
	}
	params := r.URL.Query()
	var types []string
	if t := params.Get("_type"); t != "" {
		types = strings.Split(t, ",")
	} else {
		for _, c := range h.model.Compartment {
			if len(c.Params) > 0 && c.Type != "Patient" {
				types = append(types, c.Type)
			}
		}
	}
	b := newBundle("searchset", -1, []link{{Relation: "self", URL: r.base + "/Patient/" + id + "/$everything"}})
	b.entry(r.base+"/Patient/"+id, patient.JSON, map[string]any{"search": map[string]string{"mode": "match"}})
	have, err := r.store.TypesWithData(r.ctx())
	if err != nil {
		return err
	}
	hasData := map[string]bool{}
	for _, t := range have {
		hasData[t] = true
	}
	for _, typ := range types {
		if !h.model.IsResource(typ) {
			return badRequest("_type: %q is not a resource type", typ)
		}
		if !hasData[typ] {
			continue
		}
		c, err := h.compartment("Patient", id, typ)
		if err != nil {
			continue
		}
		q := &search.Query{Type: typ, Compartment: c, Count: search.MaxCount, Total: "none"}
		if since := params.Get("_since"); since != "" {
			q.Clauses = append(q.Clauses, &search.Clause{Name: "_lastUpdated", Param: h.model.SearchParam(typ, "_lastUpdated"), Values: []search.Value{{Prefix: "ge", Raw: since}}})
		}
		for offset := 0; ; offset += search.MaxCount {
			q.Offset = offset
			res, err := h.searcher.Run(r.ctx(), r.store, q, r.base)
			if err != nil {
				return err
			}
			for _, m := range res.Matches {
				b.entry(fmt.Sprintf("%s/%s/%s", r.base, m.Type, m.ID), m.JSON, map[string]any{"search": map[string]string{"mode": "match"}})
			}
			if !res.More {
				break
			}
			q.Snapshot = res.Snapshot // the next pages as of the first
		}
	}
	writeJSON(r, http.StatusOK, b.finish())
	return nil
}
