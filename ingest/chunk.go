package ingest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/cespare/xxhash/v2"
	"golang.org/x/sync/semaphore"

	"github.com/fhirlake/fhirlake/engine"
	"github.com/fhirlake/fhirlake/fhirflat"
)

// cursor is a position in a job's input: the next event to process.
// Line 0 is the start of file File; Line n >= 1 is its line n (for NDJSON:
// the file was opened and lines before n are done).
type cursor struct {
	File int   `json:"file"`
	Line int64 `json:"line"`
}

// chunkOptions say when a chunk is full. They are kept in the job's plan:
// a resumed job cuts its input at the same places.
type chunkOptions struct {
	Resources int64 `json:"resources"` // resources (imported or rejected) per chunk
	Bytes     int64 `json:"bytes"`     // bytes of row JSON per chunk
	// Ramp makes a job's first chunks smaller: chunk n (from 1) is bounded
	// by Resources and Bytes halved Ramp-n+1 times, so that DuckDB starts
	// loading while the workers check the next, larger chunks. Plans from
	// before it have 0.
	Ramp int64 `json:"ramp,omitempty"`
}

// bounds returns the limits of chunk no.
func (o chunkOptions) bounds(no int64) (resources, bytes int64) {
	shift := max(0, o.Ramp-no+1)
	return max(1, o.Resources>>shift), max(1, o.Bytes>>shift)
}

// sealedChunk is a chunk ready to commit.
type sealedChunk struct {
	no       int64
	dir      string
	files    []map[string][]engine.ImportFile // per layer, per type
	present  map[string]fhirflat.Bits
	success  partFile // SUCCESS records
	failure  partFile // FAILURE records
	maxRow   int      // longest row
	end      cursor   // where the next chunk starts
	progress engine.JobProgress
}

// chunk is the chunk being built.
type chunk struct {
	no      int64
	dir     string
	files   []map[string]*typeFiles // per layer, per type
	present map[string]fhirflat.Bits
	ids     map[uint64]int32 // type/id of its rows → number of layers holding it
	units   int64
	bytes   int64
	maxRow  int
	success part // SUCCESS records, in the chunk's folder
	failure part // FAILURE records
	events  bool // anything happened since the last seal
}

// chunkFile is a file of rows of one type in a chunk's layer.
type chunkFile struct {
	chunkWriter
	ids []string
}

// typeFiles are the files of one type's rows in a chunk's layer. Blocks
// of Config.SplitRows rows go to the files in turn, so that the type's
// rows load on all of DuckDB's threads (engine.Store.LoadFiles); a type
// with fewer rows has one file.
type typeFiles struct {
	files []*chunkFile
	rows  int
}

// rowGroup is DuckDB's row group, the default block (Config.SplitRows).
// Each thread of DuckDB writes the rows of its file into row groups of
// its own, and a checkpoint rewrites the partly filled ones into full
// ones: blocks of a row group leave one partly filled, where smaller
// blocks leave one per file. Loading 290,696 Observation rows from two files into an empty
// table: blocks of 4,096 rows 0.96 s, then 0.70-0.75 s of checkpoint
// merging row groups; blocks of 122,880 rows 1.04-1.13 s, and nothing to
// merge. A type with fewer rows goes through the WAL, where two files
// gain nothing (102,281 Claim rows: 0.78-0.79 s either way).
const rowGroup = 122880

// assembler takes units in input order and cuts them into chunks. It
// drops duplicate ids within a file (a FAILURE each). A resource whose id
// the chunk already has (from another file) goes into the chunk's next
// layer: layers load one after the other in the chunk's transaction, so
// each occurrence makes a version, in input order.
type assembler struct {
	index *identIndex
	dir   string // the job's work folder
	opts  chunkOptions
	split int // files per type (engine.Store.LoadFiles)
	block int // rows dealt to a file at a time (Config.SplitRows)
	out   chan<- *sealedChunk

	mu       sync.Mutex
	progress engine.JobProgress // cumulative up to the last unit taken

	cur     cursor
	fileIDs idSet // ids (hashed) imported from the current file
	c       *chunk
	next    int64 // number of the next chunk
	sizes   []int64
}

func (a *assembler) snapshot() engine.JobProgress {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.progress
}

func (a *assembler) update(fn func(p *engine.JobProgress)) {
	a.mu.Lock()
	fn(&a.progress)
	a.mu.Unlock()
}

