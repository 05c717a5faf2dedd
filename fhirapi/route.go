package fhirapi

import (
	"net/http"
	"strings"
)

// route dispatches a request by method and path (after /r4/).
func (h *Handler) route(r *request) error {
	p := r.parts
	m := r.Method
	switch {
	case len(p) == 0:
		if m == http.MethodPost {
			return h.bundle(r)
		}
		return notAllowed(r, "POST (batch or transaction)")
	case p[0] == "metadata":
		if m == http.MethodGet && len(p) == 1 {
			return h.capabilities(r)
		}
		return notAllowed(r, "GET")
	case p[0] == "_history" && len(p) == 1:
		if m == http.MethodGet {
			return h.history(r, "", "")
		}
		return notAllowed(r, "GET")
	}
	typ := p[0]
	if typ == viewType {
		return h.viewDefinition(r)
	}
	if !h.model.IsResource(typ) {
		return outcome(http.StatusNotFound, "not-supported", "%q is not an R4 resource type", typ)
	}
	switch len(p) {
	case 1:
		switch m {
		case http.MethodGet:
			return h.search(r, typ)
		case http.MethodPost:
			return h.create(r, typ)
		case http.MethodPut:
			return h.conditionalUpdate(r, typ)
		case http.MethodDelete:
			return h.conditionalDelete(r, typ)
		}
		return notAllowed(r, "GET, POST, PUT, DELETE")
	case 2:
		switch {
		case p[1] == "_search":
			if m == http.MethodPost {
				return h.search(r, typ)
			}
			return notAllowed(r, "POST")
		case p[1] == "_history":
			if m == http.MethodGet {
				return h.history(r, typ, "")
			}
			return notAllowed(r, "GET")
		case strings.HasPrefix(p[1], "$"):
			return h.typeOperation(r, typ, p[1])
		}
		id := p[1]
		if !validID(id) {
			return badRequest("%q is not a valid resource id (1-64 characters of A-Z a-z 0-9 - .)", id)
		}
		switch m {
		case http.MethodGet:
			return h.read(r, typ, id)
		case http.MethodPut:
			return h.update(r, typ, id)
		case http.MethodDelete:
			return h.delete(r, typ, id)
		case http.MethodPatch:
			return h.patch(r, typ, id)
		}
		return notAllowed(r, "GET, PUT, PATCH, DELETE")
	case 3:
		id := p[1]
		if !validID(id) {
			return badRequest("%q is not a valid resource id", id)
		}
		switch {
		case p[2] == "_history":
			if m == http.MethodGet {
				return h.history(r, typ, id)
			}
			return notAllowed(r, "GET")
		case strings.HasPrefix(p[2], "$"):
			return h.instanceOperation(r, typ, id, p[2])
		case h.model.IsResource(p[2]):
			if m == http.MethodGet {
				return h.compartmentSearch(r, typ, id, p[2])
			}
			return notAllowed(r, "GET")
		}
	case 4:
		if p[2] == "_history" {
			if m == http.MethodGet {
				return h.vread(r, typ, p[1], p[3])
			}
			return notAllowed(r, "GET")
		}
	}
	return outcome(http.StatusNotFound, "not-found", "no FHIR interaction at %s", r.URL.Path)
}

func notAllowed(r *request, allowed string) error {
	r.w.Header().Set("Allow", allowed)
	return outcome(http.StatusMethodNotAllowed, "not-supported", "%s is not allowed here; allowed: %s", r.Method, allowed)
}

func validID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}
