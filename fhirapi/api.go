// Package fhirapi is the FHIR R4 REST API of the data stores, served at
// /datastore/{id}/r4/.
package fhirapi

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/fhirlake/fhirlake/engine"
	"github.com/fhirlake/fhirlake/fhirflat"
	"github.com/fhirlake/fhirlake/r4"
	"github.com/fhirlake/fhirlake/search"
)

const fhirJSON = "application/fhir+json; charset=utf-8"

// Config configures the FHIR API.
type Config struct {
	Engine *engine.Engine
	// BaseURL returns scheme and host clients reach the server at.
	BaseURL func(r *http.Request) string
	Logger  *slog.Logger
	// MaxBundleEntries limits batch and transaction Bundles (HealthLake: 500).
	MaxBundleEntries int
}

// Handler serves the FHIR API of every data store.
type Handler struct {
	cfg      Config
	model    *r4.Model
	b        *fhirflat.Builder
	searcher *search.Compiler
}

// NewHandler returns the FHIR API handler.
func NewHandler(cfg Config) *Handler {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.MaxBundleEntries <= 0 {
		cfg.MaxBundleEntries = 500
	}
	return &Handler{cfg: cfg, model: r4.Load(), b: fhirflat.Default(), searcher: search.NewCompiler(fhirflat.Default())}
}

// request is one FHIR interaction being served.
type request struct {
	*http.Request
	w       http.ResponseWriter
	store   *engine.Store
	storeID string
	base    string   // the data store's FHIR base URL, without the trailing slash
	parts   []string // path after /r4/
}

// Prefix is where the FHIR API of a data store is served.
const Prefix = "/datastore/"

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, Prefix)
	if !ok {
		writeOutcome(w, outcome(http.StatusNotFound, "not-found", "no FHIR endpoint at %s", r.URL.Path))
		return
	}
	id, rest, _ := strings.Cut(rest, "/")
	path, ok := strings.CutPrefix(rest, "r4")
	if !ok || (path != "" && path[0] != '/') {
		writeOutcome(w, outcome(http.StatusNotFound, "not-found", "the FHIR base is %s%s/r4/", Prefix, id))
		return
	}
	if o := checkFormat(r); o != nil {
		writeOutcome(w, o)
		return
	}
	store, err := h.cfg.Engine.Store(r.Context(), id)
	if err != nil {
		o := translate(err)
		if o.Status == http.StatusNotFound {
			o = outcome(http.StatusNotFound, "not-found", "data store %s does not exist", id)
		}
		writeOutcome(w, o)
		return
	}
	req := &request{Request: r, w: w, store: store, storeID: id,
		base: h.cfg.BaseURL(r) + Prefix + id + "/r4"}
	for _, p := range strings.Split(strings.Trim(path, "/"), "/") {
		if p != "" {
			req.parts = append(req.parts, p)
		}
	}
	if err := h.route(req); err != nil {
		o := translate(err)
		if o.Status >= 500 {
			h.cfg.Logger.Error("FHIR API", "method", r.Method, "path", r.URL.Path, "err", err)
		}
		writeOutcome(w, o)
	}
}

// checkFormat refuses formats other than FHIR JSON (406 for Accept, 415
// for a body).
func checkFormat(r *http.Request) *Outcome {
	f := r.URL.Query().Get("_format")
	switch f {
	case "ndjson", "csv", "parquet": // $viewdefinition-run output formats
		if strings.Contains(r.URL.Path, "$viewdefinition-run") {
			f = ""
		}
	}
	if f == "" {
		f = r.Header.Get("Accept")
	}
	if f != "" && !acceptsJSON(f) {
		return outcome(http.StatusNotAcceptable, "not-supported", "only FHIR JSON (application/fhir+json) is supported, not %q", f)
	}
	if ct := r.Header.Get("Content-Type"); ct != "" && r.ContentLength != 0 && r.Method != http.MethodGet &&
		!strings.Contains(ct, "json") && !strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
		return outcome(http.StatusUnsupportedMediaType, "not-supported", "the request body must be FHIR JSON (application/fhir+json), not %q", ct)
	}
	return nil
}

func acceptsJSON(f string) bool {
	for _, part := range strings.Split(f, ",") {
		mt := strings.TrimSpace(strings.SplitN(part, ";", 2)[0])
		switch mt {
		case "json", "application/json", "application/fhir+json", "application/json+fhir", "*/*", "application/*", "":
			return true
		}
	}
	return false
}

func readBody(r *request) ([]byte, error) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, badRequest("could not read the request body: %v", err)
	}
	if len(strings.TrimSpace(string(body))) == 0 {
		return nil, badRequest("the request has no body")
	}
	return body, nil
}

func (r *request) ctx() context.Context { return r.Context() }
