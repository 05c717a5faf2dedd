package ingest

// hashSet is a set of 64-bit hashes in one flat table (open addressing,
// linear probing): 8 bytes a slot, at most 3/4 full, so 10.7-21 bytes a
// member where a Go map of uint64 takes about 24. It holds the ids of a
// file's resources, which is the one thing an import keeps that grows
// with the input (a file's lines are not bounded).
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
	mask := uint64(len(s.slots) - 1)
	for i := spread(h) & mask; ; i = (i + 1) & mask {
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
	mask := uint64(len(s.slots) - 1)
	for i := spread(h) & mask; ; i = (i + 1) & mask {
		switch s.slots[i] {
		case h:
			return true
		case 0:
			return false
		}
	}
}

// len is the number of members.
func (s *hashSet) len() int { return s.n }

// reset empties the set and lets its table go.
func (s *hashSet) reset() { *s = hashSet{} }

func (s *hashSet) grow() {
	old := s.slots
	size := 2 * len(old)
	if size == 0 {
		size = 1024
	}
	s.slots = make([]uint64, size)
	mask := uint64(size - 1)
	for _, h := range old {
		if h == 0 {
			continue
		}
		i := spread(h) & mask
		for s.slots[i] != 0 {
			i = (i + 1) & mask
		}
		s.slots[i] = h
	}
}

// spread mixes a hash's bits so that its low bits pick the slot (the
// hashes come from xxhash, but a caller may pass anything).
func spread(h uint64) uint64 {
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	return h
}
