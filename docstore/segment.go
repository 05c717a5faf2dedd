package docstore

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
)

// A segment is a file of rows the copy took whole (a bulk import's file
// of rows, moved in rather than copied): its rows are read where they are
// and only their places go into the key-value store, so a bulk load does
// not rewrite its rows through the LSM tree's compactions. A segment is
// removed when no key refers to it any more.
type segments struct {
	dir  string
	mu   sync.Mutex
	next uint64
	live map[uint64]int64 // rows referred to, per segment
	open map[uint64]*os.File
}

func segmentName(seg uint64) string { return fmt.Sprintf("seg-%08d.ndjson", seg) }

func parseSegmentName(name string) (uint64, bool) {
	if !strings.HasPrefix(name, "seg-") || !strings.HasSuffix(name, ".ndjson") {
		return 0, false
	}
	n, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimPrefix(name, "seg-"), ".ndjson"), 10, 64)
	return n, err == nil
}

// init lists the segment files; live counts come from the keys (Open).
func (g *segments) init(dir string) ([]uint64, error) {
	g.dir, g.live, g.open = dir, map[uint64]int64{}, map[uint64]*os.File{}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("docstore: %w", err)
	}
	var found []uint64
	for _, e := range entries {
		if n, ok := parseSegmentName(e.Name()); ok {
			found = append(found, n)
			g.next = max(g.next, n+1)
		}
	}
	return found, nil
}

// add moves a file in as a new segment.
func (g *segments) add(path string) (uint64, error) {
	g.mu.Lock()
	seg := g.next
	g.next++
	g.mu.Unlock()
	if err := os.Rename(path, filepath.Join(g.dir, segmentName(seg))); err != nil {
		return 0, fmt.Errorf("docstore: take %s: %w", filepath.Base(path), err)
	}
	return seg, nil
}

// read reads n bytes at off in a segment.
func (g *segments) read(seg, off, n uint64) ([]byte, error) {
	g.mu.Lock()
	f := g.open[seg]
	if f == nil {
		var err error
		if f, err = os.Open(filepath.Join(g.dir, segmentName(seg))); err != nil {
			g.mu.Unlock()
			return nil, fmt.Errorf("docstore: %w", err)
		}
		g.open[seg] = f
	}
	g.mu.Unlock()
	buf := make([]byte, n)
	if _, err := f.ReadAt(buf, int64(off)); err != nil {
		return nil, fmt.Errorf("docstore: read segment %d: %w", seg, err)
	}
	return buf, nil
}

// adjust applies changes to live counts and removes the segments no key
// refers to any more. A reader that found a place in a removed segment
// fails to read it, and is answered by the database.
func (g *segments) adjust(delta map[uint64]int64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for seg, d := range delta {
		g.live[seg] += d
		if g.live[seg] > 0 {
			continue
		}
		delete(g.live, seg)
		if f := g.open[seg]; f != nil {
			f.Close()
			delete(g.open, seg)
		}
		os.Remove(filepath.Join(g.dir, segmentName(seg)))
	}
}

func (g *segments) close() {
	g.mu.Lock()
	defer g.mu.Unlock()
	for seg, f := range g.open {
		f.Close()
		delete(g.open, seg)
	}
}
