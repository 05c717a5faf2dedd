package server

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// TestFHIRLimitAndSignature checks the FHIR API as served: the Bundle entry
// limit comes from the server's configuration (--max-bundle-entries), and
// a FHIR request without a valid SigV4 signature is refused before it
// reaches the data.
func TestFHIRLimitAndSignature(t *testing.T) {
	ts := startServer(t, Config{DefaultDatastore: true, MaxBundleEntries: 2})
	base := ts.Endpoint(ts.DefaultDatastoreID)
	bundle := func(n int) []byte {
		var entries []string
		for i := 0; i < n; i++ {
			entries = append(entries, fmt.Sprintf(`{"fullUrl":"urn:uuid:%d","resource":{"resourceType":"Patient","name":[{"family":"Limit%d"}]},"request":{"method":"POST","url":"Patient"}}`, i, i))
		}
		return []byte(`{"resourceType":"Bundle","type":"transaction","entry":[` + strings.Join(entries, ",") + `]}`)
	}
	h := http.Header{"Content-Type": {"application/fhir+json"}}
	if resp, body := ts.do("POST", base, bundle(2), h); resp.StatusCode != 200 {
		t.Fatalf("a transaction of 2 entries: %d %s", resp.StatusCode, body)
	}
	resp, body := ts.do("POST", base, bundle(3), h)
	if resp.StatusCode != http.StatusRequestEntityTooLarge || !bytes.Contains(body, []byte("at most 2")) {
		t.Fatalf("a transaction of 3 entries with a limit of 2: %d %s", resp.StatusCode, body)
	}
	if resp, body := ts.do("GET", base+"Patient?family=Limit2", nil, nil); resp.StatusCode != 200 || !bytes.Contains(body, []byte(`"total":0`)) {
		t.Fatalf("the refused transaction stored something: %d %s", resp.StatusCode, body)
	}

	unsigned, err := http.NewRequest("GET", base+"Patient?family=Limit0", nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := ts.http.Do(unsigned)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusForbidden {
		t.Fatalf("an unsigned FHIR search: %d, want 403", res.StatusCode)
	}
	forged, _ := http.NewRequest("GET", base+"Patient?family=Limit0", nil)
	ts.sign(forged, nil)
	forged.URL.RawQuery = "family=Limit1" // signed for another query
	if res, err = ts.http.Do(forged); err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusForbidden {
		t.Fatalf("a FHIR search changed after signing: %d, want 403", res.StatusCode)
	}
}