func (a *assembler) run(ctx context.Context, order <-chan *unit, budget *semaphore.Weighted) error {
	defer close(a.out)
	defer a.discard()
	a.fileIDs.reset()
	for u := range order {
		select {
		case <-u.done:
		case <-ctx.Done():
			return ctx.Err()
		}
		if u.res.abort != nil {
			return u.res.abort
		}
		if err := a.take(ctx, u); err != nil {
			return err
		}
		u.recycle()
		budget.Release(u.cost)
		a.index.advance(u.seq)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if a.c != nil && a.c.events {
		return a.seal(ctx, a.cur)
	}
	return nil
}

func idHash(typ, id string) uint64 {
	d := xxhash.New()
	d.WriteString(typ)
	d.Write([]byte{'/'})
	d.WriteString(id)
	return d.Sum64()
}

func (a *assembler) chunk() (*chunk, error) {
	if a.c == nil {
		dir := filepath.Join(a.dir, fmt.Sprintf("chunk-%06d", a.next))
		if err := os.RemoveAll(dir); err != nil {
			return nil, err
		}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, err
		}
		a.c = &chunk{no: a.next, dir: dir, present: map[string]fhirflat.Bits{}, ids: map[uint64]int32{},
			success: part{chunkWriter: chunkWriter{path: filepath.Join(dir, "SUCCESS.ndjson")}},
			failure: part{chunkWriter: chunkWriter{path: filepath.Join(dir, "FAILURE.ndjson")}}}
		a.next++
	}
	return a.c, nil
}

func (c *chunk) full(o chunkOptions) bool {
	if c == nil {
		return false
	}
	resources, bytes := o.bounds(c.no)
	return c.units >= resources || c.bytes >= bytes
}

// take processes one unit.
func (a *assembler) take(ctx context.Context, u *unit) error {
	switch u.kind {
	case kindFileStart:
		c, err := a.chunk()
		if err != nil {
			return err
		}
		c.events = true
		a.fileIDs.reset()
		a.cur = cursor{File: u.file, Line: 1}
		a.update(func(p *engine.JobProgress) {
			p.ScannedFiles++
			p.ScannedMB += float64(u.size) / 1e6
		})
		return nil
	case kindFileEnd:
		c, err := a.chunk()
		if err != nil {
			return err
		}
		c.events = true
		if u.err != nil {
			c.failure.add(appendFailure(c.failure.record(), u.key, failure{entry: -1, issues: []fhirflat.Issue{{Code: "exception", Message: u.err.Error()}}}))
			a.update(func(p *engine.JobProgress) { p.FilesWithError++ })
		} else {
			a.update(func(p *engine.JobProgress) { p.ImportedFiles++ })
		}
		a.fileIDs.reset()
		a.cur = cursor{File: u.file + 1}
		return nil
	case kindLines:
		if u.replay {
			for _, r := range u.res.rows {
				if err := a.fileIDs.add(idHash(r.typ, r.id)); err != nil {
					return err
				}
			}
			return nil
		}
		return a.takeLines(ctx, u)
	case kindJSON:
		return a.takeJSON(ctx, u)
	}
	return nil
}

// takeLines adds a block of NDJSON lines, line by line in input order.
func (a *assembler) takeLines(ctx context.Context, u *unit) error {
	rows, fails := u.res.rows, u.res.fails
	for len(rows) > 0 || len(fails) > 0 {
		isRow := len(fails) == 0 || len(rows) > 0 && rows[0].line < fails[0].line
		line := int64(0)
		if isRow {
			line = rows[0].line
		} else {
			line = fails[0].line
		}
		var h uint64
		dup := false
		if isRow {
			h = idHash(rows[0].typ, rows[0].id)
			var err error
			if dup, err = a.fileIDs.has(h); err != nil {
				return err
			}
		}
		if a.c.full(a.opts) {
			if err := a.seal(ctx, cursor{File: u.file, Line: line}); err != nil {
				return err
			}
		}
		c, err := a.chunk()
		if err != nil {
			return err
		}
		c.events = true
		c.units++
		a.cur = cursor{File: u.file, Line: line + 1}
		if !isRow {
			c.failure.add(appendFailure(c.failure.record(), u.key, fails[0]))
			fails = fails[1:]
			a.update(func(p *engine.JobProgress) { p.ResourcesScanned++; p.ResourcesWithError++ })
			continue
		}
		r := rows[0]
		rows = rows[1:]
		if dup {
			c.failure.add(appendFailure(c.failure.record(), u.key, failure{line: r.line, entry: -1, typ: r.typ, id: r.id, issues: []fhirflat.Issue{{
				Code: "duplicate", Path: r.typ + ".id",
				Message: fmt.Sprintf("%s/%s appears earlier in this file; only its first occurrence is imported", r.typ, r.id)}}}))
			a.update(func(p *engine.JobProgress) { p.ResourcesScanned++; p.ResourcesWithError++ })
			continue
		}
		if err := a.fileIDs.add(h); err != nil {
			return err
		}
		if err := a.addRow(u, r, h); err != nil {
			return err
		}
	}
	return nil
}

