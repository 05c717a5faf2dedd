package fhirflat

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/fhirlake/fhirlake/internal/fhirgen"
	"github.com/fhirlake/fhirlake/internal/fixtures"
)

// FuzzNormalize feeds arbitrary bytes to the normalizer: it must never
// panic, every failure must be an *Error, and whatever it accepts must come
// back equal through the denormalizer.
func FuzzNormalize(f *testing.F) {
	rs, err := fixtures.Bulk()
	if err != nil {
		f.Fatal(err)
	}
	for i, r := range rs {
		if i%500 == 0 {
			f.Add(r.JSON)
		}
	}
	g := fhirgen.New(Default().Model(), 1, fhirgen.Options{Fill: 0.5})
	for _, typ := range []string{"Patient", "Observation", "Questionnaire", "Bundle", "Parameters"} {
		js, _ := g.Resource(typ)
		f.Add(js)
	}
	f.Add([]byte(`{"resourceType":"Patient","birthDate":"2000","_birthDate":{"extension":[{"url":"u","valueCode":"x"}]}}`))
	f.Add([]byte("{\n \"resourceType\": \"Patient\",\n \"extension\": [ {\"url\": \"u\",\n \"valueString\": \"a b\\n\"} ]\n}"))
	f.Add([]byte(`{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueQuantity":{"value":1.50},"issued":"2019-01-01T00:00:00.000+01:00"}`))
	nz := Default().NewNormalizer(Strict)
	var dn Denormalizer
	f.Fuzz(func(t *testing.T, src []byte) {
		in := bytes.Clone(src)
		row, err := nz.Normalize(in)
		// What the normalizer returns must not share the caller's buffer,
		// which callers reuse for the next line.
		var said, id string
		if err != nil {
			said = strings.Clone(err.Error())
		} else {
			id = strings.Clone(row.ID)
		}
		for i := range in {
			in[i] = '#'
		}
		if err != nil && err.Error() != said || err == nil && row.ID != id {
			t.Fatalf("the result changed with the input buffer: %v, id %q", err, row.ID)
		}
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || len(e.Issues) == 0 {
				t.Fatalf("error %T %v is not an *Error with issues", err, err)
			}
			return
		}
		if bytes.ContainsAny(row.JSON, "\n\r") {
			t.Fatalf("row JSON spans lines: %s", row.JSON)
		}
		out, _, err := dn.Denormalize(nil, row.Schema, row.JSON, SystemFields{ID: row.ID})
		if err != nil {
			t.Fatalf("denormalize of accepted input: %v\nrow: %s", err, row.JSON)
		}
		if d := jsonDiff(src, out); d != "" {
			// Numbers are compared as float64 by jsonDiff, so only real
			// differences remain.
			var probe any
			if json.Unmarshal(src, &probe) == nil {
				t.Fatalf("round trip differs: %s\nin:  %s\nout: %s", d, src, out)
			}
		}
	})
}

// BenchmarkNormalize measures the normalizer on the Synthea bulk fixtures,
// beside a plain encoding/json decode of the same bytes into maps.
func BenchmarkNormalize(b *testing.B) {
	rs, err := fixtures.Bulk()
	if err != nil {
		b.Fatal(err)
	}
	var total int64
	for _, r := range rs {
		total += int64(len(r.JSON))
	}
	b.Run("fhirflat", func(b *testing.B) {
		nz := Default().NewNormalizer(StructureOnly)
		b.SetBytes(total)
		for i := 0; i < b.N; i++ {
			for _, r := range rs {
				if _, err := nz.Normalize(r.JSON); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.SetBytes(total)
		for i := 0; i < b.N; i++ {
			for _, r := range rs {
				var m map[string]any
				if err := json.Unmarshal(r.JSON, &m); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}

// BenchmarkDenormalize measures the way back from row JSON.
func BenchmarkDenormalize(b *testing.B) {
	rs, err := fixtures.Bulk()
	if err != nil {
		b.Fatal(err)
	}
	nz := Default().NewNormalizer(Strict)
	type item struct {
		s   *Schema
		row []byte
	}
	var rows []item
	var total int64
	for _, r := range rs {
		row, err := nz.Normalize(r.JSON)
		if err != nil {
			b.Fatal(err)
		}
		rows = append(rows, item{row.Schema, append([]byte(nil), row.JSON...)})
		total += int64(len(r.JSON))
	}
	var dn Denormalizer
	b.SetBytes(total)
	b.ResetTimer()
	var buf []byte
	for i := 0; i < b.N; i++ {
		for _, it := range rows {
			buf, _, err = dn.Denormalize(buf[:0], it.s, it.row, SystemFields{ID: "x", VersionID: 1})
			if err != nil {
				b.Fatal(err)
			}
		}
	}
}

// FuzzAppendQuoted: appendQuoted writes what strconv.AppendQuote writes.
func FuzzAppendQuoted(f *testing.F) {
	for _, s := range []string{"", "code", "valueQuantity", "a\"b", `a\b`, "tab\there", "é", "\x7f", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := appendQuoted([]byte("x"), s), strconv.AppendQuote([]byte("x"), s); !bytes.Equal(got, want) {
			t.Fatalf("appendQuoted(%q) = %s, want %s", s, got, want)
		}
	})
}
