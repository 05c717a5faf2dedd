package fhirapi

import (
	"net/http"
	"strings"

	"github.com/fhirlake/fhirlake/engine"
)

// patch applies a JSON Patch (application/json-patch+json) to the current
// version and stores the result as a new version.
func (h *Handler) patch(r *request, typ, id string) error {
	ct := r.Header.Get("Content-Type")
	if !strings.HasPrefix(ct, "application/json-patch+json") {
		return outcome(http.StatusUnsupportedMediaType, "not-supported",
			"patch takes a JSON Patch document (Content-Type application/json-patch+json), not %q; FHIRPath Patch is not supported", ct)
	}
	body, err := readBody(r)
	if err != nil {
		return err
	}
	cur, err := r.store.Read(r.ctx(), typ, id)
	if err != nil {
		return err
	}
	ifMatch := cur.VersionID
	if im := r.Header.Get("If-Match"); im != "" {
		v, ok := parseETag(im)
		if !ok {
			return badRequest("If-Match %q is not a version ETag such as W/\"3\"", im)
		}
		ifMatch = v
	}
	patched, err := applyJSONPatch(cur.JSON, body)
	if err != nil {
		return err
	}
	row, err := h.normalize(typ, "", patched)
	if err != nil {
		return err
	}
	if row.ID != id {
		return outcome(422, "processing", "the patch changes the resource id to %q", row.ID)
	}
	// The patch applies to the version read; a concurrent update fails it.
	return h.put(r, engine.Op{Kind: engine.Put, Type: typ, ID: id, Row: row, IfMatch: ifMatch})
}
