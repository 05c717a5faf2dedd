package fhirpath

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The expression cases live in testdata/cases/*.txt, one per line:
//
//	@resource handmade-patient.json   (input for the lines below; "none": empty input)
//	@var name = <FHIRPath literal>    (an external constant, %name)
//	Patient.birthDate => @1974-12-25  (the result, rendered as FHIRPath literals, ", " between items)
//	{} => {}                          (empty)
//	Patient.birthDate =>types FHIR.date
//	foo() => error: unknown function  (the parse or evaluation error contains the text)
//
// Evaluation uses a fixed clock (2024-03-15T12:30:00Z) and ReferenceStub
// as resolver.
func TestCases(t *testing.T) {
	files, err := filepath.Glob("testdata/cases/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no case files: %v", err)
	}
	total := 0
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) { total += runCaseFile(t, file) })
	}
	if total < 300 {
		t.Errorf("only %d cases ran", total)
	}
}

func runCaseFile(t *testing.T, file string) int {
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var input Collection
	ctx := &Context{
		Now:     time.Date(2024, 3, 15, 12, 30, 0, 0, time.UTC),
		Resolve: ReferenceStub,
		Vars:    map[string]Collection{},
	}
	n := 0
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		if rest, ok := strings.CutPrefix(text, "@resource "); ok {
			input = nil
			if rest != "none" {
				input = Collection{FromJSON(loadJSON(t, filepath.Join("testdata", rest)))}
			}
			continue
		}
		if rest, ok := strings.CutPrefix(text, "@var "); ok {
			name, expr, _ := strings.Cut(rest, " = ")
			v, err := MustParse(expr).Evaluate(ctx, nil)
			if err != nil {
				t.Fatalf("%s:%d: %v", file, line, err)
			}
			ctx.Vars[strings.TrimSpace(name)] = v
			continue
		}
		expr, want, ok := strings.Cut(text, " =>")
		if !ok {
			t.Fatalf("%s:%d: no => in %q", file, line, text)
		}
		n++
		want = strings.TrimSpace(want)
		types := false
		if rest, ok := strings.CutPrefix(want, "types"); ok {
			types, want = true, strings.TrimSpace(rest)
		}
		got, err := evalString(ctx, expr, input, types)
		if errWant, ok := strings.CutPrefix(want, "error:"); ok {
			errWant = strings.TrimSpace(errWant)
			if err == nil {
				t.Errorf("%s:%d: %s = %s, want an error containing %q", filepath.Base(file), line, expr, got, errWant)
			} else if !strings.Contains(err.Error(), errWant) {
				t.Errorf("%s:%d: %s: error %q does not contain %q", filepath.Base(file), line, expr, err, errWant)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s:%d: %s: %v", filepath.Base(file), line, expr, err)
			continue
		}
		if got != want {
			t.Errorf("%s:%d: %s\n got: %s\nwant: %s", filepath.Base(file), line, expr, got, want)
		}
	}
	return n
}

func evalString(ctx *Context, src string, input Collection, types bool) (string, error) {
	e, err := Parse(src)
	if err != nil {
		return "", err
	}
	out, err := e.Evaluate(ctx, input)
	if err != nil {
		return "", err
	}
	if len(out) == 0 {
		return "{}", nil
	}
	parts := make([]string, len(out))
	for i, v := range out {
		if types {
			parts[i] = v.Type().String()
		} else {
			parts[i] = render(v)
		}
	}
	return strings.Join(parts, ", "), nil
}

// render writes a value as a FHIRPath literal; complex values as compact
// JSON.
func render(v Value) string {
	if q, ok := v.data.(Quantity); ok {
		return q.String()
	}
	if v.typ != nil && v.typ.isPrimitive() || v.typ == nil {
		if v.data == nil {
			return "<no value>"
		}
		p, err := v.system()
		if err != nil {
			return "<" + err.Error() + ">"
		}
		switch x := p.(type) {
		case string:
			return quoteString(x)
		case Temporal:
			return x.literal()
		case Decimal:
			return x.String()
		}
		if s, ok := v.toString(); ok {
			return s
		}
	}
	b, _ := json.Marshal(v.data)
	return string(b)
}

func loadJSON(t testing.TB, path string) any {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return v
}
