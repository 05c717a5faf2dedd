package ingest

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"sync/atomic"

	"golang.org/x/sync/errgroup"
	"golang.org/x/sync/semaphore"

	"github.com/fhirlake/fhirlake/fhirflat"
)

// The pipeline: one reader turns the input files into units, in order;
// workers check and lay out the units' resources in parallel; the
// assembler takes the units back in input order and builds chunks
// (chunk.go); the loader commits them (job.go).

type unitKind uint8

const (
	kindLines     unitKind = iota // a block of NDJSON lines
	kindJSON                      // a whole .json file (start and end included)
	kindFileStart                 // an NDJSON file is opened
	kindFileEnd                   // an NDJSON file is read to its end (or failed)
)

type lineRef struct {
	num        int64
	start, end int
	tooLong    int64 // size of a line over the limit (then start == end)
}

type unit struct {
	seq    int64
	kind   unitKind
	file   int    // index in the plan's files
	key    string // the file's key
	size   int64  // the file's size (kindFileStart, kindJSON)
	replay bool   // lines committed before a restart: only their ids count
	data   []byte
	lines  []lineRef
	err    error // kindFileEnd, kindJSON: why the file could not be read
	cost   int64 // bytes held in the memory budget
	done   chan struct{}
	res    result
}

// rowRef is a resource a unit made, or (matched) an ifNoneExist that
// matched a stored resource.
type rowRef struct {
	typ, id    string
	line       int64
	entry      int32 // index in the Bundle, -1 for NDJSON
	start, end int   // the row JSON in result.buf
	idents     []identifier
}

// failure is a resource (or file) that was not imported, with why.
type failure struct {
	line   int64
	entry  int32
	typ    string
	id     string
	issues []fhirflat.Issue
}

type result struct {
	buf     []byte
	rows    []rowRef
	present map[string]fhirflat.Bits
	fails   []failure
	matched []rowRef
	fileErr string // the file could not be read as a whole
	abort   error  // the job cannot go on (the store failed)
}

// The blocks of lines and the rows made of them are most of what the
// pipeline allocates (about twice the input's bytes); they are used again
// once the assembler has taken their unit, which leaves the GC less to do.
// Nothing that outlives a unit points into them: the normalizer clones the
// ids it keeps (a row's type is its schema's), and a unit's successes and
// failures are written out as it is taken.
var blocks, rowBufs sync.Pool // *[]byte

// newBlock gives an empty buffer for a block whose first line is n bytes.
func newBlock(n int) []byte {
	if n <= blockBytes {
		if b, _ := blocks.Get().(*[]byte); b != nil {
			return (*b)[:0]
		}
	}
	return make([]byte, 0, max(blockBytes, n))
}

// newRowBuf gives an empty buffer for at least n bytes of rows.
func newRowBuf(n int) []byte {
	if b, _ := rowBufs.Get().(*[]byte); b != nil {
		return slices.Grow((*b)[:0], n)
	}
	return make([]byte, 0, n)
}

// recycle gives a block's buffers back once it was taken; the unit is not
// used after.
func (u *unit) recycle() {
	if u.kind != kindLines {
		return
	}
	if cap(u.data) == blockBytes {
		b := u.data[:0]
		blocks.Put(&b)
	}
	if c := cap(u.res.buf); c > 0 && c <= 2*blockBytes {
		b := u.res.buf[:0]
		rowBufs.Put(&b)
	}
	u.data, u.res.buf = nil, nil
}

func (r *result) reset() {
	r.buf, r.rows, r.present, r.fails, r.matched = r.buf[:0], nil, nil, nil, nil
}

func (r *result) fileError(msg string) { r.fileErr = msg }

// worker checks resources; one per goroutine.
type worker struct {
	nz       *fhirflat.Normalizer
	resolver *resolver
	buf      bytes.Buffer
}

