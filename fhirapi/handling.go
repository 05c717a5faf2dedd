package fhirapi

import (
	"errors"
	"net/http"
	"strings"
)

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
