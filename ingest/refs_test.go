package ingest

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestRewriteRefs(t *testing.T) {
	src := `{"resourceType":"Encounter","subject":{"reference":"urn:uuid:1","display":"reference"},
"participant":[{"individual":{"reference":"Practitioner?identifier=a|b"}}],"reference":"keep-top? no: replaced too",
"note":[{"text":"{\"reference\":\"urn:uuid:1\"}"}],"extension":[{"url":"x","valueReference":{"reference":"urn:uuid:\u0032"}}],
"n":1.5e3,"b":true,"z":null,"arr":[["reference"],{"reference":7}]}`
	got, err := rewriteRefs([]byte(src), func(ref string) (string, bool, error) {
		switch ref {
		case "urn:uuid:1":
			return "Patient/1", true, nil
		case "urn:uuid:2":
			return "Patient/\"2\"", true, nil
		case "Practitioner?identifier=a|b":
			return "Practitioner/p", true, nil
		}
		return "", false, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("%v: %s", err, got)
	}
	want := strings.NewReplacer(`"urn:uuid:1","display"`, `"Patient/1","display"`, `"Practitioner?identifier=a|b"`, `"Practitioner/p"`,
		`"urn:uuid:\u0032"`, `"Patient/\"2\""`).Replace(src)
	json.Unmarshal([]byte(want), &w)
	if !reflect.DeepEqual(g, w) {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	same := []byte(`{"a":{"reference":"Patient/1"}}`)
	if out, _ := rewriteRefs(same, func(string) (string, bool, error) { return "", false, nil }); &out[0] != &same[0] {
		t.Error("unchanged input was copied")
	}
	for _, bad := range []string{`{"reference":"x"`, `{"a":"b}`, `]`, `{"a":[1,2}}`} {
		if _, err := rewriteRefs([]byte(bad), func(string) (string, bool, error) { return "y", true, nil }); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}

func FuzzRewriteRefs(f *testing.F) {
	for _, s := range []string{`{"reference":"urn:uuid:1"}`, `{"a":[{"reference":"x"},"reference"]}`, `{"reference":"\u00e9\n"}`, `[1,{"b":null}]`, `{"reference":`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		out, err := rewriteRefs(src, func(ref string) (string, bool, error) { return "R/" + ref, true, nil })
		if err != nil || !json.Valid(src) {
			return
		}
		if !json.Valid(out) {
			t.Fatalf("valid input %q gave invalid output %q", src, out)
		}
	})
}

func TestParseSearch(t *testing.T) {
	for _, c := range []struct {
		in   string
		want condQuery
		err  string
	}{
		{"identifier=http://hl7.org/fhir/sid/us-npi|9999999999", condQuery{typ: "Practitioner", system: "http://hl7.org/fhir/sid/us-npi", value: "9999999999"}, ""},
		{"identifier=abc", condQuery{typ: "Practitioner", value: "abc", anySystem: true}, ""},
		{"identifier=|abc", condQuery{typ: "Practitioner", value: "abc"}, ""},
		{"identifier=s%7Cv", condQuery{typ: "Practitioner", system: "s", value: "v"}, ""},
		{`identifier=s|a\|b`, condQuery{typ: "Practitioner", system: "s", value: "a|b"}, ""},
		{"name=Smith", condQuery{}, "only identifier"},
		{"identifier=a&name=b", condQuery{}, "several parameters"},
		{"identifier=s|", condQuery{}, "no identifier value"},
		{"identifier=%zz", condQuery{}, "invalid URL escape"},
	} {
		got, err := parseSearch("Practitioner", c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: %v, want error with %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%s: %+v %v, want %+v", c.in, got, err, c.want)
		}
	}
}

func FuzzParseConditional(f *testing.F) {
	for _, s := range []string{"Practitioner?identifier=a|b", "Patient?identifier=x", "X?identifier=%7C", "?", "A?b=c&d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, ref string) {
		q, err := parseConditional(ref)
		if err == nil && (q.typ == "" || q.value == "") {
			t.Fatalf("%q parsed to %+v", ref, q)
		}
	})
}

// FuzzAppendJSONString checks that appendJSONString writes a JSON string
// that decodes to its input (invalid UTF-8 as U+FFFD, as encoding/json).
func FuzzAppendJSONString(f *testing.F) {
	for _, s := range []string{"", "Patient/1", "a\"b\\c", "tab\there\nline\r", "\x00\x1f", "héllo ☃", "bad \xff utf-8", "s3://bucket/key with spaces.ndjson"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := appendJSONString([]byte("x"), s)
		if out[0] != 'x' {
			t.Fatalf("prefix lost: %q", out)
		}
		var got string
		if err := json.Unmarshal(out[1:], &got); err != nil {
			t.Fatalf("%q gives %q: %v", s, out[1:], err)
		}
		var want strings.Builder // each invalid byte becomes one U+FFFD
		for i := 0; i < len(s); {
			r, n := utf8.DecodeRuneInString(s[i:])
			want.WriteRune(r)
			i += n
		}
		if got != want.String() {
			t.Fatalf("%q decodes to %q, want %q", s, got, want.String())
		}
	})
}