func (w *worker) process(ctx context.Context, u *unit) {
	switch u.kind {
	case kindLines:
		// rows are about as long as their lines: one allocation, not a
		// doubling series of copies
		u.res.buf = newRowBuf(len(u.data) + len(u.data)/8)
		u.res.rows = slices.Grow(u.res.rows[:0], len(u.lines))
		for _, l := range u.lines {
			if l.tooLong > 0 {
				u.res.fails = append(u.res.fails, failure{line: l.num, entry: -1, issues: []fhirflat.Issue{{Code: "too-long",
					Message: fmt.Sprintf("the line is %d bytes long; the limit is %d", l.tooLong, maxLine)}}})
				continue
			}
			line := bytes.TrimSpace(u.data[l.start:l.end])
			if len(line) == 0 {
				continue
			}
			w.normalizeAs(u, line, l.num, -1, "")
		}
	case kindJSON:
		if u.err == nil {
			w.processJSON(ctx, u)
		}
	}
}

// normalizeAs checks one resource and adds its row (or failure) to the
// unit's result. A resource without an id gets one derived from where it
// is in the input. It reports whether a row was added.
func (w *worker) normalizeAs(u *unit, src []byte, line int64, entry int32, id string) bool {
	row, err := w.nz.NormalizeAs(src, "", id)
	if err == nil && row.ID == "" {
		index := int(line)
		if entry >= 0 {
			index = int(entry)
		}
		row, err = w.nz.NormalizeAs(src, "", derivedID(u.key, index))
	}
	if err != nil {
		f := failure{line: line, entry: entry, id: id}
		var fe *fhirflat.Error
		if errors.As(err, &fe) {
			f.issues = fe.Issues
		} else {
			f.issues = []fhirflat.Issue{{Code: "exception", Message: err.Error()}}
		}
		f.typ, f.id = headOf(src, f.id)
		u.res.fails = append(u.res.fails, f)
		return false
	}
	start := len(u.res.buf)
	u.res.buf = append(u.res.buf, row.JSON...)
	u.res.rows = append(u.res.rows, rowRef{typ: row.Type, id: row.ID, line: line, entry: entry, start: start, end: len(u.res.buf)})
	u.res.buf = append(u.res.buf, '\n')
	if u.res.present == nil {
		u.res.present = map[string]fhirflat.Bits{}
	}
	if p := u.res.present[row.Type]; p != nil {
		p.Or(row.Present)
	} else {
		u.res.present[row.Type] = append(fhirflat.Bits(nil), row.Present...)
	}
	return true
}

// headOf finds the resourceType and id of a rejected resource, if it has
// them, for its FAILURE record.
func headOf(src []byte, id string) (string, string) {
	var h struct {
		ResourceType any `json:"resourceType"`
		ID           any `json:"id"`
	}
	if json.Unmarshal(src, &h) != nil {
		return "", id
	}
	typ, _ := h.ResourceType.(string)
	if id == "" {
		id, _ = h.ID.(string)
	}
	return typ, id
}

// Limits of the reader.
const (
	maxLine     = 256 << 20 // the longest NDJSON line read (DuckDB's maximum_object_size)
	maxJSONFile = 256 << 20 // the largest .json file read
	blockBytes  = 512 << 10 // lines per block, by size
	blockLines  = 4096
)

// countingReader counts the bytes read from a file, for live progress.
type countingReader struct {
	r io.Reader
	n *atomic.Int64
}

