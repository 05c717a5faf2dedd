package synth

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// concat is a run's output as one byte string, resources in emission order.
func concat(t testing.TB, opts Options) []byte {
	t.Helper()
	var buf bytes.Buffer
	_, err := Generate(context.Background(), opts, func(typ string, b []byte) error {
		buf.WriteString(typ)
		buf.WriteByte(' ')
		buf.Write(b)
		buf.WriteByte('\n')
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestDeterministic(t *testing.T) {
	a := concat(t, Options{Patients: 6, Seed: 42, Workers: 1})
	b := concat(t, Options{Patients: 6, Seed: 42, Workers: 3})
	if !bytes.Equal(a, b) {
		t.Fatal("same seed, different worker counts: output differs")
	}
	c := concat(t, Options{Patients: 6, Seed: 43})
	if bytes.Equal(a, c) {
		t.Fatal("different seeds gave the same output")
	}
	// Not only shuffled: patients of another seed are other people.
	if bytes.Contains(c, patientLine(t, a)) {
		t.Fatal("seed 43 repeats a patient of seed 42")
	}
}

func patientLine(t *testing.T, out []byte) []byte {
	for _, line := range bytes.Split(out, []byte("\n")) {
		if bytes.HasPrefix(line, []byte("Patient ")) {
			return line
		}
	}
	t.Fatal("no patient")
	return nil
}

// TestPrefixAndShards: patient i depends only on (seed, i), so a smaller
// run is a prefix of a larger one and shards concatenate to the whole.
func TestPrefixAndShards(t *testing.T) {
	whole := concat(t, Options{Patients: 6, Seed: 5})
	head := concat(t, Options{Patients: 2, Seed: 5})
	if !bytes.HasPrefix(whole, head) {
		t.Fatal("2-patient run is not a prefix of the 6-patient run")
	}
	tail := concat(t, Options{Patients: 4, First: 2, Seed: 5, SkipShared: true})
	if !bytes.Equal(whole, append(slices.Clip(head), tail...)) {
		t.Fatal("shards 0-1 and 2-5 do not add up to the whole run")
	}
}

func TestWriteDir(t *testing.T) {
	for _, opts := range []Options{
		{Patients: 3, Seed: 9},
		{Patients: 3, Seed: 9, Gzip: true},
		{Patients: 3, Seed: 9, Bundles: true},
		{Patients: 3, Seed: 9, Bundles: true, Gzip: true},
	} {
		dirA, dirB := t.TempDir(), t.TempDir()
		st, err := WriteDir(context.Background(), opts, dirA)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := WriteDir(context.Background(), opts, dirB); err != nil {
			t.Fatal(err)
		}
		a, b := dirDigest(t, dirA), dirDigest(t, dirB)
		if !slices.Equal(a, b) {
			t.Fatalf("%+v: two runs wrote different files", opts)
		}
		if len(a) != st.Files {
			t.Errorf("%+v: %d files on disk, stats say %d", opts, len(a), st.Files)
		}
		// The files hold exactly what Generate hands out.
		var want bytes.Buffer
		Generate(context.Background(), opts, func(typ string, b []byte) error {
			want.Write(b)
			want.WriteByte('\n')
			return nil
		})
		var got bytes.Buffer
		names := fileNames(t, dirA)
		for _, n := range names {
			want := ".ndjson"
			if opts.Bundles {
				want = ".json"
			}
			if opts.Gzip {
				want += ".gz"
			}
			if !strings.HasSuffix(n, want) {
				t.Errorf("%+v: file %s, want suffix %s", opts, n, want)
			}
			data := readFile(t, filepath.Join(dirA, n), opts.Gzip)
			got.Write(data)
			if opts.Bundles {
				got.WriteByte('\n')
			}
		}
		if got.Len() != want.Len() {
			t.Errorf("%+v: files hold %d bytes, Generate gives %d", opts, got.Len(), want.Len())
		}
		if opts.Bundles {
			if !slices.Contains(names, "hospitalInformation.json"+map[bool]string{true: ".gz"}[opts.Gzip]) {
				t.Errorf("no hospitalInformation file in %v", names)
			}
		} else if !slices.Contains(names, "Patient.ndjson"+map[bool]string{true: ".gz"}[opts.Gzip]) {
			t.Errorf("no Patient file in %v", names)
		}
	}
}

func fileNames(t *testing.T, dir string) []string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func dirDigest(t *testing.T, dir string) []string {
	var out []string
	for _, n := range fileNames(t, dir) {
		data, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%s %x", n, sha256.Sum256(data)))
	}
	return out
}

func readFile(t *testing.T, path string, gz bool) []byte {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var r io.Reader = f
	if gz {
		zr, err := gzip.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		r = zr
	}
	data, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestOptionsErrors(t *testing.T) {
	sink := func(string, []byte) error { return nil }
	for _, o := range []Options{{Patients: 0}, {Patients: 1, First: -1}} {
		if _, err := Generate(context.Background(), o, sink); err == nil {
			t.Errorf("%+v: no error", o)
		}
	}
	boom := errors.New("disk full")
	n := 0
	_, err := Generate(context.Background(), Options{Patients: 50}, func(string, []byte) error {
		if n++; n == 500 {
			return boom
		}
		return nil
	})
	if !errors.Is(err, boom) {
		t.Errorf("sink error not returned: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	st, err := Generate(ctx, Options{Patients: 1000, Progress: func(done int) {
		if done == 3 {
			cancel()
		}
	}}, sink)
	if !errors.Is(err, context.Canceled) || st.Patients >= 1000 {
		t.Errorf("cancelled run: %d patients, err %v", st.Patients, err)
	}
}

// TestMemoryDoesNotGrow generates 25 and then 100 patients on one worker:
// the allocation per patient and the peak live heap (measured after a
// collection every 10,000 resources) stay the same, so 10,000 patients need
// no more memory than 100.
func TestMemoryDoesNotGrow(t *testing.T) {
	if testing.Short() {
		t.Skip("memory measurement")
	}
	measure := func(n int) (perPatient float64, peak uint64) {
		runtime.GC()
		var before, ms runtime.MemStats
		runtime.ReadMemStats(&before)
		count := 0
		_, err := Generate(context.Background(), Options{Patients: n, Seed: 2, Workers: 1}, func(string, []byte) error {
			if count++; count%10000 == 0 {
				runtime.GC()
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapAlloc)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&ms)
		return float64(ms.TotalAlloc-before.TotalAlloc) / float64(n), peak
	}
	alloc25, peak25 := measure(25)
	alloc100, peak100 := measure(100)
	t.Logf("25 patients: %.0f KB allocated per patient, peak live heap %d MB", alloc25/1024, peak25>>20)
	t.Logf("100 patients: %.0f KB allocated per patient, peak live heap %d MB", alloc100/1024, peak100>>20)
	if alloc100 > 1.25*alloc25 {
		t.Errorf("allocation per patient grows with N: %.0f KB at 25, %.0f KB at 100", alloc25/1024, alloc100/1024)
	}
	if peak100 > peak25*3/2+8<<20 {
		t.Errorf("peak heap grows with N: %d MB at 25, %d MB at 100", peak25>>20, peak100>>20)
	}
}
