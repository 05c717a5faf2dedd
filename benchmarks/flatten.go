package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"time"

	"github.com/fhirlake/fhirlake/fhirflat"
)

// benchFlatten measures the normalizer (check + flatten) on one core,
// beside a plain encoding/json decode of the same bytes.
func benchFlatten(ds *dataset) (*Section, error) {
	// the first 50 MB of the data, in memory
	var lines [][]byte
	var total int64
	for _, file := range ds.Files {
		f, err := os.Open(file)
		if err != nil {
			return nil, err
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 256<<20)
		for sc.Scan() && total < 50<<20 {
			lines = append(lines, append([]byte(nil), sc.Bytes()...))
			total += int64(len(sc.Bytes()))
		}
		f.Close()
	}
	runtime.GC()
	nz := fhirflat.Default().NewNormalizer(fhirflat.StructureOnly)
	start := time.Now()
	for _, l := range lines {
		if _, err := nz.Normalize(l); err != nil {
			return nil, err
		}
	}
	ours := float64(total) / 1e6 / time.Since(start).Seconds()
	start = time.Now()
	for _, l := range lines {
		var m map[string]any
		if err := json.Unmarshal(l, &m); err != nil {
			return nil, err
		}
	}
	base := float64(total) / 1e6 / time.Since(start).Seconds()
	return &Section{
		Title: "Flattening (fhirflat normalizer)",
		Setup: []string{fmt.Sprintf("%d resources, %.1f MB of NDJSON, one core, structure-only checks", len(lines), float64(total)/1e6)},
		Results: []Result{{What: "check + flatten to row JSON", Ours: ours, Unit: "MB/s per core",
			Baseline: "encoding/json decode into map[string]any", Base: base, HigherIsBetter: true}},
	}, nil
}
