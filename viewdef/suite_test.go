package viewdef

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/fhirlake/fhirlake/internal/sofsuite"
)

var update = flag.Bool("update", false, "rewrite COMPLIANCE.md from this run")

// excluded lists the cases of the official suite that are not run, by
// "file/title", with the reason. Keep it empty unless a case is wrong or
// needs something this package cannot do.
var excluded = map[string]string{}

// TestSQLOnFHIRSuite runs the SQL on FHIR v2 conformance suite
// (testdata/sql-on-fhir-v2) and checks COMPLIANCE.md against the results.
func TestSQLOnFHIRSuite(t *testing.T) {
	files, err := sofsuite.Load("testdata/sql-on-fhir-v2")
	if err != nil {
		t.Fatal(err)
	}
	var results []sofsuite.Outcome
	for _, f := range files {
		for _, c := range f.Tests {
			o := sofsuite.Outcome{File: f.Name, Title: c.Title, Tags: strings.Join(c.Tags, ", ")}
			key := f.Name + "/" + c.Title
			if why, ok := excluded[key]; ok {
				o.Result, o.Note = "excluded", why
				results = append(results, o)
				continue
			}
			if note, err := runCase(f.Resources, c); err != nil {
				o.Result, o.Note = "fail", err.Error()
				t.Errorf("%s: %v", key, err)
			} else {
				o.Result, o.Note = "pass", note
			}
			results = append(results, o)
		}
	}
	if len(results) != 134 {
		t.Errorf("ran %d cases, the suite has 134", len(results))
	}
	report := sofsuite.Report("SQL on FHIR v2 compliance", "go test ./viewdef -update", "`viewdef/suite_test.go` (`excluded`)", results)
	if *update {
		if err := os.WriteFile("COMPLIANCE.md", []byte(report), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if old, err := os.ReadFile("COMPLIANCE.md"); err != nil || string(old) != report {
		t.Errorf("COMPLIANCE.md does not match this run; regenerate it with go test ./viewdef -update")
	}
}

// runCase evaluates one case and says how it differs from what it expects.
// For a case that expects an error, note is the error given.
func runCase(resources []map[string]any, c sofsuite.Case) (note string, _ error) {
	var rows []map[string]any
	var names []string
	err := func() error {
		v, err := Compile(c.View)
		if err != nil {
			return err
		}
		for _, col := range v.Columns() {
			names = append(names, col.Name)
		}
		for _, r := range resources {
			if r["resourceType"] != v.Resource {
				continue
			}
			out, err := v.Rows(r)
			if err != nil {
				return err
			}
			for _, row := range out {
				m := map[string]any{}
				for i, name := range names {
					m[name] = row[i]
				}
				rows = append(rows, m)
			}
		}
		return nil
	}()
	if c.ExpectError {
		if err == nil {
			return "", fmt.Errorf("expected an error, got %d rows", len(rows))
		}
		return "error: " + err.Error(), nil
	}
	if err != nil {
		return "", err
	}
	return sofsuite.Check(c, names, rows)
}
