package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/fhirlake/fhirlake/synth"
)

// scales: patients of synthetic data (about 1,370 resources each).
var scales = map[string]int{"small": 40, "medium": 200, "1m": 750, "large": 2000}

// dataset is generated NDJSON, one file per resource type.
type dataset struct {
	Dir       string
	Files     []string // *.ndjson
	Resources int
	Bytes     int64
	ByType    map[string]int
}

// generate writes (or reuses) the synthetic data of a scale.
func generate(ctx context.Context, root, scale string, seed int64) (*dataset, error) {
	patients, ok := scales[scale]
	if !ok {
		return nil, fmt.Errorf("unknown scale %q (small, medium, 1m, large)", scale)
	}
	dir := filepath.Join(root, fmt.Sprintf("%s-seed%d", scale, seed))
	done := filepath.Join(dir, ".complete")
	if _, err := os.Stat(done); err != nil {
		os.RemoveAll(dir)
		if _, err := synth.WriteDir(ctx, synth.Options{Patients: patients, Seed: seed}, dir); err != nil {
			return nil, err
		}
		if err := os.WriteFile(done, nil, 0o644); err != nil {
			return nil, err
		}
	}
	ds := &dataset{Dir: dir, ByType: map[string]int{}}
	files, err := filepath.Glob(filepath.Join(dir, "*.ndjson"))
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		n := strings.Count(string(b), "\n")
		ds.Files = append(ds.Files, f)
		ds.Bytes += int64(len(b))
		ds.Resources += n
		ds.ByType[strings.TrimSuffix(filepath.Base(f), ".ndjson")] = n
	}
	return ds, nil
}
