// Package docstore keeps a row-oriented copy of the current version of
// every resource of a data store, keyed by type and id, so that a read by
// id is one key lookup. DuckDB fetches a row column by column (tens of
// microseconds per leaf column at a million rows), which is right for
// analytics and slow for point reads.
//
// The copy is derived data: the store's DuckDB tables are the truth. It
// has no write-ahead log; when it was not closed cleanly after the
// database it mirrors (a crash, a database restored from a backup), it is
// emptied and filled again from the tables. A miss is always answered from
// DuckDB, so an incomplete copy is slower, never wrong.
package docstore

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/bloom"
)

// Doc is one resource version as kept: the fhirflat row JSON and its
// system fields. A deletion is kept as a Doc with Deleted set and no Row.
type Doc struct {
	VersionID   int64
	LastUpdated time.Time
	Deleted     bool
	Row         []byte
}

// Store is an open copy.
type Store struct {
	dir string
	db  *pebble.DB
	// mu orders writers: a conditional put checks what is stored and
	// writes under it, so no other write lands in between.
	mu   sync.Mutex
	segs segments
	fail failure
}

// cleanFile holds the token Close was given; it exists only between a
// clean Close and the next Open.
const cleanFile = "CLEAN"

// Open opens the copy in dir, creating it if needed. current reports
// whether the copy was closed cleanly with the same token as the one the
// caller holds from its database; when it was not, the copy is emptied
// and the caller fills it.
func Open(dir, token string) (s *Store, current bool, err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, false, fmt.Errorf("docstore: %w", err)
	}
	marker := filepath.Join(dir, cleanFile)
	stored, err := os.ReadFile(marker)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, false, fmt.Errorf("docstore: %w", err)
	}
	current = err == nil && token != "" && string(stored) == token
	// From here on the copy changes: only a clean Close marks it current again.
	if err == nil {
		if err := os.Remove(marker); err != nil {
			return nil, false, fmt.Errorf("docstore: %w", err)
		}
		if err := syncDir(dir); err != nil {
			return nil, false, err
		}
	}
	if !current {
		if err := empty(dir); err != nil {
			return nil, false, err
		}
	}
	s, err = open(dir)
	if err != nil && current {
		// a copy that cannot be read is derived data: start it again
		if err := empty(dir); err != nil {
			return nil, false, err
		}
		current = false
		s, err = open(dir)
	}
	if err != nil {
		return nil, false, err
	}
	return s, current, nil
}

func empty(dir string) error {
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("docstore: empty %s: %w", dir, err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("docstore: %w", err)
	}
	return nil
}

// open opens the key-value store in dir and counts the rows of its segments.
func open(dir string) (*Store, error) {
	s := &Store{dir: dir, fail: newFailure()}
	cache := pebble.NewCache(128 << 20)
	defer cache.Unref()
	opts := &pebble.Options{
		Cache:         cache,
		MemTableSize:  32 << 20,
		DisableWAL:    true, // a copy that was not closed cleanly is rebuilt
		Logger:        quietLogger{},
		EventListener: &pebble.EventListener{BackgroundError: s.fail.background},
	}
	// a lookup skips the tables that do not hold its key
	opts.Levels[0].FilterPolicy = bloom.FilterPolicy(10)
	db, err := pebble.Open(dir, opts)
	if err != nil {
		return nil, fmt.Errorf("docstore: open %s: %w", dir, err)
	}
	s.db = db
	files, err := s.segs.init(dir)
	if err == nil {
		err = s.countLive(files)
	}
	if err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// Close writes what is in memory to disk and, when token is not empty,
// marks the copy clean: the next Open with the same token trusts it.
func (s *Store) Close(token string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.flush(); err != nil {
		s.segs.close()
		s.db.Close()
		return fmt.Errorf("docstore: flush: %w", err)
	}
	s.segs.close()
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("docstore: close: %w", err)
	}
	if token == "" {
		return nil
	}
	f, err := os.OpenFile(filepath.Join(s.dir, cleanFile), os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("docstore: %w", err)
	}
	if _, err := f.WriteString(token); err != nil {
		f.Close()
		return fmt.Errorf("docstore: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("docstore: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("docstore: %w", err)
	}
	return syncDir(s.dir)
}

// flush writes the memtables to disk, or gives up once writing to the
// disk failed (pebble retries a failed flush without end).
func (s *Store) flush() error {
	if err := s.fail.err(); err != nil {
		return err
	}
	done, err := s.db.AsyncFlush()
	if err != nil {
		return err
	}
	select {
	case <-done:
		// a failure while this flush waited stays one: the writes refused
		// since are missing, so the copy must not be marked clean
		return s.fail.err()
	case <-s.fail.happened:
		return s.fail.err()
	}
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("docstore: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("docstore: sync %s: %w", dir, err)
	}
	return nil
}

// Get returns the kept version of a resource; ok is false when there is none.
func (s *Store) Get(typ, id string) (d Doc, ok bool, err error) {
	raw, closer, err := s.db.Get(docKey(nil, typ, id))
	if errors.Is(err, pebble.ErrNotFound) {
		return Doc{}, false, nil
	}
	if err != nil {
		return Doc{}, false, fmt.Errorf("docstore: get %s/%s: %w", typ, id, err)
	}
	v, err := decode(raw)
	if err == nil && !v.inSegment {
		v.Row = append([]byte(nil), v.Row...)
	}
	closer.Close()
	if err != nil {
		return Doc{}, false, fmt.Errorf("docstore: %s/%s: %w", typ, id, err)
	}
	if v.inSegment {
		if v.Row, err = s.segs.read(v.seg, v.off, v.n); err != nil {
			return Doc{}, false, fmt.Errorf("docstore: %s/%s: %w", typ, id, err)
		}
	}
	return v.Doc, true, nil
}

// countLive counts the rows each segment holds for some key, and removes
// segment files no key refers to.
func (s *Store) countLive(files []uint64) error {
	it, err := s.db.NewIter(nil)
	if err != nil {
		return fmt.Errorf("docstore: %w", err)
	}
	for it.First(); it.Valid(); it.Next() {
		v, err := decode(it.Value())
		if err != nil {
			it.Close()
			return fmt.Errorf("docstore: %s: %w", it.Key(), err)
		}
		if v.inSegment {
			s.segs.live[v.seg]++
		}
	}
	if err := it.Close(); err != nil {
		return fmt.Errorf("docstore: %w", err)
	}
	unused := map[uint64]int64{}
	for _, seg := range files {
		if s.segs.live[seg] == 0 {
			unused[seg] = 0
		}
	}
	s.segs.adjust(unused)
	return nil
}

func docKey(buf []byte, typ, id string) []byte {
	buf = append(buf, typ...)
	buf = append(buf, '/')
	return append(buf, id...)
}

// quietLogger drops pebble's informational messages; errors reach the
// caller through the API.
type quietLogger struct{}

func (quietLogger) Infof(string, ...any)  {}
func (quietLogger) Errorf(string, ...any) {}
func (quietLogger) Fatalf(format string, args ...any) {
	panic(fmt.Sprintf("docstore: "+format, args...))
}
