package fhirapi

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/fhirlake/fhirlake/engine"
)

// history serves the instance (id set), type (typ set) and system history.
func (h *Handler) history(r *request, typ, id string) error {
	q := r.URL.Query()
	var opts engine.HistoryOptions
	for name := range q {
		switch name {
		case "_count", "_since", "_at", "_offset", "_format":
		default:
			if strictHandling(r.Request) {
				return badRequest("unknown history parameter %q (supported: _count, _since, _at)", name)
			}
		}
	}
	if s := q.Get("_since"); s != "" {
		t, err := parseInstantParam(s)
		if err != nil {
			return badRequest("_since: %v", err)
		}
		opts.Since = t
	}
	if s := q.Get("_at"); s != "" {
		t, err := parseInstantParam(s)
		if err != nil {
			return badRequest("_at: %v", err)
		}
		opts.At = t
	}
	count := 100
	if s := q.Get("_count"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return badRequest("_count must be a whole number, not %q", s)
		}
		count = min(n, 1000)
	}
	offset := 0
	if s := q.Get("_offset"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return badRequest("_offset must be a whole number, not %q", s)
		}
		offset = n
	}
	opts.Count = offset + count + 1
	if id != "" {
		if _, err := r.store.Read(r.ctx(), typ, id); err != nil {
			var gone *engine.GoneError
			if !asError(err, &gone) {
				return err
			}
		}
	}
	list, err := r.store.History(r.ctx(), typ, id, opts)
	if err != nil {
		return err
	}
	more := len(list) > offset+count
	if offset < len(list) {
		list = list[offset:]
	} else {
		list = nil
	}
	if len(list) > count {
		list = list[:count]
	}
	self := r.base + "/" + historyPath(typ, id)
	links := []link{{Relation: "self", URL: self + "?" + r.URL.RawQuery}}
	if more {
		links = append(links, link{Relation: "next", URL: self + "?" + withParam(q, "_offset", strconv.Itoa(offset+count))})
	}
	if offset > 0 {
		links = append(links, link{Relation: "previous", URL: self + "?" + withParam(q, "_offset", strconv.Itoa(max(0, offset-count)))})
	}
	b := newBundle("history", -1, links)
	for _, res := range list {
		fullURL := fmt.Sprintf("%s/%s/%s", r.base, res.Type, res.ID)
		method, status := "PUT", "200"
		switch {
		case res.Deleted:
			method, status = "DELETE", "204"
		case res.VersionID == 1:
			method, status = "POST", "201"
		}
		reqURL := res.Type + "/" + res.ID
		if method == "POST" {
			reqURL = res.Type
		}
		var body []byte
		if !res.Deleted {
			body = res.JSON
		}
		b.entry(fullURL, body, map[string]any{
			"request":  map[string]string{"method": method, "url": reqURL},
			"response": map[string]string{"status": status, "etag": fmt.Sprintf(`W/"%d"`, res.VersionID), "lastModified": res.LastUpdated.UTC().Format(time.RFC3339Nano)},
		})
	}
	writeJSON(r, http.StatusOK, b.finish())
	return nil
}

func historyPath(typ, id string) string {
	switch {
	case id != "":
		return typ + "/" + id + "/_history"
	case typ != "":
		return typ + "/_history"
	}
	return "_history"
}

func withParam(q url.Values, name, value string) string {
	c := url.Values{}
	for k, v := range q {
		c[k] = v
	}
	c.Set(name, value)
	return c.Encode()
}

func writeJSON(r *request, status int, body []byte) {
	r.w.Header().Set("Content-Type", fhirJSON)
	r.w.WriteHeader(status)
	_, _ = r.w.Write(body)
}

// parseInstantParam reads a FHIR instant or date-time search value.
func parseInstantParam(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02", "2006-01", "2006"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a date or instant", s)
}
