package fhirapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/fhirlake/fhirlake/engine"
	"github.com/fhirlake/fhirlake/fhirflat"
)

type bundleEntry struct {
	FullURL  string          `json:"fullUrl"`
	Resource json.RawMessage `json:"resource"`
	Request  *struct {
		Method          string `json:"method"`
		URL             string `json:"url"`
		IfMatch         string `json:"ifMatch"`
		IfNoneExist     string `json:"ifNoneExist"`
		IfNoneMatch     string `json:"ifNoneMatch"`
		IfModifiedSince string `json:"ifModifiedSince"`
	} `json:"request"`
}

// entryPlan is what one entry of a batch or transaction will do.
type entryPlan struct {
	index    int
	method   string
	typ, id  string
	query    string // conditional URL parameters
	version  int64  // GET .../_history/v
	resource []byte
	ifMatch  int64
	noop     bool // conditional create that matched: nothing to write
	op       *engine.Op
	// response
	status   string
	location string
	res      *engine.Resource
	outcome  *Outcome
}

// bundle serves POST [base] with a batch or transaction Bundle.
func (h *Handler) bundle(r *request) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	var b struct {
		ResourceType string        `json:"resourceType"`
		Type         string        `json:"type"`
		Entry        []bundleEntry `json:"entry"`
	}
	if err := json.Unmarshal(body, &b); err != nil {
		return badRequest("the Bundle is not valid JSON: %v", err)
	}
	if b.ResourceType != "Bundle" {
		return badRequest("POST to the base takes a Bundle, not %q", b.ResourceType)
	}
	if len(b.Entry) > h.cfg.MaxBundleEntries {
		return outcome(http.StatusRequestEntityTooLarge, "too-costly", "the Bundle has %d entries; at most %d are allowed", len(b.Entry), h.cfg.MaxBundleEntries)
	}
	plans := make([]*entryPlan, len(b.Entry))
	for i := range b.Entry {
		p, err := h.planEntry(r, i, &b.Entry[i])
		if err != nil {
			if b.Type == "transaction" {
				return err
			}
			p = &entryPlan{index: i, outcome: translate(err)}
		}
		plans[i] = p
	}
	switch b.Type {
	case "transaction":
		return h.transaction(r, b.Entry, plans)
	case "batch":
		return h.batch(r, b.Entry, plans)
	}
	return badRequest("Bundle.type must be batch or transaction, not %q", b.Type)
}

// planEntry reads an entry's request.
func (h *Handler) planEntry(r *request, i int, e *bundleEntry) (*entryPlan, error) {
	at := fmt.Sprintf("Bundle.entry[%d]", i)
	if e.Request == nil {
		return nil, badRequest("%s has no request", at)
	}
	p := &entryPlan{index: i, method: strings.ToUpper(e.Request.Method), resource: e.Resource}
	u, err := url.Parse(strings.TrimPrefix(e.Request.URL, r.base+"/"))
	if err != nil || e.Request.URL == "" {
		return nil, badRequest("%s.request.url %q is not a relative FHIR URL", at, e.Request.URL)
	}
	parts := strings.Split(strings.Trim(u.Path, "/"), "/")
	p.typ = parts[0]
	p.query = u.RawQuery
	if !h.model.IsResource(p.typ) {
		return nil, badRequest("%s.request.url %q does not name a resource type", at, e.Request.URL)
	}
	if len(parts) > 1 {
		p.id = parts[1]
		if !validID(p.id) {
			return nil, badRequest("%s.request.url %q has an invalid id", at, e.Request.URL)
		}
	}
	if len(parts) == 4 && parts[2] == "_history" {
		v, err := strconv.ParseInt(parts[3], 10, 64)
		if err != nil || v < 1 {
			return nil, badRequest("%s.request.url %q has an invalid version", at, e.Request.URL)
		}
		p.version = v
	} else if len(parts) > 2 {
		return nil, badRequest("%s.request.url %q is not supported in a Bundle", at, e.Request.URL)
	}
	if e.Request.IfMatch != "" {
		v, ok := parseETag(e.Request.IfMatch)
		if !ok {
			return nil, badRequest("%s.request.ifMatch %q is not a version ETag", at, e.Request.IfMatch)
		}
		p.ifMatch = v
	}
	switch p.method {
	case "GET", "DELETE":
	case "POST":
		if len(parts) != 1 {
			return nil, badRequest("%s: POST goes to the type (%s), not %q", at, p.typ, e.Request.URL)
		}
		if e.Request.IfNoneExist != "" {
			p.query = strings.TrimPrefix(e.Request.IfNoneExist, p.typ+"?")
		}
		fallthrough
	case "PUT", "PATCH":
		if len(e.Resource) == 0 && p.method != "PATCH" {
			return nil, badRequest("%s: %s needs a resource", at, p.method)
		}
		if p.method != "POST" && p.id == "" && p.query == "" {
			return nil, badRequest("%s: %s needs an id or a search in its url", at, p.method)
		}
	default:
		return nil, badRequest("%s.request.method %q is not GET, POST, PUT, PATCH or DELETE", at, e.Request.Method)
	}
	return p, nil
}

