package fhirapi

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"
)

// TestConcurrentVersionedUpdates has many clients update one resource over
// HTTP, each reading it and writing with If-Match on the version it read
// (optimistic locking, as FHIR clients do), with Prefer:
// return=representation. Every update either wins, getting the next
// version and seeing its own change in the body, or loses with 412; no
// two clients win the same version, and the history holds exactly one
// version per win.
func TestConcurrentVersionedUpdates(t *testing.T) {
	a := newTestAPI(t)
	if r := a.do("PUT", "Patient/race", `{"resourceType":"Patient","id":"race","name":[{"family":"v0"}]}`); r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	const clients, tries = 8, 10
	var mu sync.Mutex
	wonVersion := map[string]string{} // version -> client/try that made it
	var wg sync.WaitGroup
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			for i := 0; i < tries; i++ {
				cur := a.do("GET", "Patient/race", "")
				etag := cur.header.Get("ETag")
				family := fmt.Sprintf("c%d-%d", c, i)
				r := a.do("PUT", "Patient/race", `{"resourceType":"Patient","id":"race","name":[{"family":"`+family+`"}]}`,
					"If-Match", etag, "Prefer", "return=representation")
				switch r.status {
				case 200:
					var p struct {
						Meta struct{ VersionID string }
						Name []struct{ Family string }
					}
					if err := json.Unmarshal(r.body, &p); err != nil || len(p.Name) != 1 || p.Name[0].Family != family {
						t.Errorf("a won update returned %s", r.body)
						return
					}
					if `W/"`+p.Meta.VersionID+`"` != r.header.Get("ETag") {
						t.Errorf("ETag %s for version %s", r.header.Get("ETag"), p.Meta.VersionID)
					}
					mu.Lock()
					if other, dup := wonVersion[p.Meta.VersionID]; dup {
						t.Errorf("version %s won twice: %s and %s", p.Meta.VersionID, other, family)
					}
					wonVersion[p.Meta.VersionID] = family
					mu.Unlock()
				case 412:
				default:
					t.Errorf("update: %d %s", r.status, r.body)
					return
				}
			}
		}(c)
	}
	wg.Wait()
	if len(wonVersion) == 0 {
		t.Fatal("no update won")
	}
	h := a.do("GET", "Patient/race/_history?_count=1000", "").json(t)
	entries, _ := h["entry"].([]any)
	if len(entries) != len(wonVersion)+1 {
		t.Fatalf("history holds %d versions for %d won updates and the create", len(entries), len(wonVersion))
	}
	for _, e := range entries {
		res := e.(map[string]any)["resource"].(map[string]any)
		v := res["meta"].(map[string]any)["versionId"].(string)
		family := res["name"].([]any)[0].(map[string]any)["family"]
		if want, ok := wonVersion[v]; ok && family != want {
			t.Errorf("version %s holds %v, written as %s", v, family, want)
		}
	}
	t.Logf("%d of %d updates won", len(wonVersion), clients*tries)
}
