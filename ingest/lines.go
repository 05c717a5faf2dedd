package ingest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// lineReader splits NDJSON into lines, numbering them from 1, however
// long they are (up to max bytes; longer lines are skipped and reported).
type lineReader struct {
	r      *bufio.Reader
	max    int
	line   int64 // number of the last line returned
	long   []byte
	err    error
	tooBig int64 // size of the last skipped line
}

func newLineReader(r io.Reader, max int) *lineReader {
	return &lineReader{r: bufio.NewReaderSize(r, 1<<20), max: max}
}

// next returns the next line without its end of line; it is valid until
// the next call. ok is false at the end of input or on a read error (Err).
// A line longer than max comes back as nil with tooLong set to its size.
func (lr *lineReader) next() (line []byte, tooLong int64, ok bool) {
	if lr.err != nil {
		return nil, 0, false
	}
	lr.long = lr.long[:0]
	var size int64
	for {
		frag, err := lr.r.ReadSlice('\n')
		size += int64(len(frag))
		if size <= int64(lr.max)+2 {
			if len(lr.long) > 0 || err == bufio.ErrBufferFull {
				lr.long = append(lr.long, frag...)
			}
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil && err != io.EOF {
			lr.err = err
			return nil, 0, false
		}
		if err == io.EOF && size == 0 {
			lr.err = io.EOF
			return nil, 0, false
		}
		if err == io.EOF {
			lr.err = io.EOF
		}
		lr.line++
		if len(lr.long) > 0 {
			frag = lr.long
		}
		if size > int64(lr.max)+2 {
			return nil, size, true
		}
		frag = bytes.TrimSuffix(frag, []byte{'\n'})
		frag = bytes.TrimSuffix(frag, []byte{'\r'})
		if len(frag) > lr.max {
			return nil, size, true
		}
		return frag, 0, true
	}
}

// Err returns the read error that ended the input, if any.
func (lr *lineReader) Err() error {
	if lr.err == nil || errors.Is(lr.err, io.EOF) {
		return nil
	}
	return fmt.Errorf("read line %d: %w", lr.line+1, lr.err)
}

func bufioReader(r io.Reader) *bufio.Reader { return bufio.NewReaderSize(r, 1<<20) }

// isGzip sniffs the gzip magic number.
func isGzip(br *bufio.Reader) bool {
	b, err := br.Peek(2)
	return err == nil && b[0] == 0x1f && b[1] == 0x8b
}
