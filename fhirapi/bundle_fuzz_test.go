package fhirapi

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"
)

// FuzzBundle posts arbitrary batch and transaction Bundles. Whatever the
// input, the answer is a 200 with a response Bundle of one entry per
// request entry, or a 4xx OperationOutcome that names the problem, never
// a server error; and a refused transaction stores nothing.
func FuzzBundle(f *testing.F) {
	for _, seed := range []string{
		`{"resourceType":"Bundle","type":"transaction","entry":[{"fullUrl":"urn:uuid:1","resource":{"resourceType":"Patient","name":[{"family":"F"}]},"request":{"method":"POST","url":"Patient"}},{"resource":{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"urn:uuid:1"}},"request":{"method":"POST","url":"Observation"}}]}`,
		`{"resourceType":"Bundle","type":"batch","entry":[{"request":{"method":"GET","url":"Patient?family=F"}},{"request":{"method":"DELETE","url":"Patient/nope"}}]}`,
		`{"resourceType":"Bundle","type":"transaction","entry":[{"resource":{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"Patient?family=F"}},"request":{"method":"PUT","url":"Observation/o1"}}]}`,
		`{"resourceType":"Bundle","type":"transaction","entry":[{"resource":{"resourceType":"Patient","birthDate":"1999-13-40"},"request":{"method":"POST","url":"Patient"}}]}`,
		`{"resourceType":"Bundle","type":"transaction","entry":[{"request":{"method":"PATCH","url":"Patient/x"},"resource":{"resourceType":"Binary","contentType":"application/json-patch+json","data":"W10="}}]}`,
		`{"resourceType":"Bundle","type":"collection","entry":[]}`,
		`{"resourceType":"Bundle","type":"transaction","entry":[{"request":{"method":"POST","url":"Patient","ifNoneExist":"family=F"},"resource":{"resourceType":"Patient"}}]}`,
		`{"resourceType":"Bundle","type":"transaction","entry":[{}]}`,
		`{"resourceType":"Patient"}`,
		`{"resourceType":"Bundle","type":"batch","entry":"x"}`,
		`[1,2]`,
		``,
	} {
		f.Add(seed)
	}
	a := newTestAPI(f)
	client := &http.Client{Timeout: 20 * time.Second} // a hang fails with its input
	// since counts the versions stored at or after a time (system history)
	since := func(t testing.TB, at time.Time) int {
		t.Helper()
		resp, err := client.Get(a.base + "_history?_count=5&_since=" + url.QueryEscape(at.UTC().Format(time.RFC3339Nano)))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b struct{ Entry []json.RawMessage }
		if err := json.NewDecoder(resp.Body).Decode(&b); err != nil {
			t.Fatal(err)
		}
		return len(b.Entry)
	}
	before := time.Now()
	if r := a.do("POST", "Patient", `{"resourceType":"Patient"}`); r.status != 201 {
		f.Fatalf("create: %d %s", r.status, r.body)
	}
	if n := since(f, before); n != 1 {
		f.Fatalf("system history since before a create holds %d versions", n)
	}
	if n := since(f, time.Now()); n != 0 {
		f.Fatalf("system history since now holds %d versions", n)
	}
	f.Fuzz(func(t *testing.T, body string) {
		var req struct {
			Type  string
			Entry []json.RawMessage
		}
		isTransaction := json.Unmarshal([]byte(body), &req) == nil && req.Type == "transaction"
		start := time.Now()
		resp, err := client.Post(a.base, "application/fhir+json", bytes.NewReader([]byte(body)))
		if err != nil {
			t.Fatal(err)
		}
		out, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var got struct {
			ResourceType string
			Type         string
			Entry        []json.RawMessage
		}
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("%d, not JSON: %s", resp.StatusCode, out)
		}
		switch {
		case resp.StatusCode >= 500:
			t.Fatalf("server error %d for %q: %s", resp.StatusCode, body, out)
		case resp.StatusCode >= 400:
			if got.ResourceType != "OperationOutcome" {
				t.Fatalf("%d without an OperationOutcome: %s", resp.StatusCode, out)
			}
			if isTransaction && since(t, start) != 0 {
				t.Fatalf("a refused transaction stored something: %q", body)
			}
		case resp.StatusCode == 200:
			if got.ResourceType != "Bundle" || len(got.Entry) != len(req.Entry) || (got.Type != "transaction-response" && got.Type != "batch-response") {
				t.Fatalf("200 with %s %s of %d entries for %d: %s", got.ResourceType, got.Type, len(got.Entry), len(req.Entry), out)
			}
		default:
			t.Fatalf("status %d: %s", resp.StatusCode, out)
		}
	})
}
