package fhirapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/fhirlake/fhirlake/engine"
	"github.com/fhirlake/fhirlake/fhirflat"
	"github.com/fhirlake/fhirlake/search"
)

// Outcome is an error answered as an OperationOutcome with an HTTP status.
type Outcome struct {
	Status int
	Issues []Issue
}

// Issue is one OperationOutcome issue.
type Issue struct {
	Severity    string   `json:"severity"`
	Code        string   `json:"code"`
	Diagnostics string   `json:"diagnostics,omitempty"`
	Expression  []string `json:"expression,omitempty"`
}

func (o *Outcome) Error() string {
	if len(o.Issues) == 0 {
		return http.StatusText(o.Status)
	}
	return o.Issues[0].Diagnostics
}

func outcome(status int, code, format string, args ...any) *Outcome {
	return &Outcome{Status: status, Issues: []Issue{{Severity: "error", Code: code, Diagnostics: fmt.Sprintf(format, args...)}}}
}

func badRequest(format string, args ...any) *Outcome {
	return outcome(http.StatusBadRequest, "invalid", format, args...)
}

func notSupported(format string, args ...any) *Outcome {
	return outcome(http.StatusBadRequest, "not-supported", format, args...)
}

// translate turns any error into the Outcome to answer: the one place where
// engine and validation errors become FHIR errors.
func translate(err error) *Outcome {
	var o *Outcome
	var ve *fhirflat.Error
	var nf *engine.NotFoundError
	var gone *engine.GoneError
	var vc *engine.VersionConflictError
	var backlog *engine.BacklogError
	var se *search.Error
	switch {
	case errors.As(err, &o):
		return o
	case errors.As(err, &se):
		return outcome(http.StatusBadRequest, "invalid", "%s", se.Msg)
	case errors.As(err, &ve):
		out := &Outcome{Status: http.StatusBadRequest}
		for _, is := range ve.Issues {
			issue := Issue{Severity: "error", Code: is.Code, Diagnostics: is.Message}
			if is.Path != "" {
				issue.Expression = []string{is.Path}
			}
			out.Issues = append(out.Issues, issue)
		}
		return out
	case errors.As(err, &nf):
		return outcome(http.StatusNotFound, "not-found", "%s", nf.Error())
	case errors.As(err, &gone):
		return outcome(http.StatusGone, "deleted", "%s", gone.Error())
	case errors.As(err, &vc):
		return outcome(http.StatusPreconditionFailed, "conflict", "%s", vc.Error())
	case errors.Is(err, engine.ErrNotFound):
		return outcome(http.StatusNotFound, "not-found", "%v", err)
	case errors.Is(err, engine.ErrStoreNotActive), errors.As(err, &backlog):
		return outcome(http.StatusServiceUnavailable, "transient", "%v", err)
	case errors.Is(err, engine.ErrClosed):
		return outcome(http.StatusServiceUnavailable, "transient", "the server is shutting down")
	}
	return outcome(http.StatusInternalServerError, "exception", "%v", err)
}

func (o *Outcome) json() []byte {
	b, _ := json.Marshal(map[string]any{"resourceType": "OperationOutcome", "issue": o.Issues})
	return b
}

// writeOutcome answers an error.
func writeOutcome(w http.ResponseWriter, o *Outcome) {
	w.Header().Set("Content-Type", fhirJSON)
	w.WriteHeader(o.Status)
	_, _ = w.Write(o.json())
}

// WriteAuthError answers an authentication failure on the FHIR API with an
// OperationOutcome (code security) naming AWS's error code.
func WriteAuthError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("X-Amzn-ErrorType", code)
	writeOutcome(w, outcome(status, "security", "%s: %s", code, message))
}
