package fhirflat

import (
	"encoding/binary"
	"fmt"
)

// Bits is a set of fields of one schema, by Seq.
type Bits []uint64

// NewBits returns an empty set sized for a schema.
func NewBits(s *Schema) Bits { return make(Bits, (len(s.BySeq)+63)/64) }

// Set adds field seq.
func (b Bits) Set(seq int) { b[seq>>6] |= 1 << (seq & 63) }

// Has reports whether field seq is in the set.
func (b Bits) Has(seq int) bool { return seq>>6 < len(b) && b[seq>>6]&(1<<(seq&63)) != 0 }

// Or adds every field of o.
func (b Bits) Or(o Bits) {
	for i := range o {
		if i < len(b) {
			b[i] |= o[i]
		}
	}
}

// Bytes encodes the set (little-endian words) for storage.
func (b Bits) Bytes() []byte {
	out := make([]byte, 8*len(b))
	for i, w := range b {
		binary.LittleEndian.PutUint64(out[8*i:], w)
	}
	return out
}

// BitsFromBytes decodes a set written by Bytes.
func BitsFromBytes(p []byte) (Bits, error) {
	if len(p)%8 != 0 {
		return nil, fmt.Errorf("field set of %d bytes", len(p))
	}
	b := make(Bits, len(p)/8)
	for i := range b {
		b[i] = binary.LittleEndian.Uint64(p[8*i:])
	}
	return b, nil
}
