package auth

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestMiddlewareRestoresBodyAndRecordsKey(t *testing.T) {
	body := []byte(`{"resourceType":"Observation","status":"final"}`)
	r, _ := onServer(t, signed(t, "POST", "https://127.0.0.1:8443/datastore/abc/r4/Observation", body, testNow, nil))
	r.Body = io.NopCloser(bytes.NewReader(body))
	var gotBody []byte
	var gotKey string
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotBody, _ = io.ReadAll(r.Body)
		gotKey, _ = AccessKeyID(r.Context())
		w.WriteHeader(http.StatusCreated)
	})
	w := httptest.NewRecorder()
	testVerifier().Middleware(next, nil).ServeHTTP(w, r)
	if w.Code != http.StatusCreated || !bytes.Equal(gotBody, body) || gotKey != testCreds.AccessKeyID {
		t.Fatalf("status %d, handler body %q, key %q", w.Code, gotBody, gotKey)
	}
}

func TestMiddlewareWritesAWSJSONError(t *testing.T) {
	r := httptest.NewRequest("GET", "https://127.0.0.1:8443/datastore/abc/r4/Patient", nil)
	called := false
	next := http.HandlerFunc(func(http.ResponseWriter, *http.Request) { called = true })
	w := httptest.NewRecorder()
	testVerifier().Middleware(next, nil).ServeHTTP(w, r)
	var e struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil {
		t.Fatal(err)
	}
	if called || w.Code != http.StatusForbidden || w.Header().Get("X-Amzn-ErrorType") != CodeMissingAuthenticationToken ||
		w.Header().Get("Content-Type") != "application/x-amz-json-1.0" ||
		e.Type != CodeMissingAuthenticationToken || e.Message != "Missing Authentication Token" {
		t.Fatalf("called %v, status %d, headers %v, body %s", called, w.Code, w.Header(), w.Body)
	}
}

func TestMiddlewareCustomErrorAndBodyLimit(t *testing.T) {
	body := bytes.Repeat([]byte("x"), 2048)
	r, _ := onServer(t, signed(t, "POST", "https://h/x", body, testNow, nil))
	var got *Error
	onError := func(w http.ResponseWriter, _ *http.Request, e *Error) { got = e; w.WriteHeader(e.Status) }
	v := &Verifier{Keys: testCreds, Now: func() time.Time { return testNow }, MaxBodyBytes: 1024}
	next := http.HandlerFunc(func(http.ResponseWriter, *http.Request) { t.Fatal("next called") })

	// Declared length over the limit: refused before reading.
	r.Body = io.NopCloser(bytes.NewReader(body))
	w := httptest.NewRecorder()
	v.Middleware(next, onError).ServeHTTP(w, r)
	if got == nil || got.Code != CodeRequestEntityTooLarge || w.Code != http.StatusRequestEntityTooLarge ||
		got.Message != "Request body is larger than the limit of 1 KiB." {
		t.Fatalf("declared too large: %v, status %d", got, w.Code)
	}
	// Unknown length (chunked) over the limit: refused after reading 1 KiB + 1.
	got = nil
	r.ContentLength = -1
	r.Body = io.NopCloser(bytes.NewReader(body))
	v.Middleware(next, onError).ServeHTTP(httptest.NewRecorder(), r)
	if got == nil || got.Code != CodeRequestEntityTooLarge {
		t.Fatalf("streamed too large: %v", got)
	}
}

func TestWriteJSONEscapes(t *testing.T) {
	w := httptest.NewRecorder()
	WriteJSON(w, &Error{Code: CodeInvalidSignature, Message: "a \"quoted\"\nline", Status: 403})
	if !strings.Contains(w.Body.String(), `"message":"a \"quoted\"\nline"`) {
		t.Fatalf("body %s", w.Body)
	}
}

func BenchmarkMiddleware(b *testing.B) {
	body := []byte(`{"resourceType":"Patient","name":[{"family":"Smith","given":["John"]}],"gender":"male","birthDate":"1970-01-01"}`)
	req := signed(b, "POST", "https://127.0.0.1:8443/datastore/0123456789abcdef0123456789abcdef/r4/Patient", body, testNow,
		func(r *http.Request) { r.Header.Set("Content-Type", "application/fhir+json") })
	r, _ := onServer(b, req)
	h := testVerifier().Middleware(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}), nil)
	w := httptest.NewRecorder()
	b.ReportAllocs()
	for b.Loop() {
		r.Body = io.NopCloser(bytes.NewReader(body))
		h.ServeHTTP(w, r)
	}
	if w.Code != http.StatusOK {
		b.Fatal(w.Code, w.Body)
	}
}
