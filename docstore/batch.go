package docstore

import (
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

// batchBytes is the size at which a Batch writes what it holds.
const batchBytes = 8 << 20

// Batch gathers puts and writes them in groups. A plain batch writes
// every put: its caller knows each is the newest version (the store's
// writer, after its commit). A batch from NewerBatch keeps a put only when
// it is newer than what is kept (filling from the tables, or after a read,
// while the writer may be writing newer versions).
type Batch struct {
	s       *Store
	b       *pebble.Batch
	newer   bool
	pending []pendingPut // newer batches: checked when written
	size    int          // bytes in pending
	key     []byte
	val     []byte
}

type pendingPut struct {
	key, val []byte
	version  int64
}

// NewBatch returns a batch whose puts all land.
func (s *Store) NewBatch() *Batch { return &Batch{s: s, b: s.db.NewBatch()} }

// NewerBatch returns a batch whose puts land only over an older version or none.
func (s *Store) NewerBatch() *Batch { return &Batch{s: s, b: s.db.NewBatch(), newer: true} }

// Put adds a resource version to the batch, writing the batch when it is large.
func (b *Batch) Put(typ, id string, d Doc) error {
	b.key = docKey(b.key[:0], typ, id)
	b.val = encode(b.val[:0], d)
	if b.newer {
		b.pending = append(b.pending, pendingPut{append([]byte(nil), b.key...), append([]byte(nil), b.val...), d.VersionID})
		b.size += len(b.key) + len(b.val)
	} else if err := b.b.Set(b.key, b.val, nil); err != nil {
		return fmt.Errorf("docstore: %w", err)
	}
	if b.b.Len()+b.size >= batchBytes {
		return b.Commit()
	}
	return nil
}

// Commit writes what the batch holds; the batch can be used again.
func (b *Batch) Commit() error {
	b.s.mu.Lock()
	defer b.s.mu.Unlock()
	for _, p := range b.pending {
		kept, err := b.s.version(p.key)
		if err != nil {
			return fmt.Errorf("docstore: %w", err)
		}
		if kept >= p.version {
			continue
		}
		if err := b.b.Set(p.key, p.val, nil); err != nil {
			return fmt.Errorf("docstore: %w", err)
		}
	}
	b.pending, b.size = b.pending[:0], 0
	if b.b.Empty() {
		return nil
	}
	if err := b.b.Commit(pebble.NoSync); err != nil {
		return fmt.Errorf("docstore: write: %w", err)
	}
	b.b.Reset()
	return nil
}
