package docstore

import (
	"bufio"
	"fmt"
	"os"
)

// loadSegmentBytes is the size at which a Loader starts a new segment.
const loadSegmentBytes = 256 << 20

// Loader fills the copy with many rows: it writes them one after the
// other into new segments and puts only their places, each over an older
// version or none (as a NewerBatch), so a fill from the tables does not
// push its rows through the LSM tree's compactions.
type Loader struct {
	s    *Store
	f    *os.File
	w    *bufio.Writer
	off  int64
	recs []loadRec
}

type loadRec struct {
	typ, id string
	d       Doc
	off, n  int64
}

// NewLoader returns a Loader; call Flush at the end, and Close in any case.
func (s *Store) NewLoader() *Loader { return &Loader{s: s} }

// Add writes a row (d.Row) and records its place.
func (l *Loader) Add(typ, id string, d Doc) error {
	if l.f == nil {
		f, err := os.CreateTemp(l.s.dir, "load-*.tmp")
		if err != nil {
			return fmt.Errorf("docstore: %w", err)
		}
		l.f, l.w, l.off = f, bufio.NewWriterSize(f, 1<<20), 0
	}
	n, err := l.w.Write(d.Row)
	if err == nil {
		err = l.w.WriteByte('\n')
	}
	if err != nil {
		return fmt.Errorf("docstore: %w", err)
	}
	rec := loadRec{typ: typ, id: id, d: d, off: l.off, n: int64(n)}
	rec.d.Row = nil
	l.recs = append(l.recs, rec)
	l.off += int64(n) + 1
	if l.off >= loadSegmentBytes {
		return l.Flush()
	}
	return nil
}

// Flush makes the rows added so far a segment and puts their places.
func (l *Loader) Flush() error {
	if l.f == nil {
		return nil
	}
	path := l.f.Name()
	err := l.w.Flush()
	if e := l.f.Close(); err == nil {
		err = e
	}
	l.f = nil
	if err != nil {
		os.Remove(path)
		return fmt.Errorf("docstore: %w", err)
	}
	seg, err := l.s.TakeSegment(path)
	if err != nil {
		os.Remove(path)
		return err
	}
	b := l.s.NewerBatch()
	for _, r := range l.recs {
		if err := b.PutInSegment(r.typ, r.id, r.d, seg, r.off, r.n, false); err != nil {
			return err
		}
	}
	l.recs = l.recs[:0]
	return b.Commit()
}

// Close removes a segment begun and not flushed.
func (l *Loader) Close() {
	if l.f != nil {
		l.f.Close()
		os.Remove(l.f.Name())
		l.f = nil
	}
}
