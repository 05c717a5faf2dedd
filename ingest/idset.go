package ingest

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"math/bits"
	"os"
	"path/filepath"
	"slices"
	"sort"
)

// idSet holds the hashed ids of one input file's resources, to find the
// ids the file repeats. Up to spillAt members live in a hashSet; then they
// are sorted and written to a run file in dir, and of each run the set
// keeps a Bloom filter (10 bits a member) and the first hash of each page
// in memory. So a file of any length costs one bounded table plus about
// 1.3 bytes a line, where a table alone grows by 11-16 bytes a line (880
// MB for the Observations of a 100,000-patient export). A lookup reads a
// page of a run only when the run's filter lets it through: for about 1%
// of new ids, and for a repeated one.
type idSet struct {
	mem     hashSet
	spillAt int    // members in memory before a spill
	dir     string // where runs are written
	runs    []*idRun
	page    []byte // a run's page, read for a lookup
}

// idRun is a spilled part of the set: sorted hashes in a file.
type idRun struct {
	f      *os.File
	n      int
	fences []uint64 // the first hash of each page
	bloom  []uint64 // blocks of 8 words (one cache line)
}

// defaultSpillAt keeps a file's table of ids under 64 MB.
const defaultSpillAt = 4 << 20

// runPage is the number of hashes in a page of a run (4 KiB).
const runPage = 512

// newIDSet returns an empty set that spills into dir, where it first
// removes the runs of a process that stopped before it could.
func newIDSet(dir string) idSet {
	old, _ := filepath.Glob(filepath.Join(dir, "ids-*.run"))
	for _, f := range old {
		os.Remove(f)
	}
	return idSet{spillAt: defaultSpillAt, dir: dir}
}

// has reports whether h was added.
func (s *idSet) has(h uint64) (bool, error) {
	if s.mem.has(h) {
		return true, nil
	}
	for _, r := range s.runs {
		if !r.mayHave(h) {
			continue
		}
		if found, err := s.runHas(r, h); found || err != nil {
			return found, err
		}
	}
	return false, nil
}

// add adds h (the caller has asked has first, or does not mind h being
// kept twice).
func (s *idSet) add(h uint64) error {
	s.mem.add(h)
	if s.mem.n >= cmp.Or(s.spillAt, defaultSpillAt) {
		return s.spill()
	}
	return nil
}

// reset empties the set and removes its runs.
func (s *idSet) reset() {
	for _, r := range s.runs {
		r.f.Close()
		os.Remove(r.f.Name())
	}
	s.mem.reset()
	s.runs = nil
}

// spill writes the members in memory to a new run and empties the table,
// keeping its size for the members to come.
func (s *idSet) spill() error {
	defer s.mem.empty()
	hashes := s.mem.sorted()
	if s.mem.hasZero {
		hashes = append([]uint64{0}, hashes...) // the zero hash has no slot; it sorts first
	}
	f, err := os.CreateTemp(s.dir, "ids-*.run")
	if err != nil {
		return fmt.Errorf("ids of the file: %w", err)
	}
	r := &idRun{f: f, n: len(hashes), bloom: make([]uint64, 8*max(1, (len(hashes)*10+511)/512))}
	buf := make([]byte, 0, 8*runPage)
	for i, h := range hashes {
		if i%runPage == 0 {
			r.fences = append(r.fences, h)
		}
		r.bloomAdd(h)
		buf = binary.LittleEndian.AppendUint64(buf, h)
		if len(buf) == cap(buf) || i == len(hashes)-1 {
			if _, err := f.Write(buf); err != nil {
				f.Close()
				os.Remove(f.Name())
				return fmt.Errorf("ids of the file: %w", err)
			}
			buf = buf[:0]
		}
	}
	s.runs = append(s.runs, r)
	return nil
}

// runHas looks for h in the page of r where it would be.
func (s *idSet) runHas(r *idRun, h uint64) (bool, error) {
	p := sort.Search(len(r.fences), func(i int) bool { return r.fences[i] > h }) - 1
	if p < 0 {
		return false, nil
	}
	n := min(runPage, r.n-p*runPage)
	if cap(s.page) < 8*runPage {
		s.page = make([]byte, 8*runPage)
	}
	page := s.page[:8*n]
	if _, err := r.f.ReadAt(page, int64(8*runPage*p)); err != nil {
		return false, fmt.Errorf("ids of the file: %w", err)
	}
	i := sort.Search(n, func(i int) bool { return binary.LittleEndian.Uint64(page[8*i:]) >= h })
	return i < n && binary.LittleEndian.Uint64(page[8*i:]) == h, nil
}

// bloomBits gives the block of r's filter for h and six bits in it,
// from bits of h its table's home slot does not use alone.
func (r *idRun) bloomBits(h uint64) (block []uint64, g uint64) {
	g = spread(h ^ 0x9e3779b97f4a7c15)
	hi, _ := bits.Mul64(g, uint64(len(r.bloom)/8))
	return r.bloom[8*hi : 8*hi+8], g
}

func (r *idRun) bloomAdd(h uint64) {
	block, g := r.bloomBits(h)
	for k := range 6 {
		bit := g >> (9 * k) & 511
		block[bit>>6] |= 1 << (bit & 63)
	}
}

func (r *idRun) mayHave(h uint64) bool {
	block, g := r.bloomBits(h)
	for k := range 6 {
		bit := g >> (9 * k) & 511
		if block[bit>>6]&(1<<(bit&63)) == 0 {
			return false
		}
	}
	return true
}

// sorted moves the members with a slot to the front of the table, sorted,
// and returns them: the set is unusable until empty.
func (s *hashSet) sorted() []uint64 {
	n := 0
	for _, h := range s.slots {
		if h != 0 {
			s.slots[n] = h
			n++
		}
	}
	out := s.slots[:n]
	slices.Sort(out)
	return out
}

// empty removes every member and keeps the table's size.
func (s *hashSet) empty() {
	clear(s.slots)
	s.n, s.hasZero = 0, false
}
