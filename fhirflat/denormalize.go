package fhirflat

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Denormalizer turns rows read back from a table, as DuckDB's to_json
// writes them, into FHIR JSON. It reuses its buffers and is not safe for
// concurrent use.
type Denormalizer struct {
	doc doc
	out []byte
}

// SystemFields are a row's server-set values, when they are not in the row
// JSON itself.
type SystemFields struct {
	ID          string
	VersionID   int64
	LastUpdated time.Time
}

// Denormalize appends the FHIR JSON of a row to buf. The row is an object
// keyed by column; id, version_id and last_updated are read from it when
// present and otherwise taken from sys. It returns the system fields used.
func (dn *Denormalizer) Denormalize(buf []byte, s *Schema, row []byte, sys SystemFields) ([]byte, SystemFields, error) {
	out, err := dn.denormalize(buf, s, row, &sys)
	return out, sys, err
}

func (dn *Denormalizer) denormalize(buf []byte, s *Schema, row []byte, sys *SystemFields) ([]byte, error) {
	if err := parseDoc(row, &dn.doc); err != nil {
		return buf, fmt.Errorf("denormalize %s: %w", s.ResourceType, err)
	}
	d := &dn.doc
	root := d.root()
	if d.nodes[root].kind != kObject {
		return buf, fmt.Errorf("denormalize %s: row is not an object", s.ResourceType)
	}
	if v := d.get(root, ColID); v >= 0 && d.nodes[v].kind == kString {
		sys.ID = strings.Clone(d.nodes[v].str)
	}
	if v := d.get(root, ColVersionID); v >= 0 && d.nodes[v].kind == kNumber {
		n, err := strconv.ParseInt(string(d.raw(v)), 10, 64)
		if err != nil {
			return buf, fmt.Errorf("denormalize %s: version_id: %w", s.ResourceType, err)
		}
		sys.VersionID = n
	}
	if v := d.get(root, ColLastUpdated); v >= 0 && d.nodes[v].kind == kString {
		t, err := ParseDuckTimestamp(d.nodes[v].str)
		if err != nil {
			return buf, fmt.Errorf("denormalize %s: last_updated: %s", s.ResourceType, err) // not wrapped: it holds the row's bytes
		}
		sys.LastUpdated = t
	}
	w := rowWriter{d: d, buf: buf}
	w.buf = append(w.buf, `{"resourceType":`...)
	w.buf = appendQuoted(w.buf, s.ResourceType)
	if sys.ID != "" {
		w.buf = append(w.buf, `,"id":`...)
		w.buf = appendQuoted(w.buf, sys.ID)
	}
	metaField := s.byName["meta"]
	if sys.VersionID > 0 || !sys.LastUpdated.IsZero() {
		w.buf = append(w.buf, `,"meta":{`...)
		started := false
		if sys.VersionID > 0 {
			w.buf = append(w.buf, `"versionId":`...)
			w.buf = strconv.AppendQuote(w.buf, strconv.FormatInt(sys.VersionID, 10))
			started = true
		}
		if !sys.LastUpdated.IsZero() {
			if started {
				w.buf = append(w.buf, ',')
			}
			w.buf = append(w.buf, `"lastUpdated":`...)
			w.buf = strconv.AppendQuote(w.buf, FormatInstant(sys.LastUpdated))
			started = true
		}
		if m := d.get(root, "meta"); m >= 0 && d.nodes[m].kind == kObject {
			w.members(m, metaField.Fields, started)
		}
		w.buf = append(w.buf, '}')
	} else if m := d.get(root, "meta"); m >= 0 && d.nodes[m].kind == kObject {
		w.buf = append(w.buf, `,"meta":{`...)
		w.members(m, metaField.Fields, false)
		w.buf = append(w.buf, '}')
	}
	w.skip = metaField
	w.members(root, s.Fields, true)
	w.buf = append(w.buf, '}')
	return w.buf, w.err
}

type rowWriter struct {
	d    *doc
	buf  []byte
	err  error
	skip *Field // a field written by the caller (meta at the top level)
}

func (w *rowWriter) fail(f *Field, msg string) {
	if w.err == nil {
		w.err = fmt.Errorf("denormalize %s: %s", f.Path, msg)
	}
}