// transaction applies every write entry atomically, then the reads.
func (h *Handler) transaction(r *request, entries []bundleEntry, plans []*entryPlan) error {
	refs := map[string]string{} // fullUrl → Type/id
	// Ids of created resources, and conditional matches, come first, so
	// references between entries can be rewritten.
	for _, p := range plans {
		e := entries[p.index]
		switch p.method {
		case "POST":
			if p.query != "" {
				ids, err := h.matchIDs(r, p.typ, p.query)
				if err != nil {
					return entryError(p, err)
				}
				switch len(ids) {
				case 0:
				case 1:
					p.id, p.noop, p.status = ids[0], true, "200 OK"
				default:
					return entryError(p, outcome(http.StatusPreconditionFailed, "multiple-matches", "ifNoneExist %q matches %d resources", p.query, len(ids)))
				}
			}
			if p.id == "" {
				p.id = NewID()
			}
		case "PUT", "DELETE", "PATCH":
			if p.id == "" && p.query != "" {
				ids, err := h.matchIDs(r, p.typ, p.query)
				if err != nil {
					return entryError(p, err)
				}
				switch {
				case len(ids) == 1:
					p.id = ids[0]
				case len(ids) > 1:
					return entryError(p, outcome(http.StatusPreconditionFailed, "multiple-matches", "%s matches %d resources", p.query, len(ids)))
				case p.method == "PUT":
					p.id = NewID()
				case p.method == "PATCH":
					return entryError(p, outcome(http.StatusNotFound, "not-found", "%s?%s matches nothing", p.typ, p.query))
				default:
					p.noop, p.status = true, "204 No Content"
				}
			}
		}
		if e.FullURL != "" && p.id != "" {
			refs[e.FullURL] = p.typ + "/" + p.id
		}
	}
	// "If any resource identities (including resolved identities from
	// conditional update/delete) overlap in steps 1-3, then the
	// transaction SHALL fail" (FHIR R4, transaction processing rules).
	writer := map[string]*entryPlan{}
	for _, p := range plans {
		if p.method == "GET" || p.id == "" || p.noop { // a matched conditional create writes nothing
			continue
		}
		if q := writer[p.typ+"/"+p.id]; q != nil {
			return entryError(p, outcome(http.StatusBadRequest, "invalid",
				"%s/%s is also written by Bundle.entry[%d]; the entries of a transaction must name distinct resources", p.typ, p.id, q.index))
		}
		writer[p.typ+"/"+p.id] = p
	}
	// FHIR's processing order: DELETE, POST, PUT/PATCH; reads after.
	var ops []engine.Op
	var opPlans []*entryPlan
	for _, method := range []string{"DELETE", "POST", "PUT", "PATCH"} {
		for _, p := range plans {
			if p.method != method || p.noop {
				continue
			}
			op, err := h.entryOp(r, p, refs)
			if err != nil {
				return entryError(p, err)
			}
			ops = append(ops, op)
			opPlans = append(opPlans, p)
		}
	}
	results, err := r.store.Apply(r.ctx(), ops)
	if err != nil {
		var vc *engine.VersionConflictError
		if errors.As(err, &vc) {
			for i, op := range ops {
				if op.Type == vc.Type && op.ID == vc.ID {
					return entryError(opPlans[i], err)
				}
			}
		}
		return err
	}
	for i, res := range results {
		h.recordResult(r, opPlans[i], res)
	}
	for _, p := range plans {
		if p.method == "GET" {
			h.readEntry(r, p)
			if p.outcome != nil {
				// a failed read fails the transaction
				return entryError(p, p.outcome)
			}
		}
	}
	return h.writeBundleResponse(r, "transaction-response", entries, plans)
}

