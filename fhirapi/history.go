package fhirapi

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/fhirlake/fhirlake/engine"
	"github.com/fhirlake/fhirlake/search"
)

// history serves the instance (id set), type (typ set) and system history.
func (h *Handler) history(r *request, typ, id string) error {
	q := r.URL.Query()
	var opts engine.HistoryOptions
	for name := range q {
		switch name {
		case "_count", "_since", "_at", "_offset", "_snapshot", "_format":
		default:
			if strictHandling(r.Request) {
				return badRequest("unknown history parameter %q (supported: _count, _since, _at)", name)
			}
		}
	}
	if s := q.Get("_since"); s != "" {
		t, _, err := search.ParseDate(s)
		if err != nil {
			return badRequest("_since: %v", err)
		}
		opts.Since = t
	}
	if s := q.Get("_at"); s != "" {
		lo, hi, err := search.ParseDate(s)
		if err != nil {
			return badRequest("_at: %v", err)
		}
		opts.At, opts.AtEnd = lo, hi
	}
	if s := q.Get("_snapshot"); s != "" {
		t, err := search.ParseSnapshot(s)
		if err != nil {
			return badRequest("%v", err)
		}
		opts.Before = t
	} else {
		// the instant the tables are complete through: a write in flight
		// now is stamped after it, and on no page of this history
		at, err := r.store.SyncAt(r.ctx())
		if err != nil {
			return err
		}
		opts.Before = at
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
	// the other pages leave out what is written after this one
	page := func(offset int) string {
		return self + "?" + withParams(q, "_offset", strconv.Itoa(offset), "_snapshot", opts.Before.Format(time.RFC3339Nano))
	}
	if more {
		links = append(links, link{Relation: "next", URL: page(offset + count)})
	}
	if offset > 0 {
		links = append(links, link{Relation: "previous", URL: page(max(0, offset-count))})
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

func withParam(q url.Values, name, value string) string { return withParams(q, name, value) }

// withParams is q with parameters set, given as name, value pairs.
func withParams(q url.Values, nameValues ...string) string {
	c := url.Values{}
	for k, v := range q {
		c[k] = v
	}
	for i := 0; i+1 < len(nameValues); i += 2 {
		c.Set(nameValues[i], nameValues[i+1])
	}
	return c.Encode()
}

func writeJSON(r *request, status int, body []byte) {
	r.w.Header().Set("Content-Type", fhirJSON)
	r.w.WriteHeader(status)
	_, _ = r.w.Write(body)
}
