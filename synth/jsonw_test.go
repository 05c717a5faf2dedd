package synth

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzAppendQuoted: every string the writer quotes is a JSON string that
// decodes to the same text (invalid UTF-8 becomes U+FFFD, as in encoding/json).
func FuzzAppendQuoted(f *testing.F) {
	for _, s := range []string{"", "plain", `quote " and \ backslash`, "tab\tnew\nline\r", "\x00\x1f\x7f", "Café ü 漢字 🙂", "bad \xff utf8", "</script>&"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b := appendQuoted(nil, s)
		var got string
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("%q quoted as %s: %v", s, b, err)
		}
		want := strings.ToValidUTF8(s, "\ufffd")
		if !utf8.ValidString(s) {
			// encoding/json replaces each invalid byte; compare that way.
			want = string([]rune(s))
		}
		if got != want {
			t.Fatalf("%q quoted as %s decodes to %q", s, b, got)
		}
	})
}

// FuzzAppendDecimal: decimals are valid JSON numbers (FHIR decimal has no
// NaN, no Infinity, no exponent needed) close to the value.
func FuzzAppendDecimal(f *testing.F) {
	for _, v := range []float64{0, -0.0, 1, 0.1, 123.456, -98.7654, 1e6, 1e-7, 183.14949693668842} {
		f.Add(v, 2)
	}
	f.Fuzz(func(t *testing.T, v float64, places int) {
		if math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) > 1e12 || places < 0 || places > 6 {
			return
		}
		b := appendDecimal(nil, v, places)
		var got float64
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("%v as %s: %v", v, b, err)
		}
		if strings.ContainsAny(string(b), "eE") || string(b) == "-0" {
			t.Fatalf("%v written as %s", v, b)
		}
		if math.Abs(got-v) > math.Pow10(-places)/2+1e-9*math.Abs(v) {
			t.Fatalf("%v written as %s with %d places", v, b, places)
		}
	})
}
