package docstore

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"

	"github.com/cockroachdb/pebble/v2"
)

// batchBytes is the size at which a Batch writes what it holds.
const batchBytes = 2 << 20

// Batch gathers puts and writes them in groups. A plain batch writes
// every put: its caller knows each is the newest version (the store's
// writer, after its commit). A batch from NewerBatch keeps a put only when
// it is newer than what is kept (filling from the tables while the writer
// may be writing newer versions).
type Batch struct {
	s     *Store
	newer bool
	puts  []put
	size  int
}

type put struct {
	key, val []byte
	version  int64
	seg      uint64
	inSeg    bool
	fresh    bool // nothing is kept under key: no need to look
}

// NewBatch returns a batch whose puts all land.
func (s *Store) NewBatch() *Batch { return &Batch{s: s} }

// NewerBatch returns a batch whose puts land only over an older version or none.
func (s *Store) NewerBatch() *Batch { return &Batch{s: s, newer: true} }

// Put adds a resource version to the batch, writing the batch when it is large.
func (b *Batch) Put(typ, id string, d Doc) error {
	return b.add(typ, id, value{Doc: d}, false)
}

// PutFirst adds the first version of a resource, which nothing is kept
// under yet, so no earlier one is looked up. (The loader may have put the
// same version from the tables in between: it is replaced by itself, and a
// segment the loader wrote keeps its file for that row.)
func (b *Batch) PutFirst(typ, id string, d Doc) error {
	return b.add(typ, id, value{Doc: d}, true)
}

// Segment is a file of rows the copy has taken (Store.TakeSegment).
type Segment struct{ id uint64 }

// TakeSegment moves a file of rows into the copy; PutInSegment then puts
// rows that are in it. It fails when the file cannot be moved (another
// file system): Put the rows instead.
func (s *Store) TakeSegment(path string) (Segment, error) {
	seg, err := s.segs.add(path)
	return Segment{seg}, err
}

// PutInSegment adds a resource version whose row is n bytes at off in a
// segment. fresh says nothing is kept for the resource yet (it is new to
// the store), which saves a lookup.
func (b *Batch) PutInSegment(typ, id string, d Doc, seg Segment, off, n int64, fresh bool) error {
	return b.add(typ, id, value{Doc: Doc{VersionID: d.VersionID, LastUpdated: d.LastUpdated}, inSegment: true, seg: seg.id, off: uint64(off), n: uint64(n)}, fresh)
}

func (b *Batch) add(typ, id string, v value, fresh bool) error {
	p := put{key: docKey(nil, typ, id), val: v.encode(nil), version: v.VersionID, seg: v.seg, inSeg: v.inSegment, fresh: fresh && !b.newer}
	b.puts = append(b.puts, p)
	b.size += len(p.key) + len(p.val)
	if b.size >= batchBytes {
		return b.Commit()
	}
	return nil
}

// Commit writes what the batch holds; the batch can be used again.
func (b *Batch) Commit() error {
	if len(b.puts) == 0 {
		return nil
	}
	s := b.s
	if err := s.fail.err(); err != nil {
		return fmt.Errorf("docstore: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	wb := s.db.NewBatch()
	defer wb.Close()
	// In key order the memtable takes the keys one after the other (its
	// skiplist starts each search where the last one ended: random keys
	// cost about 1.5 us each), and a key's puts, kept in their order by
	// the sort, follow one another.
	order := make([]int32, len(b.puts))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(i, j int32) int {
		if c := bytes.Compare(b.puts[i].key, b.puts[j].key); c != 0 {
			return c
		}
		return cmp.Compare(i, j)
	})
	live := map[uint64]int64{}
	var last []byte // the key set last in this batch
	var lastVal value
	for _, i := range order {
		p := &b.puts[i]
		var old value
		var had bool
		if last != nil && bytes.Equal(last, p.key) {
			old, had = lastVal, true
		} else if !p.fresh {
			var err error
			if old, had, err = s.kept(p.key); err != nil {
				return err
			}
		}
		if b.newer && had && old.VersionID >= p.version {
			continue
		}
		if had && old.inSegment {
			live[old.seg]--
		}
		if p.inSeg {
			live[p.seg]++
		}
		if err := wb.Set(p.key, p.val, nil); err != nil {
			return fmt.Errorf("docstore: %w", err)
		}
		last, lastVal = p.key, value{Doc: Doc{VersionID: p.version}, inSegment: p.inSeg, seg: p.seg}
	}
	b.puts, b.size = b.puts[:0], 0
	if err := wb.Commit(pebble.NoSync); err != nil {
		return fmt.Errorf("docstore: write: %w", err)
	}
	s.segs.adjust(live)
	return nil
}

// kept returns what is kept under a key (no row).
func (s *Store) kept(key []byte) (value, bool, error) {
	raw, closer, err := s.db.Get(key)
	if err == pebble.ErrNotFound {
		return value{}, false, nil
	}
	if err != nil {
		return value{}, false, fmt.Errorf("docstore: %w", err)
	}
	defer closer.Close()
	v, err := decode(raw)
	if err != nil {
		return value{}, false, fmt.Errorf("docstore: %s: %w", key, err)
	}
	v.Row = nil
	return v, true, nil
}
