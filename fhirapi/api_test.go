package fhirapi

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/fhirlake/fhirlake/engine"
)

// testAPI is the FHIR API of one empty data store, served in-process.
type testAPI struct {
	t    testing.TB
	eng  *engine.Engine
	srv  *httptest.Server
	base string
	ds   string
}

func newTestAPI(t testing.TB) *testAPI {
	t.Helper()
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	eng, err := engine.Open(ctx, engine.Config{Dir: t.TempDir(), Logger: log, Store: engine.StoreOptions{MergeInterval: 200 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	d, err := eng.CreateDatastore(ctx, engine.CreateRequest{Name: "test", TypeVersion: "R4"})
	if err != nil {
		t.Fatal(err)
	}
	if d, err = eng.WaitActive(ctx, d.ID); err != nil || d.Status != engine.Active {
		t.Fatalf("data store: %+v %v", d, err)
	}
	a := &testAPI{t: t, eng: eng, ds: d.ID}
	var h *Handler
	a.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	h = NewHandler(Config{Engine: eng, Logger: log, MaxBundleEntries: 50, BaseURL: func(*http.Request) string { return a.srv.URL }})
	a.base = a.srv.URL + Prefix + d.ID + "/r4/"
	t.Cleanup(func() {
		a.srv.Close()
		eng.Close()
	})
	return a
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("response is not JSON (%d): %s", r.status, r.body)
	}
	return m
}

// issue returns the first OperationOutcome issue's code and diagnostics.
func (r response) issue(t *testing.T) (code, diagnostics string) {
	m := r.json(t)
	if m["resourceType"] != "OperationOutcome" {
		t.Fatalf("not an OperationOutcome: %s", r.body)
	}
	is := m["issue"].([]any)[0].(map[string]any)
	d, _ := is["diagnostics"].(string)
	return is["code"].(string), d
}

func (a *testAPI) do(method, path, body string, header ...string) response {
	a.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, a.base+path, rd)
	if err != nil {
		a.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/fhir+json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{resp.StatusCode, resp.Header, b}
}

func TestCreateReadUpdateDelete(t *testing.T) {
	a := newTestAPI(t)
	r := a.do("POST", "Patient", `{"resourceType":"Patient","id":"ignored","name":[{"family":"Smith"}],"birthDate":"1980-02"}`)
	if r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	p := r.json(t)
	id := p["id"].(string)
	if id == "ignored" || len(id) != 36 {
		t.Errorf("create kept or made a bad id: %q", id)
	}
	if loc := r.header.Get("Location"); !strings.HasSuffix(loc, "/Patient/"+id+"/_history/1") {
		t.Errorf("Location = %q", loc)
	}
	if r.header.Get("ETag") != `W/"1"` || r.header.Get("Last-Modified") == "" {
		t.Errorf("ETag %q Last-Modified %q", r.header.Get("ETag"), r.header.Get("Last-Modified"))
	}
	r = a.do("GET", "Patient/"+id, "")
	if r.status != 200 || r.json(t)["birthDate"] != "1980-02" {
		t.Fatalf("read: %d %s", r.status, r.body)
	}
	if r2 := a.do("GET", "Patient/"+id, "", "If-None-Match", `W/"1"`); r2.status != 304 {
		t.Errorf("conditional read: %d", r2.status)
	}
	// update with the right and a stale version
	upd := `{"resourceType":"Patient","id":"` + id + `","name":[{"family":"Jones"}]}`
	if r = a.do("PUT", "Patient/"+id, upd, "If-Match", `W/"1"`); r.status != 200 || r.header.Get("ETag") != `W/"2"` {
		t.Fatalf("update: %d %s", r.status, r.body)
	}
	if r = a.do("PUT", "Patient/"+id, upd, "If-Match", `W/"1"`); r.status != 412 {
		t.Fatalf("stale If-Match: %d %s", r.status, r.body)
	}
	if r = a.do("PUT", "Patient/"+id, `{"resourceType":"Patient","id":"other"}`); r.status != 400 {
		t.Errorf("id mismatch: %d", r.status)
	}
	// create on update with a client id
	if r = a.do("PUT", "Patient/client-1", `{"resourceType":"Patient","id":"client-1","active":true}`); r.status != 201 {
		t.Errorf("create on update: %d %s", r.status, r.body)
	}
	// vread
	r = a.do("GET", "Patient/"+id+"/_history/1", "")
	if r.status != 200 || !strings.Contains(string(r.body), "Smith") {
		t.Errorf("vread 1: %d %s", r.status, r.body)
	}
	if r = a.do("GET", "Patient/"+id+"/_history/9", ""); r.status != 404 {
		t.Errorf("vread 9: %d", r.status)
	}
	// Prefer
	if r = a.do("PUT", "Patient/"+id, upd, "Prefer", "return=minimal"); r.status != 200 || len(r.body) != 0 {
		t.Errorf("return=minimal: %d %q", r.status, r.body)
	}
	if r = a.do("PUT", "Patient/"+id, upd, "Prefer", "return=OperationOutcome"); r.json(t)["resourceType"] != "OperationOutcome" {
		t.Errorf("return=OperationOutcome: %s", r.body)
	}
	// delete, then read is 410 and history shows it
	if r = a.do("DELETE", "Patient/"+id, ""); r.status != 200 {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	if r = a.do("GET", "Patient/"+id, ""); r.status != 410 {
		t.Errorf("read deleted: %d %s", r.status, r.body)
	}
	r = a.do("GET", "Patient/"+id+"/_history", "")
	h := r.json(t)
	entries := h["entry"].([]any)
	if h["type"] != "history" || len(entries) != 5 {
		t.Fatalf("history: %s", r.body)
	}
	first := entries[0].(map[string]any)
	if first["request"].(map[string]any)["method"] != "DELETE" || first["resource"] != nil {
		t.Errorf("newest history entry: %v", first)
	}
	if r = a.do("GET", "Patient/"+id+"/_history?_count=2", ""); len(r.json(t)["entry"].([]any)) != 2 || !strings.Contains(string(r.body), `"next"`) {
		t.Errorf("history paging: %s", r.body)
	}
	if r = a.do("GET", "Patient/nobody", ""); r.status != 404 {
		t.Errorf("read missing: %d", r.status)
	}
}

func TestBadRequests(t *testing.T) {
	a := newTestAPI(t)
	cases := []struct {
		method, path, body string
		header             []string
		status             int
		code, want         string
	}{
		{"GET", "Patient/x", "", []string{"Accept", "application/fhir+xml"}, 406, "not-supported", "only FHIR JSON"},
		{"GET", "Frobnicator/x", "", nil, 404, "not-supported", `"Frobnicator" is not an R4 resource type`},
		{"POST", "Patient", `{"resourceType":"Patient","birthDate":"1980-13-01"}`, nil, 400, "value", "is not a date"},
		{"POST", "Patient", `{"resourceType":"Patient","shoeSize":42}`, nil, 400, "structure", `unknown element "shoeSize"`},
		{"POST", "Patient", `{"resourceType":"Observation","status":"final","code":{"text":"x"}}`, nil, 400, "invalid", "does not match"},
		{"POST", "Observation", `{"resourceType":"Observation","code":{"text":"x"}}`, nil, 400, "required", "status is required"},
		{"POST", "Patient", `{"resourceType":"Patient",`, nil, 400, "structure", "invalid JSON"},
		{"POST", "Patient", `{"resourceType":"Patient","gender":"robot"}`, nil, 400, "code-invalid", `"robot" is not one of the codes`},
		{"PATCH", "Patient/x", `[]`, nil, 415, "not-supported", "JSON Patch"},
		{"DELETE", "", "", nil, 405, "not-supported", "not allowed"},
		{"GET", "Patient/bad*id", "", nil, 400, "invalid", "not a valid resource id"},
		{"POST", "Patient", `<Patient/>`, []string{"Content-Type", "application/fhir+xml"}, 415, "not-supported", "FHIR JSON"},
	}
	for _, c := range cases {
		r := a.do(c.method, c.path, c.body, c.header...)
		if r.status != c.status {
			t.Errorf("%s %s: status %d, want %d (%s)", c.method, c.path, r.status, c.status, r.body)
			continue
		}
		code, diag := r.issue(t)
		if code != c.code || !strings.Contains(diag, c.want) {
			t.Errorf("%s %s %.40s: issue %s %q, want %s %q", c.method, c.path, c.body, code, diag, c.code, c.want)
		}
	}
	// the invalid date is reported at its FHIRPath
	r := a.do("POST", "Patient", `{"resourceType":"Patient","name":[{"given":["a","b"]},{"given":["c",""]}]}`)
	m := r.json(t)
	expr := m["issue"].([]any)[0].(map[string]any)["expression"].([]any)[0]
	if expr != "Patient.name[1].given[1]" {
		t.Errorf("expression = %v", expr)
	}
}

func TestPatchAndValidate(t *testing.T) {
	a := newTestAPI(t)
	a.do("PUT", "Patient/p", `{"resourceType":"Patient","id":"p","active":true,"name":[{"family":"A","given":["x"]}]}`)
	patch := `[{"op":"replace","path":"/active","value":false},{"op":"add","path":"/name/0/given/-","value":"y"},{"op":"test","path":"/name/0/family","value":"A"}]`
	r := a.do("PATCH", "Patient/p", patch, "Content-Type", "application/json-patch+json")
	if r.status != 200 {
		t.Fatalf("patch: %d %s", r.status, r.body)
	}
	m := r.json(t)
	if m["active"] != false || len(m["name"].([]any)[0].(map[string]any)["given"].([]any)) != 2 {
		t.Errorf("patched: %s", r.body)
	}
	bad := `[{"op":"test","path":"/active","value":true}]`
	if r = a.do("PATCH", "Patient/p", bad, "Content-Type", "application/json-patch+json"); r.status != 422 {
		t.Errorf("failed test op: %d %s", r.status, r.body)
	}
	if r = a.do("PATCH", "Patient/p", `[{"op":"add","path":"/birthDate","value":"soon"}]`, "Content-Type", "application/json-patch+json"); r.status != 400 {
		t.Errorf("patch to an invalid resource: %d %s", r.status, r.body)
	}
	r = a.do("POST", "Patient/$validate", `{"resourceType":"Patient","birthDate":"1999-02-30"}`)
	if code, d := r.issue(t); r.status != 200 || code != "value" || !strings.Contains(d, "1999-02-30") {
		t.Errorf("$validate invalid: %d %s", r.status, r.body)
	}
	r = a.do("POST", "Patient/$validate", `{"resourceType":"Parameters","parameter":[{"name":"resource","resource":{"resourceType":"Patient","active":true}}]}`)
	if code, _ := r.issue(t); code != "informational" {
		t.Errorf("$validate valid: %s", r.body)
	}
	// _summary and _elements
	r = a.do("GET", "Patient/p?_elements=active", "")
	m = r.json(t)
	if m["active"] != false || m["name"] != nil || !strings.Contains(string(r.body), "SUBSETTED") {
		t.Errorf("_elements: %s", r.body)
	}
}

func TestTransactionAndBatch(t *testing.T) {
	a := newTestAPI(t)
	tx := `{"resourceType":"Bundle","type":"transaction","entry":[
	 {"fullUrl":"urn:uuid:11111111-1111-1111-1111-111111111111","resource":{"resourceType":"Patient","name":[{"family":"Tx"}]},"request":{"method":"POST","url":"Patient"}},
	 {"fullUrl":"urn:uuid:22222222-2222-2222-2222-222222222222","resource":{"resourceType":"Observation","status":"final","code":{"text":"hr"},"subject":{"reference":"urn:uuid:11111111-1111-1111-1111-111111111111"}},"request":{"method":"POST","url":"Observation"}},
	 {"resource":{"resourceType":"Patient","id":"fixed","active":true},"request":{"method":"PUT","url":"Patient/fixed"}}]}`
	r := a.do("POST", "", tx)
	if r.status != 200 {
		t.Fatalf("transaction: %d %s", r.status, r.body)
	}
	m := r.json(t)
	entries := m["entry"].([]any)
	if m["type"] != "transaction-response" || len(entries) != 3 {
		t.Fatalf("response: %s", r.body)
	}
	loc := entries[1].(map[string]any)["response"].(map[string]any)["location"].(string)
	obsID := strings.Split(loc, "/")[1]
	patLoc := entries[0].(map[string]any)["response"].(map[string]any)["location"].(string)
	patID := strings.Split(patLoc, "/")[1]
	obs := a.do("GET", "Observation/"+obsID, "").json(t)
	if ref := obs["subject"].(map[string]any)["reference"]; ref != "Patient/"+patID {
		t.Errorf("urn:uuid reference became %v, want Patient/%s", ref, patID)
	}
	// a failing entry rolls back the whole transaction
	bad := `{"resourceType":"Bundle","type":"transaction","entry":[
	 {"resource":{"resourceType":"Patient","id":"rollback","active":true},"request":{"method":"PUT","url":"Patient/rollback"}},
	 {"resource":{"resourceType":"Patient","birthDate":"never"},"request":{"method":"POST","url":"Patient"}}]}`
	r = a.do("POST", "", bad)
	if code, d := r.issue(t); r.status != 400 || code != "value" || !strings.Contains(d, "Bundle.entry[1]") {
		t.Errorf("bad transaction: %d %s", r.status, r.body)
	}
	if r = a.do("GET", "Patient/rollback", ""); r.status != 404 {
		t.Errorf("entry of a failed transaction was stored: %d", r.status)
	}
	// two entries writing one resource fail the transaction
	dup := `{"resourceType":"Bundle","type":"transaction","entry":[
	 {"resource":{"resourceType":"Patient","id":"twice","active":true},"request":{"method":"PUT","url":"Patient/twice"}},
	 {"resource":{"resourceType":"Patient","name":[{"family":"Other"}]},"request":{"method":"POST","url":"Patient"}},
	 {"resource":{"resourceType":"Patient","id":"twice","active":false},"request":{"method":"PUT","url":"Patient/twice"}}]}`
	r = a.do("POST", "", dup)
	if code, d := r.issue(t); r.status != 400 || code != "invalid" || !strings.Contains(d, "Bundle.entry[2]: Patient/twice is also written by Bundle.entry[0]") {
		t.Errorf("a transaction writing a resource twice: %d %s", r.status, r.body)
	}
	if r = a.do("GET", "Patient/twice", ""); r.status != 404 {
		t.Errorf("entry of a refused transaction was stored: %d", r.status)
	}
	// a batch keeps going past a failing entry
	batch := `{"resourceType":"Bundle","type":"batch","entry":[
	 {"resource":{"resourceType":"Patient","id":"b1","active":true},"request":{"method":"PUT","url":"Patient/b1"}},
	 {"resource":{"resourceType":"Patient","birthDate":"never"},"request":{"method":"POST","url":"Patient"}},
	 {"request":{"method":"GET","url":"Patient/b1"}},
	 {"request":{"method":"DELETE","url":"Patient/fixed"}}]}`
	r = a.do("POST", "", batch)
	entries = r.json(t)["entry"].([]any)
	statuses := []string{}
	for _, e := range entries {
		statuses = append(statuses, e.(map[string]any)["response"].(map[string]any)["status"].(string))
	}
	if strings.Join(statuses, "|") != "201 Created|400 Bad Request|200 OK|204 No Content" {
		t.Errorf("batch statuses %v: %s", statuses, r.body)
	}
	if r = a.do("GET", "Patient/fixed", ""); r.status != 410 {
		t.Errorf("deleted by batch: %d", r.status)
	}
	// the entry limit
	var many []string
	for i := 0; i < 51; i++ {
		many = append(many, `{"request":{"method":"GET","url":"Patient/b1"}}`)
	}
	if r = a.do("POST", "", `{"resourceType":"Bundle","type":"batch","entry":[`+strings.Join(many, ",")+`]}`); r.status != 413 {
		t.Errorf("51 entries over a limit of 50: %d", r.status)
	}
}

func TestCapabilityStatement(t *testing.T) {
	a := newTestAPI(t)
	r := a.do("GET", "metadata", "")
	m := r.json(t)
	if r.status != 200 || m["resourceType"] != "CapabilityStatement" || m["fhirVersion"] != "4.0.1" {
		t.Fatalf("metadata: %d %.300s", r.status, r.body)
	}
	var obs map[string]any
	for _, res := range m["rest"].([]any)[0].(map[string]any)["resource"].([]any) {
		if res.(map[string]any)["type"] == "Observation" {
			obs = res.(map[string]any)
		}
	}
	names := map[string]bool{}
	for _, p := range obs["searchParam"].([]any) {
		names[p.(map[string]any)["name"].(string)] = true
	}
	for _, want := range []string{"code", "patient", "date", "value-quantity", "component-code-value-quantity", "_id", "_lastUpdated"} {
		if !names[want] {
			t.Errorf("Observation search parameter %s not listed", want)
		}
	}
}