// batch runs every entry on its own.
func (h *Handler) batch(r *request, entries []bundleEntry, plans []*entryPlan) error {
	for _, p := range plans {
		if p.outcome != nil {
			continue
		}
		if p.method == "GET" {
			h.readEntry(r, p)
			continue
		}
		if (p.method == "POST" && p.query != "") || (p.id == "" && p.query != "") {
			ids, err := h.matchIDs(r, p.typ, p.query)
			if err != nil {
				p.outcome = translate(err)
				continue
			}
			if p.method == "POST" && len(ids) == 1 {
				p.id, p.noop, p.status = ids[0], true, "200 OK"
				continue
			}
			if len(ids) > 1 {
				p.outcome = outcome(http.StatusPreconditionFailed, "multiple-matches", "%s matches %d resources", p.query, len(ids))
				continue
			}
			if len(ids) == 1 {
				p.id = ids[0]
			}
		}
		if p.id == "" {
			p.id = NewID()
		}
		op, err := h.entryOp(r, p, nil)
		if err != nil {
			p.outcome = translate(err)
			continue
		}
		results, err := r.store.Apply(r.ctx(), []engine.Op{op})
		if err != nil {
			p.outcome = translate(err)
			continue
		}
		h.recordResult(r, p, results[0])
	}
	return h.writeBundleResponse(r, "batch-response", entries, plans)
}

// entryOp turns a write entry into an engine op, rewriting references to
// other entries of a transaction.
func (h *Handler) entryOp(r *request, p *entryPlan, refs map[string]string) (engine.Op, error) {
	if p.method == "DELETE" {
		return engine.Op{Kind: engine.Delete, Type: p.typ, ID: p.id, IfMatch: p.ifMatch}, nil
	}
	body := p.resource
	if p.method == "PATCH" {
		return engine.Op{}, notSupported("PATCH entries in a Bundle are not supported; patch with PATCH [type]/[id]")
	}
	var err error
	if body, err = rewriteReferences(body, refs, func(ref string) (string, error) {
		return h.resolveConditional(r, ref)
	}); err != nil {
		return engine.Op{}, err
	}
	id := ""
	if p.method == "POST" {
		id = p.id
	}
	row, err := h.b.NewNormalizer(fhirflat.Strict).NormalizeAs(body, p.typ, id)
	if err != nil {
		return engine.Op{}, err
	}
	row.JSON = append([]byte(nil), row.JSON...)
	if p.method == "PUT" {
		if row.ID == "" {
			row, err = h.b.NewNormalizer(fhirflat.Strict).NormalizeAs(body, p.typ, p.id)
			if err != nil {
				return engine.Op{}, err
			}
			row.JSON = append([]byte(nil), row.JSON...)
		} else if row.ID != p.id {
			return engine.Op{}, badRequest("the resource id %q does not match %s/%s", row.ID, p.typ, p.id)
		}
	}
	return engine.Op{Kind: engine.Put, Type: p.typ, ID: p.id, Row: row, IfMatch: p.ifMatch, New: p.method == "POST"}, nil
}

func (h *Handler) recordResult(r *request, p *entryPlan, res engine.Result) {
	switch {
	case p.method == "DELETE":
		p.status = "204 No Content"
		return
	case res.Created:
		p.status = "201 Created"
	default:
		p.status = "200 OK"
	}
	p.location = fmt.Sprintf("%s/%s/%d", p.typ+"/"+p.id, "_history", res.VersionID)
	p.res = &engine.Resource{Type: p.typ, ID: p.id, VersionID: res.VersionID, LastUpdated: res.LastUpdated}
}

func (h *Handler) readEntry(r *request, p *entryPlan) {
	var res *engine.Resource
	var err error
	switch {
	case p.id == "":
		params, err := url.ParseQuery(p.query)
		if err != nil {
			p.outcome = badRequest("%s?%s is not a search: %v", p.typ, p.query, err)
			return
		}
		body, err := h.searchBundle(r, p.typ, params, nil, r.base+"/"+p.typ)
		if err != nil {
			p.outcome = translate(err)
			return
		}
		p.res, p.status = &engine.Resource{JSON: body}, "200 OK"
		return
	case p.version > 0:
		res, err = r.store.VRead(r.ctx(), p.typ, p.id, p.version)
	default:
		res, err = r.store.Read(r.ctx(), p.typ, p.id)
	}
	if err != nil {
		p.outcome = translate(err)
		return
	}
	p.res, p.status = res, "200 OK"
}

