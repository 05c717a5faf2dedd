package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"

	"github.com/fhirlake/fhirlake/engine"
	"github.com/fhirlake/fhirlake/fhirflat"
)

// load imports a dataset into a store at a validation level, in chunks,
// with one normalizing worker per core: the engine-level bulk path.
func load(ctx context.Context, s *engine.Store, ds *dataset, level fhirflat.Level, tmp string) (int, error) {
	const chunk = 100000
	type job struct {
		typ   string
		lines [][]byte
	}
	jobs := make(chan job)
	var mu sync.Mutex
	var firstErr error
	total := 0
	var wg sync.WaitGroup
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			nz := s.Builder().NewNormalizer(level)
			for j := range jobs {
				path := filepath.Join(tmp, fmt.Sprintf("w%d-%s.ndjson", w, j.typ))
				f, err := os.Create(path)
				if err != nil {
					mu.Lock()
					firstErr = err
					mu.Unlock()
					continue
				}
				bw := bufio.NewWriterSize(f, 1<<20)
				var present fhirflat.Bits
				for _, line := range j.lines {
					row, err := nz.Normalize(line)
					if err != nil {
						mu.Lock()
						firstErr = fmt.Errorf("%s: %w", j.typ, err)
						mu.Unlock()
						break
					}
					if present == nil {
						present = fhirflat.NewBits(row.Schema)
					}
					present.Or(row.Present)
					bw.Write(row.JSON)
					bw.WriteByte('\n')
				}
				bw.Flush()
				f.Close()
				_, err = s.Import(ctx, engine.ImportBatch{Files: map[string]string{j.typ: path}, Present: map[string]fhirflat.Bits{j.typ: present}})
				os.Remove(path)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				total += len(j.lines)
				mu.Unlock()
			}
		}(w)
	}
	for _, file := range ds.Files {
		typ := filepath.Base(file[:len(file)-len(".ndjson")])
		f, err := os.Open(file)
		if err != nil {
			return 0, err
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 256<<20)
		var lines [][]byte
		for sc.Scan() {
			lines = append(lines, append([]byte(nil), sc.Bytes()...))
			if len(lines) == chunk {
				jobs <- job{typ, lines}
				lines = nil
			}
		}
		f.Close()
		if len(lines) > 0 {
			jobs <- job{typ, lines}
		}
		if err := sc.Err(); err != nil {
			return 0, err
		}
	}
	close(jobs)
	wg.Wait()
	return total, firstErr
}
