package synth

import (
	"encoding/base64"
	"math"
	"strconv"
	"time"
	"unicode/utf8"
)

// jw appends JSON to a byte slice. Keys come out in the order they are
// written, so output is deterministic and needs no reflection. It tracks only
// whether a comma is due; callers keep objects and arrays balanced.
type jw struct {
	b     []byte
	comma bool
}

func (w *jw) sep() {
	if w.comma {
		w.b = append(w.b, ',')
	}
}

// obj opens an object as a value (in an array or after key).
func (w *jw) obj() { w.sep(); w.b = append(w.b, '{'); w.comma = false }

// arr opens an array as a value.
func (w *jw) arr() { w.sep(); w.b = append(w.b, '['); w.comma = false }

func (w *jw) end()    { w.b = append(w.b, '}'); w.comma = true }
func (w *jw) endArr() { w.b = append(w.b, ']'); w.comma = true }

// key writes an object key; a value must follow.
func (w *jw) key(k string) {
	w.sep()
	w.b = append(w.b, '"')
	w.b = append(w.b, k...)
	w.b = append(w.b, '"', ':')
	w.comma = false
}

// okey opens an object under key k; akey an array.
func (w *jw) okey(k string) { w.key(k); w.obj() }
func (w *jw) akey(k string) { w.key(k); w.arr() }

// strv writes a string value.
func (w *jw) strv(s string) { w.sep(); w.b = appendQuoted(w.b, s); w.comma = true }

func (w *jw) str(k, v string) { w.key(k); w.strv(v) }

func (w *jw) int(k string, v int) {
	w.key(k)
	w.b = strconv.AppendInt(w.b, int64(v), 10)
	w.comma = true
}

func (w *jw) intv(v int) { w.sep(); w.b = strconv.AppendInt(w.b, int64(v), 10); w.comma = true }

// dec writes a decimal rounded to places digits after the point.
func (w *jw) dec(k string, v float64, places int) {
	w.key(k)
	w.b = appendDecimal(w.b, v, places)
	w.comma = true
}

func (w *jw) bool(k string, v bool) {
	w.key(k)
	w.b = strconv.AppendBool(w.b, v)
	w.comma = true
}

// dateTime writes a FHIR dateTime/instant in the output's fixed zone.
func (w *jw) dateTime(k string, t time.Time) {
	w.key(k)
	w.b = append(w.b, '"')
	w.b = t.In(zone).AppendFormat(w.b, "2006-01-02T15:04:05-07:00")
	w.b = append(w.b, '"')
	w.comma = true
}

// instant writes a FHIR instant with milliseconds.
func (w *jw) instant(k string, t time.Time) {
	w.key(k)
	w.b = append(w.b, '"')
	w.b = t.In(zone).AppendFormat(w.b, "2006-01-02T15:04:05.000-07:00")
	w.b = append(w.b, '"')
	w.comma = true
}

func (w *jw) date(k string, t time.Time) {
	w.key(k)
	w.b = append(w.b, '"')
	w.b = t.In(zone).AppendFormat(w.b, "2006-01-02")
	w.b = append(w.b, '"')
	w.comma = true
}

// base64 writes data as a base64Binary string.
func (w *jw) base64(k string, data []byte) {
	w.key(k)
	w.b = append(w.b, '"')
	w.b = base64.StdEncoding.AppendEncode(w.b, data)
	w.b = append(w.b, '"')
	w.comma = true
}

// zone is the fixed UTC offset of every generated time (US Eastern standard
// time, where the generated population lives).
var zone = time.FixedZone("EST", -5*3600)

func appendDecimal(b []byte, v float64, places int) []byte {
	p := math.Pow10(places)
	v = math.Round(v*p) / p
	if v == 0 {
		v = 0 // no "-0"
	}
	return strconv.AppendFloat(b, v, 'f', -1, 64)
}

func appendQuoted(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				b = append(b, s[start:i]...)
				b = append(b, `\ufffd`...)
				i += size
				start = i
				continue
			}
			i += size
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"':
			b = append(b, '\\', '"')
		case '\\':
			b = append(b, '\\', '\\')
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			const hexd = "0123456789abcdef"
			b = append(b, '\\', 'u', '0', '0', hexd[c>>4], hexd[c&0xf])
		}
		i++
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
