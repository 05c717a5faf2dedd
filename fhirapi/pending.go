package fhirapi

import (
	"errors"
	"net/http"
	"strings"
)

// Interactions not built yet answer not-supported.

func (h *Handler) search(r *request, typ string) error {
	return notSupported("search is not implemented yet")
}

func (h *Handler) compartmentSearch(r *request, typ, id, target string) error {
	return notSupported("compartment search is not implemented yet")
}

func (h *Handler) conditionalCreate(r *request, typ, cond string, body []byte) error {
	return notSupported("conditional create (If-None-Exist) is not implemented yet")
}

func (h *Handler) conditionalUpdate(r *request, typ string) error {
	return notSupported("conditional update is not implemented yet")
}

func (h *Handler) conditionalDelete(r *request, typ string) error {
	return notSupported("conditional delete is not implemented yet")
}

func (h *Handler) patch(r *request, typ, id string) error {
	return notSupported("patch is not implemented yet")
}

func (h *Handler) bundle(r *request) error {
	return notSupported("batch and transaction Bundles are not implemented yet")
}

func (h *Handler) typeOperation(r *request, typ, op string) error {
	return notSupported("operation %s is not supported on %s", op, typ)
}

func (h *Handler) instanceOperation(r *request, typ, id, op string) error {
	return notSupported("operation %s is not supported on %s/%s", op, typ, id)
}

// strictHandling reports Prefer: handling=strict.
func strictHandling(r *http.Request) bool {
	for _, v := range r.Header.Values("Prefer") {
		if strings.Contains(v, "handling=strict") {
			return true
		}
	}
	return false
}

func asError(err error, target any) bool { return errors.As(err, target) }