// members writes the non-null members of a row object in field order,
// each _name sibling after its element; started says whether a member was
// already written at this level.
func (w *rowWriter) members(obj int32, fields []*Field, started bool) {
	d := w.d
	var prim int32 = -1
	if p := d.get(obj, PrimitiveExtField); p >= 0 && d.nodes[p].kind == kObject {
		prim = p
	}
	// to_json writes the columns in order, so most fields are found by
	// walking the members in step with the fields.
	j, n := int32(0), d.nodes[obj].n
	for _, f := range fields {
		if f.Name == PrimitiveExtField || f == w.skip {
			continue
		}
		v := int32(-1)
		if j < n {
			if k, val := d.member(obj, j); k == f.Name {
				v = val
				j++
			}
		}
		if v < 0 {
			v = d.get(obj, f.Name)
		}
		var literal int32 = -1
		if prim >= 0 {
			literal = d.get(prim, f.Name)
		}
		if v >= 0 && d.nodes[v].kind != kNull {
			if f.Kind == JSON && f.Choice != "" {
				// an open choice: {"valueX": ...} spliced into this level
				if d.nodes[v].kind == kObject {
					for m := int32(0); m < d.nodes[v].n; m++ {
						k, val := d.member(v, m)
						w.key(k, &started)
						w.buf = append(w.buf, d.raw(val)...)
					}
				}
				continue
			}
			w.key(f.Name, &started)
			w.value(f, v, literal)
		}
		if prim >= 0 && f.Kind == Primitive {
			if ext := d.get(prim, "_"+f.Name); ext >= 0 {
				w.key("_"+f.Name, &started)
				w.buf = append(w.buf, d.raw(ext)...)
			}
		}
	}
}

func (w *rowWriter) key(name string, started *bool) {
	if *started {
		w.buf = append(w.buf, ',')
	}
	*started = true
	w.buf = appendQuoted(w.buf, name)
	w.buf = append(w.buf, ':')
}

// value writes one field's value; literal, when not -1, holds the exact
// text kept in _primitive (a string, or for a list an array of them).
func (w *rowWriter) value(f *Field, v int32, literal int32) {
	d := w.d
	if f.Kind == JSON {
		w.buf = append(w.buf, d.raw(v)...)
		return
	}
	if !f.Many {
		w.one(f, v, literal)
		return
	}
	nd := d.nodes[v]
	if nd.kind != kArray {
		w.fail(f, "expected a list")
		return
	}
	w.buf = append(w.buf, '[')
	for j := int32(0); j < nd.n; j++ {
		if j > 0 {
			w.buf = append(w.buf, ',')
		}
		lit := int32(-1)
		if literal >= 0 && d.nodes[literal].kind == kArray && j < d.nodes[literal].n {
			lit = d.elem(literal, j)
		}
		w.one(f, d.elem(v, j), lit)
	}
	w.buf = append(w.buf, ']')
}

func (w *rowWriter) one(f *Field, v int32, literal int32) {
	d := w.d
	nd := d.nodes[v]
	if nd.kind == kNull {
		w.buf = append(w.buf, "null"...)
		return
	}
	if f.Kind == Struct {
		if nd.kind != kObject {
			w.fail(f, "expected an object")
			return
		}
		w.buf = append(w.buf, '{')
		w.members(v, f.Fields, false)
		w.buf = append(w.buf, '}')
		return
	}
	if literal >= 0 && d.nodes[literal].kind == kString {
		if f.Type == "decimal" {
			w.buf = append(w.buf, d.nodes[literal].str...)
		} else {
			w.buf = append(w.buf, d.raw(literal)...)
		}
		return
	}
	switch f.Type {
	case "decimal":
		x, err := strconv.ParseFloat(string(d.raw(v)), 64)
		if err != nil {
			w.fail(f, "bad number "+string(d.raw(v)))
			return
		}
		w.buf = append(w.buf, FormatDecimal(x)...)
	case "instant":
		if nd.kind != kString {
			w.fail(f, "expected a timestamp")
			return
		}
		t, err := ParseDuckTimestamp(nd.str)
		if err != nil {
			w.fail(f, err.Error())
			return
		}
		w.buf = strconv.AppendQuote(w.buf, FormatInstant(t))
	default:
		w.buf = append(w.buf, d.raw(v)...)
	}
}

// ParseDuckTimestamp reads a TIMESTAMPTZ as DuckDB writes it in UTC
// ("2019-02-05 21:35:48.87+00"), or as RFC 3339.
func ParseDuckTimestamp(s string) (time.Time, error) {
	if t, err := time.Parse("2006-01-02 15:04:05.999999999-07", s); err == nil {
		return t, nil
	}
	if t, err := time.Parse("2006-01-02 15:04:05.999999999-07:00", s); err == nil {
		return t, nil
	}
	return time.Parse(time.RFC3339Nano, s)
}