func (c countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// reader emits the units of the input from a cursor on.
type reader struct {
	src     Source
	files   []Object
	from    cursor
	budget  *semaphore.Weighted
	limit   int64 // the budget's size
	work    chan<- *unit
	order   chan<- *unit
	seq     int64
	readNow *atomic.Int64 // bytes read from the current file
	readAll *atomic.Int64 // bytes of the files finished
}

func (r *reader) emit(ctx context.Context, u *unit) error {
	r.seq++
	u.seq = r.seq
	u.done = make(chan struct{})
	u.cost = min(int64(len(u.data))+1, r.limit)
	if err := r.budget.Acquire(ctx, u.cost); err != nil {
		return err
	}
	if u.kind == kindLines || (u.kind == kindJSON && u.err == nil) {
		select {
		case r.work <- u:
		case <-ctx.Done():
			r.budget.Release(u.cost)
			return ctx.Err()
		}
	} else {
		close(u.done)
	}
	select {
	case r.order <- u:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (r *reader) run(ctx context.Context) error {
	defer close(r.work)
	defer close(r.order)
	for i := r.from.File; i < len(r.files); i++ {
		replayTo := int64(0)
		if i == r.from.File && r.from.Line > 0 {
			replayTo = r.from.Line
		}
		if err := r.readFile(ctx, i, replayTo); err != nil {
			return err
		}
		r.readAll.Add(r.files[i].Size)
		r.readNow.Store(0)
	}
	return nil
}

// readFile emits one file's units; lines before replayTo (when > 0) were
// committed before a restart and come as replay units.
func (r *reader) readFile(ctx context.Context, i int, replayTo int64) error {
	f := r.files[i]
	format, gz := FormatOf(f.Key)
	if format == NDJSON && replayTo == 0 {
		if err := r.emit(ctx, &unit{kind: kindFileStart, file: i, key: f.Key, size: f.Size}); err != nil {
			return err
		}
	}
	end := func(err error) error {
		kind := kindFileEnd
		if format == JSON {
			kind = kindJSON
		}
		return r.emit(ctx, &unit{kind: kind, file: i, key: f.Key, size: f.Size, err: err})
	}
	rc, err := r.src.Open(ctx, f.Key)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return end(fmt.Errorf("open: %w", err))
	}
	defer rc.Close()
	var in io.Reader = countingReader{r: rc, n: r.readNow}
	br := bufioReader(in)
	if gz || isGzip(br) {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return end(fmt.Errorf("gunzip: %w", err))
		}
		defer zr.Close()
		in = zr
	} else {
		in = br
	}
	if format == JSON {
		data, err := io.ReadAll(io.LimitReader(in, maxJSONFile+1))
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			return end(fmt.Errorf("read: %w", err))
		}
		if len(data) > maxJSONFile {
			return end(fmt.Errorf("the file is larger than %d MiB; split it or use NDJSON", maxJSONFile>>20))
		}
		return r.emit(ctx, &unit{kind: kindJSON, file: i, key: f.Key, size: f.Size, data: data})
	}
	lr := newLineReader(in, maxLine)
	var blk *unit
	flush := func() error {
		if blk == nil {
			return nil
		}
		b := blk
		blk = nil
		return r.emit(ctx, b)
	}
	for {
		line, tooLong, ok := lr.next()
		if !ok {
			break
		}
		replay := lr.line < replayTo
		if blk != nil && (blk.replay != replay || len(blk.data)+len(line) > blockBytes && len(blk.lines) > 0 || len(blk.lines) >= blockLines) {
			if err := flush(); err != nil {
				return err
			}
		}
		if blk == nil {
			blk = &unit{kind: kindLines, file: i, key: f.Key, replay: replay, data: newBlock(len(line))}
		}
		start := len(blk.data)
		blk.data = append(blk.data, line...)
		blk.lines = append(blk.lines, lineRef{num: lr.line, start: start, end: len(blk.data), tooLong: tooLong})
	}
	if err := flush(); err != nil {
		return err
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return end(lr.Err())
}

// runPipeline reads, checks and assembles the input from a cursor on.
func runPipeline(ctx context.Context, r *reader, workers int, newWorker func() *worker, asm *assembler) error {
	g, ctx := errgroup.WithContext(ctx)
	work := make(chan *unit, 2*workers)
	order := make(chan *unit, 4*workers+4)
	r.work, r.order = work, order
	g.Go(func() error { return r.run(ctx) })
	for range workers {
		w := newWorker()
		g.Go(func() error {
			for u := range work {
				w.process(ctx, u)
				close(u.done)
			}
			return nil
		})
	}
	stop := context.AfterFunc(ctx, asm.index.abort) // wakes workers waiting for earlier units
	defer stop()
	g.Go(func() error { return asm.run(ctx, order, r.budget) })
	return g.Wait()
}