func entryError(p *entryPlan, err error) error {
	o := translate(err)
	out := &Outcome{Status: o.Status}
	for _, is := range o.Issues {
		is.Diagnostics = fmt.Sprintf("Bundle.entry[%d]: %s", p.index, is.Diagnostics)
		for j, ex := range is.Expression {
			is.Expression[j] = fmt.Sprintf("Bundle.entry[%d].resource.%s", p.index, ex)
		}
		out.Issues = append(out.Issues, is)
	}
	return out
}

func (h *Handler) writeBundleResponse(r *request, typ string, entries []bundleEntry, plans []*entryPlan) error {
	withResource := preferReturn(r.Request) == "representation" && r.Header.Get("Prefer") != ""
	b := newBundle(typ, -1, nil)
	for _, p := range plans {
		resp := map[string]any{}
		var body []byte
		if p.outcome != nil {
			resp["status"] = fmt.Sprintf("%d %s", p.outcome.Status, http.StatusText(p.outcome.Status))
			resp["outcome"] = json.RawMessage(p.outcome.json())
		} else {
			resp["status"] = p.status
			if p.location != "" {
				resp["location"] = p.location
			}
			if p.res != nil && p.res.VersionID > 0 {
				resp["etag"] = fmt.Sprintf(`W/"%d"`, p.res.VersionID)
				resp["lastModified"] = p.res.LastUpdated.UTC().Format(time.RFC3339Nano)
			}
			if p.res != nil && (p.method == "GET" || withResource) {
				if p.res.JSON == nil && p.method != "DELETE" {
					if got, err := r.store.VRead(r.ctx(), p.typ, p.id, p.res.VersionID); err == nil {
						p.res = got
					}
				}
				body = p.res.JSON
			}
		}
		fullURL := ""
		if p.id != "" {
			fullURL = r.base + "/" + p.typ + "/" + p.id
		}
		b.entry(fullURL, body, map[string]any{"response": resp})
	}
	writeJSON(r, http.StatusOK, b.finish())
	return nil
}

// resolveConditional turns a conditional reference (Type?params) into the
// Type/id of the one resource it matches.
func (h *Handler) resolveConditional(r *request, ref string) (string, error) {
	typ, query, _ := strings.Cut(ref, "?")
	if !h.model.IsResource(typ) {
		return "", badRequest("the conditional reference %q does not name a resource type", ref)
	}
	ids, err := h.matchIDs(r, typ, query)
	if err != nil {
		return "", err
	}
	switch len(ids) {
	case 0:
		return "", outcome(http.StatusNotFound, "not-found", "the conditional reference %q matches no resource", ref)
	case 1:
		return typ + "/" + ids[0], nil
	}
	return "", outcome(http.StatusPreconditionFailed, "multiple-matches", "the conditional reference %q matches more than one resource", ref)
}

// rewriteReferences replaces references to other entries' fullUrls, and
// conditional references (Type?params) with what resolve gives.
func rewriteReferences(body []byte, refs map[string]string, resolve func(string) (string, error)) ([]byte, error) {
	if !bytes.Contains(body, []byte("urn:")) && !bytes.Contains(body, []byte("?")) && len(refs) == 0 {
		return body, nil
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber() // keep decimals as written
	if err := dec.Decode(&v); err != nil {
		return nil, badRequest("the resource is not valid JSON: %v", err)
	}
	changed := false
	var firstErr error
	var walk func(x any)
	walk = func(x any) {
		switch t := x.(type) {
		case map[string]any:
			for k, c := range t {
				if s, ok := c.(string); ok && k == "reference" {
					if to, ok := refs[s]; ok {
						t[k] = to
						changed = true
					} else if strings.Contains(s, "?") && !strings.Contains(s, "://") && resolve != nil {
						to, err := resolve(s)
						if err != nil && firstErr == nil {
							firstErr = err
						}
						t[k] = to
						changed = true
					}
					continue
				}
				walk(c)
			}
		case []any:
			for _, c := range t {
				walk(c)
			}
		}
	}
	walk(v)
	if firstErr != nil {
		return nil, firstErr
	}
	if !changed {
		return body, nil
	}
	return json.Marshal(v)
}
