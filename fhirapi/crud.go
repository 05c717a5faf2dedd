package fhirapi

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/fhirlake/fhirlake/engine"
	"github.com/fhirlake/fhirlake/fhirflat"
)

// writeResource answers with a resource (or, per Prefer, less).
func (h *Handler) writeResource(r *request, status int, res *engine.Resource, location bool) error {
	hdr := r.w.Header()
	hdr.Set("ETag", fmt.Sprintf(`W/"%d"`, res.VersionID))
	hdr.Set("Last-Modified", res.LastUpdated.UTC().Format(http.TimeFormat))
	if location {
		hdr.Set("Location", fmt.Sprintf("%s/%s/%s/_history/%d", r.base, res.Type, res.ID, res.VersionID))
	}
	switch preferReturn(r.Request) {
	case "minimal":
		r.w.WriteHeader(status)
		return nil
	case "OperationOutcome":
		hdr.Set("Content-Type", fhirJSON)
		r.w.WriteHeader(status)
		o := &Outcome{Issues: []Issue{{Severity: "information", Code: "informational",
			Diagnostics: fmt.Sprintf("%s/%s is at version %d", res.Type, res.ID, res.VersionID)}}}
		_, _ = r.w.Write(o.json())
		return nil
	}
	body := res.JSON
	if r.Method == http.MethodGet {
		sub, err := parseSubset(r.URL.Query().Get("_summary"), r.URL.Query().Get("_elements"))
		if err != nil {
			return err
		}
		if body, err = sub.apply(h.model, body); err != nil {
			return err
		}
	}
	hdr.Set("Content-Type", fhirJSON)
	r.w.WriteHeader(status)
	_, _ = r.w.Write(body)
	return nil
}

// preferReturn reads Prefer: return=minimal|representation|OperationOutcome.
func preferReturn(r *http.Request) string {
	for _, v := range r.Header.Values("Prefer") {
		for _, part := range strings.Split(v, ",") {
			if k, val, ok := strings.Cut(strings.TrimSpace(part), "="); ok && strings.TrimSpace(k) == "return" {
				return strings.Trim(strings.TrimSpace(val), `"`)
			}
		}
	}
	return "representation"
}

func (h *Handler) read(r *request, typ, id string) error {
	res, err := r.store.Read(r.ctx(), typ, id)
	if err != nil {
		return err
	}
	if notModified(r, res) {
		return nil
	}
	return h.writeResource(r, http.StatusOK, res, false)
}

// notModified answers 304 to a conditional read that matches.
func notModified(r *request, res *engine.Resource) bool {
	if inm := r.Header.Get("If-None-Match"); inm != "" {
		if v, ok := parseETag(inm); ok && v == res.VersionID {
			r.w.Header().Set("ETag", fmt.Sprintf(`W/"%d"`, res.VersionID))
			r.w.WriteHeader(http.StatusNotModified)
			return true
		}
	}
	if ims := r.Header.Get("If-Modified-Since"); ims != "" {
		if t, err := http.ParseTime(ims); err == nil && !res.LastUpdated.Truncate(time.Second).After(t) {
			r.w.WriteHeader(http.StatusNotModified)
			return true
		}
	}
	return false
}

// parseETag reads W/"3" (or "3", or 3) as version 3.
func parseETag(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(s, "W/")
	s = strings.Trim(s, `"`)
	v, err := strconv.ParseInt(s, 10, 64)
	return v, err == nil && v > 0
}

func (h *Handler) vread(r *request, typ, id, vid string) error {
	v, err := strconv.ParseInt(vid, 10, 64)
	if err != nil || v < 1 {
		return badRequest("%q is not a version id", vid)
	}
	res, err := r.store.VRead(r.ctx(), typ, id, v)
	if err != nil {
		return err
	}
	if res.Deleted {
		r.w.Header().Set("ETag", fmt.Sprintf(`W/"%d"`, res.VersionID))
		return outcome(http.StatusGone, "deleted", "version %d of %s/%s is a deletion", v, typ, id)
	}
	return h.writeResource(r, http.StatusOK, res, false)
}

func (h *Handler) normalize(typ, id string, body []byte) (*fhirflat.Row, error) {
	row, err := h.b.NewNormalizer(fhirflat.Strict).NormalizeAs(body, typ, id)
	if err != nil {
		return nil, err
	}
	row.JSON = append([]byte(nil), row.JSON...)
	return row, nil
}

// NewID is the id the server gives a created resource.
func NewID() string { return uuid.NewString() }

func (h *Handler) create(r *request, typ string) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	if cond := r.Header.Get("If-None-Exist"); cond != "" {
		return h.conditionalCreate(r, typ, cond, body)
	}
	id := NewID()
	row, err := h.normalize(typ, id, body)
	if err != nil {
		return err
	}
	return h.put(r, engine.Op{Kind: engine.Put, Type: typ, ID: id, Row: row, New: true})
}

// put applies one write and answers with its result.
func (h *Handler) put(r *request, op engine.Op) error {
	results, err := r.store.Apply(r.ctx(), []engine.Op{op})
	if err != nil {
		return err
	}
	// the version written: a write that came after it may already be current
	res, err := r.store.VRead(r.ctx(), op.Type, op.ID, results[0].VersionID)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if results[0].Created {
		status = http.StatusCreated
	}
	return h.writeResource(r, status, res, true)
}

func (h *Handler) update(r *request, typ, id string) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	row, err := h.normalize(typ, "", body)
	if err != nil {
		return err
	}
	if row.ID == "" {
		return badRequest("the resource in an update must have an id (%s)", id)
	}
	if row.ID != id {
		return badRequest("the resource id %q does not match the id %q in the URL", row.ID, id)
	}
	op := engine.Op{Kind: engine.Put, Type: typ, ID: id, Row: row}
	if im := r.Header.Get("If-Match"); im != "" {
		v, ok := parseETag(im)
		if !ok {
			return badRequest("If-Match %q is not a version ETag such as W/\"3\"", im)
		}
		op.IfMatch = v
	}
	return h.put(r, op)
}

func (h *Handler) delete(r *request, typ, id string) error {
	op := engine.Op{Kind: engine.Delete, Type: typ, ID: id}
	if im := r.Header.Get("If-Match"); im != "" {
		v, ok := parseETag(im)
		if !ok {
			return badRequest("If-Match %q is not a version ETag such as W/\"3\"", im)
		}
		op.IfMatch = v
	}
	results, err := r.store.Apply(r.ctx(), []engine.Op{op})
	if err != nil {
		return err
	}
	if !results[0].Unchanged {
		r.w.Header().Set("ETag", fmt.Sprintf(`W/"%d"`, results[0].VersionID))
	}
	r.w.Header().Set("Content-Type", fhirJSON)
	r.w.WriteHeader(http.StatusOK)
	msg := fmt.Sprintf("deleted %s/%s (version %d)", typ, id, results[0].VersionID)
	if results[0].Unchanged {
		msg = fmt.Sprintf("%s/%s does not exist or is already deleted", typ, id)
	}
	o := &Outcome{Issues: []Issue{{Severity: "information", Code: "informational", Diagnostics: msg}}}
	_, _ = r.w.Write(o.json())
	return nil
}
