package engine

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"

	"github.com/fhirlake/fhirlake/fhirflat"
)

// BatchWriter writes normalized rows into the per-type files of one
// ImportBatch (one layer: each id at most once per type).
type BatchWriter struct {
	dir   string
	batch ImportBatch
	files map[string]*batchFile
	err   error
}

type batchFile struct {
	f *os.File
	w *bufio.Writer
}

// NewBatchWriter writes its files into dir, which the store's database
// must be allowed to read (the store's StagingDir).
func NewBatchWriter(dir string) *BatchWriter {
	return &BatchWriter{dir: dir, files: map[string]*batchFile{},
		batch: ImportBatch{Files: map[string][]ImportFile{}, Present: map[string]fhirflat.Bits{}}}
}

// Add appends a row.
func (w *BatchWriter) Add(row *fhirflat.Row) error {
	if w.err != nil {
		return w.err
	}
	bf := w.files[row.Type]
	if bf == nil {
		path := filepath.Join(w.dir, row.Type+".ndjson")
		f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
		if err != nil {
			w.err = fmt.Errorf("batch file: %w", err)
			return w.err
		}
		bf = &batchFile{f: f, w: bufio.NewWriterSize(f, 256<<10)}
		w.files[row.Type] = bf
		w.batch.Files[row.Type] = []ImportFile{{Path: path}}
		w.batch.Present[row.Type] = fhirflat.NewBits(row.Schema)
	}
	w.batch.Present[row.Type].Or(row.Present)
	file := &w.batch.Files[row.Type][0]
	file.IDs = append(file.IDs, row.ID)
	w.batch.MaxRowBytes = max(w.batch.MaxRowBytes, len(row.JSON))
	bf.w.Write(row.JSON)
	if err := bf.w.WriteByte('\n'); err != nil {
		w.err = fmt.Errorf("batch file: %w", err)
	}
	return w.err
}

// Batch closes the files and returns the batch.
func (w *BatchWriter) Batch() (ImportBatch, error) {
	for _, bf := range w.files {
		if err := bf.w.Flush(); err != nil && w.err == nil {
			w.err = fmt.Errorf("batch file: %w", err)
		}
		if err := bf.f.Close(); err != nil && w.err == nil {
			w.err = fmt.Errorf("batch file: %w", err)
		}
	}
	w.files = map[string]*batchFile{}
	return w.batch, w.err
}
