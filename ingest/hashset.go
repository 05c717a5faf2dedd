package ingest

import "math/bits"

// hashSet is a set of 64-bit hashes in one flat table (open addressing,
// linear probing): 8 bytes a slot, between 1/2 and 3/4 full (it grows by
// half), so 10.7-16 bytes a member where a Go map of uint64 takes about
// 24. It holds the ids of a file's resources in memory (idSet spills them
// past a bound: a file's lines are not bounded).
type hashSet struct {
	slots   []uint64 // 0: empty
	n       int      // members, the zero hash included
	hasZero bool
}

// add inserts h and reports whether it was new.
func (s *hashSet) add(h uint64) bool {
	if h == 0 {
		if s.hasZero {
			return false
		}
		s.hasZero = true
		s.n++
		return true
	}
	if (s.n+1)*4 > len(s.slots)*3 {
		s.grow()
	}
	for i := s.home(h); ; i = s.next(i) {
		switch s.slots[i] {
		case h:
			return false
		case 0:
			s.slots[i] = h
			s.n++
			return true
		}
	}
}

// has reports whether h is in the set.
func (s *hashSet) has(h uint64) bool {
	if h == 0 {
		return s.hasZero
	}
	if len(s.slots) == 0 {
		return false
	}
	for i := s.home(h); ; i = s.next(i) {
		switch s.slots[i] {
		case h:
			return true
		case 0:
			return false
		}
	}
}

// home is the slot where h's probe starts: its mixed bits scaled to the
// table's size (any size, not only powers of two).
func (s *hashSet) home(h uint64) int {
	hi, _ := bits.Mul64(spread(h), uint64(len(s.slots)))
	return int(hi)
}

func (s *hashSet) next(i int) int {
	if i++; i == len(s.slots) {
		return 0
	}
	return i
}

// reset empties the set and lets its table go.
func (s *hashSet) reset() { *s = hashSet{} }

func (s *hashSet) grow() {
	old := s.slots
	size := len(old) + len(old)/2
	if size == 0 {
		size = 1024
	}
	s.slots = make([]uint64, size)
	for _, h := range old {
		if h == 0 {
			continue
		}
		i := s.home(h)
		for s.slots[i] != 0 {
			i = s.next(i)
		}
		s.slots[i] = h
	}
}

// spread mixes a hash's bits so that its high bits pick the slot (the
// hashes come from xxhash, but a caller may pass anything).
func spread(h uint64) uint64 {
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	return h
}
