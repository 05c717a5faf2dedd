package ingest

import (
	"bytes"
	"strings"
	"testing"
)

func TestLineReader(t *testing.T) {
	long := strings.Repeat("x", 3<<20) // longer than the 1 MiB buffer
	input := "a\r\nbb\n\n" + long + "\n" + strings.Repeat("y", 100) + "\nlast"
	lr := newLineReader(strings.NewReader(input), 2<<20+50)
	type line struct {
		text    string
		tooLong int64
	}
	var got []line
	for {
		l, tooLong, ok := lr.next()
		if !ok {
			break
		}
		got = append(got, line{string(l), tooLong})
	}
	want := []line{{"a", 0}, {"bb", 0}, {"", 0}, {"", int64(len(long) + 1)}, {strings.Repeat("y", 100), 0}, {"last", 0}}
	if len(got) != len(want) {
		t.Fatalf("%d lines, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("line %d: %.20q %d, want %.20q %d", i+1, got[i].text, got[i].tooLong, want[i].text, want[i].tooLong)
		}
	}
	if lr.line != 6 || lr.Err() != nil {
		t.Errorf("line %d, err %v", lr.line, lr.Err())
	}
	lr = newLineReader(strings.NewReader(long+"\n"), 4<<20)
	if l, tooLong, ok := lr.next(); !ok || tooLong != 0 || len(l) != len(long) {
		t.Errorf("a 3 MiB line under a 4 MiB limit: %d %d %v", len(l), tooLong, ok)
	}
}

func FuzzLineReader(f *testing.F) {
	f.Add([]byte("a\nb\r\n\nc"), 3)
	f.Add([]byte("\n\n"), 1)
	f.Fuzz(func(t *testing.T, data []byte, max int) {
		if max < 1 || max > 1<<20 {
			return
		}
		lr := newLineReader(bytes.NewReader(data), max)
		var total int64
		for {
			l, tooLong, ok := lr.next()
			if !ok {
				break
			}
			if tooLong == 0 && len(l) > max {
				t.Fatalf("a line of %d bytes over the limit %d", len(l), max)
			}
			total += int64(len(l)) + tooLong
		}
		if total > int64(len(data)) {
			t.Fatalf("%d bytes of lines from %d bytes", total, len(data))
		}
		if want := int64(bytes.Count(data, []byte{'\n'})); lr.line < want || lr.line > want+1 {
			t.Fatalf("%d lines for %d newlines", lr.line, want)
		}
	})
}
