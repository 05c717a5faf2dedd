package control

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/fhirlake/fhirlake/engine"
)

// Error is an AWS JSON protocol error: its type name (the __type the SDKs
// read) and message.
type Error struct {
	Type    string
	Message string
	Status  int
}

func (e *Error) Error() string { return e.Type + ": " + e.Message }

func validation(format string, args ...any) *Error {
	return &Error{Type: "ValidationException", Message: fmt.Sprintf(format, args...), Status: http.StatusBadRequest}
}

func notFound(format string, args ...any) *Error {
	return &Error{Type: "ResourceNotFoundException", Message: fmt.Sprintf(format, args...), Status: http.StatusBadRequest}
}

func conflict(format string, args ...any) *Error {
	return &Error{Type: "ConflictException", Message: fmt.Sprintf(format, args...), Status: http.StatusBadRequest}
}

func accessDenied(format string, args ...any) *Error {
	return &Error{Type: "AccessDeniedException", Message: fmt.Sprintf(format, args...), Status: http.StatusForbidden}
}

func throttled(format string, args ...any) *Error {
	return &Error{Type: "ThrottlingException", Message: fmt.Sprintf(format, args...), Status: http.StatusBadRequest}
}

func internal(format string, args ...any) *Error {
	return &Error{Type: "InternalServerException", Message: fmt.Sprintf(format, args...), Status: http.StatusInternalServerError}
}

// translate turns an engine error into the AWS error to send: the one place
// engine errors become control-plane errors.
func translate(err error) *Error {
	var ae *Error
	var se *engine.StateError
	var je *engine.JobRequestError
	switch {
	case errors.As(err, &ae):
		return ae
	case errors.As(err, &je):
		return validation("%s", je.Msg)
	case errors.Is(err, engine.ErrNotFound):
		return notFound("%v", err)
	case errors.As(err, &se):
		return conflict("Datastore %s is in %s state", se.ID, se.Status)
	case errors.Is(err, engine.ErrStoreNotActive):
		return conflict("%v", err)
	}
	return internal("%v", err)
}

// WriteError writes an AWS JSON error response.
func WriteError(w http.ResponseWriter, e *Error) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.Header().Set("X-Amzn-ErrorType", e.Type)
	w.WriteHeader(e.Status)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": e.Type, "message": e.Message})
}
