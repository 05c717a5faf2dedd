package auth

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strconv"
)

// Middleware returns a handler that reads the request body (at most
// MaxBodyBytes), verifies the request, and on success calls next with the
// body restored and the signing access key ID in the context (see
// AccessKeyID). On failure it calls onError, or writes the AWS JSON error
// when onError is nil, and next is not called.
func (v *Verifier) Middleware(next http.Handler, onError func(http.ResponseWriter, *http.Request, *Error)) http.Handler {
	if onError == nil {
		onError = func(w http.ResponseWriter, _ *http.Request, e *Error) { WriteJSON(w, e) }
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, e := v.readBody(r)
		if e != nil {
			onError(w, r, e)
			return
		}
		id, e := v.check(r, body)
		if e != nil {
			onError(w, r, e)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), keyIDContext{}, id)))
	})
}

func (v *Verifier) readBody(r *http.Request) ([]byte, *Error) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	max := v.MaxBodyBytes
	if max <= 0 {
		max = DefaultMaxBodyBytes
	}
	tooLarge := &Error{Code: CodeRequestEntityTooLarge, Status: http.StatusRequestEntityTooLarge,
		Message: "Request body is larger than the limit of " + formatBytes(max) + "."}
	if r.ContentLength > max {
		return nil, tooLarge
	}
	var buf bytes.Buffer
	if r.ContentLength > 0 {
		buf.Grow(int(r.ContentLength))
	}
	n, err := buf.ReadFrom(io.LimitReader(r.Body, max+1))
	if err != nil {
		return nil, &Error{Code: CodeValidation, Status: http.StatusBadRequest, Message: "Could not read the request body: " + err.Error()}
	}
	if n > max {
		return nil, tooLarge
	}
	return buf.Bytes(), nil
}

func formatBytes(n int64) string {
	switch {
	case n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + " MiB"
	case n%(1<<10) == 0:
		return strconv.FormatInt(n>>10, 10) + " KiB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

type keyIDContext struct{}

// AccessKeyID returns the access key ID that signed the request whose
// context ctx is, as recorded by Middleware.
func AccessKeyID(ctx context.Context) (string, bool) {
	id, ok := ctx.Value(keyIDContext{}).(string)
	return id, ok
}
