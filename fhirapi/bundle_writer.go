package fhirapi

import (
	"bytes"
	"encoding/json"
	"strconv"
	"time"

	"github.com/fhirlake/fhirlake/fhirflat"
)

// bundleWriter builds a Bundle's JSON around resources that are already
// JSON, without decoding them.
type bundleWriter struct {
	buf     []byte
	entries int
}

type link struct {
	Relation string `json:"relation"`
	URL      string `json:"url"`
}

func newBundle(typ string, total int, links []link) *bundleWriter {
	b := &bundleWriter{}
	b.buf = append(b.buf, `{"resourceType":"Bundle","id":`...)
	b.buf = strconv.AppendQuote(b.buf, NewID())
	b.buf = append(b.buf, `,"meta":{"lastUpdated":`...)
	b.buf = strconv.AppendQuote(b.buf, fhirflat.FormatInstant(time.Now().UTC().Truncate(time.Millisecond)))
	b.buf = append(b.buf, `},"type":`...)
	b.buf = strconv.AppendQuote(b.buf, typ)
	if total >= 0 {
		b.buf = append(b.buf, `,"total":`...)
		b.buf = strconv.AppendInt(b.buf, int64(total), 10)
	}
	if len(links) > 0 {
		b.buf = append(b.buf, `,"link":`...)
		b.buf = appendJSON(b.buf, links)
	}
	b.buf = append(b.buf, `,"entry":[`...)
	return b
}

// entry appends an entry; resource is raw JSON (nil for none), the other
// parts are marshalled.
func (b *bundleWriter) entry(fullURL string, resource []byte, extra map[string]any) {
	if b.entries > 0 {
		b.buf = append(b.buf, ',')
	}
	b.entries++
	b.buf = append(b.buf, '{')
	started := false
	if fullURL != "" {
		b.buf = append(b.buf, `"fullUrl":`...)
		b.buf = strconv.AppendQuote(b.buf, fullURL)
		started = true
	}
	if resource != nil {
		if started {
			b.buf = append(b.buf, ',')
		}
		b.buf = append(b.buf, `"resource":`...)
		b.buf = append(b.buf, resource...)
		started = true
	}
	for _, k := range []string{"search", "request", "response"} {
		v, ok := extra[k]
		if !ok {
			continue
		}
		if started {
			b.buf = append(b.buf, ',')
		}
		b.buf = strconv.AppendQuote(b.buf, k)
		b.buf = append(b.buf, ':')
		b.buf = appendJSON(b.buf, v)
		started = true
	}
	b.buf = append(b.buf, '}')
}

func (b *bundleWriter) finish() []byte {
	if b.entries == 0 {
		// an empty entry list is not allowed in FHIR JSON
		b.buf = b.buf[:len(b.buf)-len(`,"entry":[`)]
		return append(b.buf, '}')
	}
	return append(b.buf, "]}"...)
}

// appendJSON appends v as JSON, without escaping <, > and & (URLs).
func appendJSON(buf []byte, v any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	return append(buf, bytes.TrimRight(b.Bytes(), "\n")...)
}
