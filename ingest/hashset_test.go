package ingest

import (
	"math/rand/v2"
	"testing"
)

func TestHashSetAgreesWithAMap(t *testing.T) {
	var s hashSet
	want := map[uint64]bool{}
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 200_000; i++ {
		// small values collide in the low bits and exercise probing; 0 is a member like any other
		h := r.Uint64()
		if i%3 == 0 {
			h = uint64(r.IntN(5000)) << 20
		}
		if i%1000 == 0 {
			h = 0
		}
		if got := s.add(h); got != !want[h] {
			t.Fatalf("add(%#x) = %v, already in: %v", h, got, want[h])
		}
		want[h] = true
	}
	if s.n != len(want) {
		t.Fatalf("len %d, want %d", s.n, len(want))
	}
	if per := float64(8*len(s.slots)) / float64(s.n); per > 16 {
		t.Errorf("%.1f bytes a member, want at most 16", per)
	}
	for h := range want {
		if !s.has(h) {
			t.Fatalf("%#x lost", h)
		}
	}
	for i := 0; i < 10_000; i++ {
		h := r.Uint64() | 1<<63 // not among the small values
		if s.has(h) != want[h] {
			t.Fatalf("has(%#x) = %v", h, s.has(h))
		}
	}
	if s.has(1<<20 + 1) {
		t.Fatal("a value never added is a member")
	}
	s.reset()
	if s.n != 0 || s.has(0) || s.has(5<<20) {
		t.Fatal("reset kept members")
	}
}

func BenchmarkHashSetAdd(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	keys := make([]uint64, 1<<20)
	for i := range keys {
		keys[i] = r.Uint64()
	}
	b.Run("hashSet", func(b *testing.B) {
		var s hashSet
		for i := 0; i < b.N; i++ {
			if i%len(keys) == 0 {
				s.reset()
			}
			s.add(keys[i%len(keys)])
		}
	})
	b.Run("map", func(b *testing.B) {
		m := map[uint64]struct{}{}
		for i := 0; i < b.N; i++ {
			if i%len(keys) == 0 {
				m = map[uint64]struct{}{}
			}
			m[keys[i%len(keys)]] = struct{}{}
		}
	})
}
