package engine

import (
	"container/list"
	"sync"
)

// readCache keeps the FHIR JSON of recently read resources, bounded in
// bytes. A writer invalidates the keys it writes; a reader that fetched a
// resource from the database only caches it if no write to that key was
// committed since the reader started (the generation check), so a slow
// reader cannot put back a version a writer has replaced.
type readCache struct {
	mu       sync.Mutex
	max      int
	bytes    int
	lru      *list.List // of *cacheEntry, most recent first
	items    map[key]*list.Element
	gen      uint64
	floor    uint64 // readers that started before this generation must not cache
	disabled bool
}

type cacheEntry struct {
	k    key
	res  *Resource // nil: a tombstone, invalidated at generation dead
	dead uint64
}

func (e *cacheEntry) size() int {
	if e.res == nil {
		return 64
	}
	return len(e.res.JSON) + 64
}

func newReadCache(maxBytes int) *readCache {
	return &readCache{max: maxBytes, lru: list.New(), items: map[key]*list.Element{}, disabled: maxBytes <= 0}
}

// generation is read before fetching from the database.
func (c *readCache) generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

// get returns a cached resource; callers must not modify it.
func (c *readCache) get(k key) *Resource {
	if c.disabled {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[k]
	if !ok {
		return nil
	}
	e := el.Value.(*cacheEntry)
	if e.res != nil {
		c.lru.MoveToFront(el)
	}
	return e.res
}

// put caches a resource fetched by a reader that started at generation since.
func (c *readCache) put(k key, r *Resource, since uint64) {
	if c.disabled || len(r.JSON) > c.max/16 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if since < c.floor {
		return // an invalidation this reader may have missed was forgotten
	}
	if el, ok := c.items[k]; ok {
		e := el.Value.(*cacheEntry)
		if e.res == nil && e.dead > since {
			return // written after the reader started
		}
		c.bytes -= e.size()
		e.res, e.dead = r, 0
		c.bytes += e.size()
		c.lru.MoveToFront(el)
	} else {
		e := &cacheEntry{k: k, res: r}
		c.items[k] = c.lru.PushFront(e)
		c.bytes += e.size()
	}
	c.evict()
}

// invalidate drops written keys, leaving tombstones for racing readers.
func (c *readCache) invalidate(keys []key) {
	if c.disabled {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	for _, k := range keys {
		if el, ok := c.items[k]; ok {
			e := el.Value.(*cacheEntry)
			c.bytes -= e.size()
			e.res, e.dead = nil, c.gen
			c.bytes += e.size()
			c.lru.MoveToFront(el)
		} else {
			c.items[k] = c.lru.PushFront(&cacheEntry{k: k, dead: c.gen})
			c.bytes += 64
		}
	}
	c.evict()
}

// clear drops everything (after an import).
func (c *readCache) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.lru.Init()
	c.items = map[key]*list.Element{}
	c.bytes = 0
	// Readers that started before now must not cache what they fetched.
	c.floor = c.gen
}

func (c *readCache) evict() {
	for c.bytes > c.max && c.lru.Len() > 0 {
		el := c.lru.Back()
		e := el.Value.(*cacheEntry)
		if e.res == nil && e.dead > c.floor {
			// A tombstone still guards against racing readers: raise the
			// floor instead of forgetting it.
			c.floor = e.dead
		}
		c.lru.Remove(el)
		delete(c.items, e.k)
		c.bytes -= e.size()
	}
}
