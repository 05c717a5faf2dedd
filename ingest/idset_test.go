package ingest

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

func TestIDSetSpillsAndStillAgreesWithAMap(t *testing.T) {
	dir := t.TempDir()
	s := newIDSet(dir)
	s.spillAt = 5000
	want := map[uint64]bool{}
	r := rand.New(rand.NewPCG(3, 4))
	check := func(h uint64) {
		t.Helper()
		got, err := s.has(h)
		if err != nil {
			t.Fatal(err)
		}
		if got != want[h] {
			t.Fatalf("has(%#x) = %v, want %v (%d runs)", h, got, want[h], len(s.runs))
		}
	}
	for i := range 300_000 {
		h := r.Uint64()
		switch {
		case i%1000 == 0:
			h = 0 // a member like any other, without a slot
		case i%7 == 0 && len(want) > 0:
			h = uint64(r.IntN(2000)) << 40 // repeats, some of them spilled
		}
		check(h)
		if err := s.add(h); err != nil {
			t.Fatal(err)
		}
		want[h] = true
		if i%97 == 0 {
			check(r.Uint64() | 1) // most likely not a member
		}
	}
	if len(s.runs) < 50 {
		t.Fatalf("%d runs for %d members spilled at 5000", len(s.runs), len(want))
	}
	if size := len(s.mem.slots); size > 5000*2 {
		t.Errorf("the table grew to %d slots past its spill point", size)
	}
	for h := range want {
		check(h)
	}
	// the filters let few non-members through to a page read
	passed := 0
	for range 100_000 {
		h := r.Uint64() | 1<<63
		for _, run := range s.runs {
			if run.mayHave(h) && !want[h] {
				passed++
			}
		}
	}
	if rate := float64(passed) / float64(100_000*len(s.runs)); rate > 0.03 {
		t.Errorf("Bloom filters pass %.2f%% of non-members, want about 1%%", 100*rate)
	}
	runs, _ := filepath.Glob(filepath.Join(dir, "ids-*.run"))
	if len(runs) != len(s.runs) {
		t.Errorf("%d run files for %d runs", len(runs), len(s.runs))
	}
	s.reset()
	if runs, _ := filepath.Glob(filepath.Join(dir, "ids-*.run")); len(runs) != 0 {
		t.Errorf("reset left %v", runs)
	}
	if got, err := s.has(want0(want)); got || err != nil {
		t.Errorf("has after reset = %v, %v", got, err)
	}
}

func want0(m map[uint64]bool) uint64 {
	for h := range m {
		return h
	}
	return 0
}

func TestNewIDSetRemovesStaleRuns(t *testing.T) {
	dir := t.TempDir()
	stale := filepath.Join(dir, "ids-123.run")
	if err := os.WriteFile(stale, []byte("12345678"), 0o600); err != nil {
		t.Fatal(err)
	}
	newIDSet(dir)
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("stale run still there: %v", err)
	}
}

// BenchmarkIDSet checks and adds one new id per op, with the table alone
// (spill point past the ids) and with runs on disk (spilled every 1M).
func BenchmarkIDSet(b *testing.B) {
	for _, c := range []struct {
		name    string
		spillAt int
	}{{"memory", 1 << 30}, {"spilled", 1 << 20}} {
		b.Run(c.name, func(b *testing.B) {
			s := newIDSet(b.TempDir())
			s.spillAt = c.spillAt
			defer s.reset()
			r := rand.New(rand.NewPCG(5, 6))
			for b.Loop() {
				h := r.Uint64()
				if dup, err := s.has(h); dup || err != nil {
					b.Fatal(dup, err)
				}
				if err := s.add(h); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(s.runs)), "runs")
		})
	}
}
