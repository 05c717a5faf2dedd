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

func (h *Handler) everything(r *request, id string) error {
	return notSupported("Patient/$everything is not implemented yet")
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

// matchIDs runs a conditional URL's search (Type?params) and returns the
// ids it matches.
func (h *Handler) matchIDs(r *request, typ, query string) ([]string, error) {
	return nil, notSupported("conditional references and interactions need search, which is not implemented yet")
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
