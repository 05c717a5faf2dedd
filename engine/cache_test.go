package engine

import "testing"

func TestReadCache(t *testing.T) {
	c := newReadCache(10000)
	k := key{"Patient", "a"}
	v1 := &Resource{Type: "Patient", ID: "a", VersionID: 1, JSON: []byte(`{"v":1}`)}
	g := c.generation()
	c.put(k, v1, g)
	if got := c.get(k); got != v1 {
		t.Fatalf("get = %v", got)
	}
	// a reader starts, a write invalidates, the reader's put is refused
	since := c.generation()
	c.invalidate([]key{k})
	if c.get(k) != nil {
		t.Fatal("invalidated entry still served")
	}
	c.put(k, v1, since)
	if c.get(k) != nil {
		t.Fatal("a stale read was cached after a newer write")
	}
	// a reader starting after the write may cache
	v2 := &Resource{Type: "Patient", ID: "a", VersionID: 2, JSON: []byte(`{"v":2}`)}
	c.put(k, v2, c.generation())
	if got := c.get(k); got != v2 {
		t.Fatalf("after write, get = %v", got)
	}
	// eviction keeps the byte bound and forgets tombstones safely
	for i := 0; i < 500; i++ {
		c.put(key{"Patient", string(rune('a'+i%26)) + string(rune(i))}, &Resource{JSON: make([]byte, 100)}, c.generation())
	}
	if c.bytes > c.max {
		t.Fatalf("cache holds %d bytes, limit %d", c.bytes, c.max)
	}
	since = c.generation()
	c.invalidate([]key{{"Observation", "x"}})
	for i := 0; i < 500; i++ { // push the tombstone out
		c.put(key{"Condition", string(rune(i))}, &Resource{JSON: make([]byte, 100)}, c.generation())
	}
	c.put(key{"Observation", "x"}, &Resource{JSON: []byte("stale")}, since)
	if c.get(key{"Observation", "x"}) != nil {
		t.Fatal("a stale read was cached after its tombstone was evicted")
	}
}
