package docstore

import (
	"encoding/binary"
	"errors"
	"time"
)

// value is what the copy keeps under a resource's key: its system fields
// and either the row itself or where the row is in a segment.
type value struct {
	Doc
	inSegment bool
	seg       uint64
	off, n    uint64
}

const (
	flagDeleted   = 1
	flagInSegment = 2
)

// encode appends a value: version id, last updated (Unix microseconds),
// flags, then the row or its segment, offset and length.
func (v *value) encode(buf []byte) []byte {
	buf = binary.AppendUvarint(buf, uint64(v.VersionID))
	buf = binary.AppendVarint(buf, v.LastUpdated.UnixMicro())
	var flags byte
	if v.Deleted {
		flags |= flagDeleted
	}
	if v.inSegment {
		flags |= flagInSegment
	}
	buf = append(buf, flags)
	if v.inSegment {
		buf = binary.AppendUvarint(buf, v.seg)
		buf = binary.AppendUvarint(buf, v.off)
		return binary.AppendUvarint(buf, v.n)
	}
	return append(buf, v.Row...)
}

var errCorrupt = errors.New("corrupt value")

// decode reads a value; Row aliases b.
func decode(b []byte) (value, error) {
	version, n := binary.Uvarint(b)
	if n <= 0 {
		return value{}, errCorrupt
	}
	b = b[n:]
	micros, n := binary.Varint(b)
	if n <= 0 || len(b) == n {
		return value{}, errCorrupt
	}
	b = b[n:]
	flags := b[0]
	b = b[1:]
	if flags&^(flagDeleted|flagInSegment) != 0 {
		return value{}, errCorrupt
	}
	v := value{Doc: Doc{VersionID: int64(version), LastUpdated: time.UnixMicro(micros).UTC(), Deleted: flags&flagDeleted != 0}}
	if flags&flagInSegment == 0 {
		if !v.Deleted {
			v.Row = b
		}
		return v, nil
	}
	v.inSegment = true
	for _, p := range []*uint64{&v.seg, &v.off, &v.n} {
		x, n := binary.Uvarint(b)
		if n <= 0 {
			return value{}, errCorrupt
		}
		*p, b = x, b[n:]
	}
	if len(b) != 0 {
		return value{}, errCorrupt
	}
	return v, nil
}