// takeJSON adds a .json file: one resource or a Bundle's entries, which
// stay in one chunk.
func (a *assembler) takeJSON(ctx context.Context, u *unit) error {
	if a.c.full(a.opts) {
		if err := a.seal(ctx, cursor{File: u.file}); err != nil {
			return err
		}
	}
	c, err := a.chunk()
	if err != nil {
		return err
	}
	c.events = true
	a.cur = cursor{File: u.file + 1}
	fileErr := ""
	if u.err != nil {
		fileErr = u.err.Error()
	} else if u.res.fileErr != "" {
		fileErr = u.res.fileErr
	}
	a.update(func(p *engine.JobProgress) {
		p.ScannedFiles++
		p.ScannedMB += float64(u.size) / 1e6
		if fileErr != "" {
			p.FilesWithError++
		} else {
			p.ImportedFiles++
		}
	})
	if fileErr != "" {
		c.failure.add(appendFailure(c.failure.record(), u.key, failure{entry: -1, issues: []fhirflat.Issue{{Code: "structure", Message: fileErr}}}))
		return nil
	}
	for _, f := range u.res.fails {
		c.units++
		c.failure.add(appendFailure(c.failure.record(), u.key, f))
		a.update(func(p *engine.JobProgress) { p.ResourcesScanned++; p.ResourcesWithError++ })
	}
	for _, m := range u.res.matched {
		c.units++
		c.success.add(appendSuccess(c.success.record(), u.key, m, true))
		a.update(func(p *engine.JobProgress) { p.ResourcesScanned++ })
	}
	for _, r := range u.res.rows {
		c.units++
		if err := a.addRow(u, r, idHash(r.typ, r.id)); err != nil {
			return err
		}
		if len(r.idents) > 0 {
			a.index.add(r.typ, r.id, r.idents)
		}
	}
	return nil
}

// addRow writes a row into the chunk.
func (a *assembler) addRow(u *unit, r rowRef, h uint64) error {
	c := a.c
	layer := c.ids[h]
	if int(layer) == len(c.files) {
		c.files = append(c.files, map[string]*typeFiles{})
	}
	tf := c.files[layer][r.typ]
	if tf == nil {
		tf = &typeFiles{}
		c.files[layer][r.typ] = tf
	}
	part := (tf.rows / a.block) % a.split
	if part == len(tf.files) {
		tf.files = append(tf.files, &chunkFile{chunkWriter: chunkWriter{path: filepath.Join(c.dir, fmt.Sprintf("%s.%d.%d.ndjson", r.typ, layer, part))}})
	}
	tf.rows++
	f := tf.files[part]
	if f.write(u.res.buf[r.start : r.end+1]); f.err != nil {
		return fmt.Errorf("chunk file %s: %w", f.path, f.err)
	}
	if p := c.present[r.typ]; p != nil {
		p.Or(u.res.present[r.typ])
	} else {
		c.present[r.typ] = append(fhirflat.Bits(nil), u.res.present[r.typ]...)
	}
	f.ids = append(f.ids, r.id)
	c.ids[h] = layer + 1
	c.bytes += int64(r.end - r.start + 1)
	c.maxRow = max(c.maxRow, r.end-r.start)
	c.success.add(appendSuccess(c.success.record(), u.key, r, false))
	a.update(func(p *engine.JobProgress) {
		p.ResourcesScanned++
		p.ResourcesImported++
		p.ImportedMB += float64(r.end-r.start+1) / 1e6
	})
	return nil
}

// seal closes the chunk being built and hands it to the loader; end is
// where the next chunk starts.
func (a *assembler) seal(ctx context.Context, end cursor) error {
	c := a.c
	if c == nil {
		return nil
	}
	a.c = nil
	s := &sealedChunk{no: c.no, dir: c.dir, present: c.present, maxRow: c.maxRow, end: end, progress: a.snapshot()}
	var err error
	if s.success, err = c.success.close(); err != nil {
		return err
	}
	if s.failure, err = c.failure.close(); err != nil {
		return err
	}
	for _, layer := range c.files {
		files := map[string][]engine.ImportFile{}
		for typ, tf := range layer {
			for _, f := range tf.files {
				if _, err := f.close(); err != nil {
					return err
				}
				files[typ] = append(files[typ], engine.ImportFile{Path: f.path, IDs: f.ids})
			}
		}
		s.files = append(s.files, files)
	}
	select {
	case a.out <- s:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// discard closes the files of a chunk left unsealed (the job stopped).
func (a *assembler) discard() {
	a.fileIDs.reset()
	if a.c == nil {
		return
	}
	for _, layer := range a.c.files {
		for _, tf := range layer {
			for _, f := range tf.files {
				f.close()
			}
		}
	}
	a.c.success.close()
	a.c.failure.close()
	os.RemoveAll(a.c.dir)
	a.c = nil
}
