package viewdef

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite COMPLIANCE.md from this run")

// excluded lists the cases of the official suite that are not run, by
// "file/title", with the reason. Keep it empty unless a case is wrong or
// needs something this package cannot do.
var excluded = map[string]string{}

type suiteFile struct {
	Title     string           `json:"title"`
	Resources []map[string]any `json:"resources"`
	Tests     []suiteCase      `json:"tests"`
}

type suiteCase struct {
	Title         string          `json:"title"`
	Tags          []string        `json:"tags"`
	View          json.RawMessage `json:"view"`
	Expect        []any           `json:"expect"`
	ExpectColumns []string        `json:"expectColumns"`
	ExpectCount   *int            `json:"expectCount"`
	ExpectError   bool            `json:"expectError"`
}

type outcome struct {
	file, title, tags, result, note string
}

// TestSQLOnFHIRSuite runs the SQL on FHIR v2 conformance suite
// (testdata/sql-on-fhir-v2) and checks COMPLIANCE.md against the results.
func TestSQLOnFHIRSuite(t *testing.T) {
	files, err := filepath.Glob("testdata/sql-on-fhir-v2/*.json")
	if err != nil {
		t.Fatal(err)
	}
	var results []outcome
	for _, path := range files {
		if filepath.Base(path) == "tests.schema.json" {
			continue
		}
		var f suiteFile
		dec := json.NewDecoder(bytes.NewReader(mustRead(t, path)))
		dec.UseNumber()
		if err := dec.Decode(&f); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		name := strings.TrimSuffix(filepath.Base(path), ".json")
		for _, c := range f.Tests {
			o := outcome{file: name, title: c.Title, tags: strings.Join(c.Tags, ", ")}
			key := name + "/" + c.Title
			if why, ok := excluded[key]; ok {
				o.result, o.note = "excluded", why
				results = append(results, o)
				continue
			}
			if note, err := runCase(f.Resources, c); err != nil {
				o.result, o.note = "fail", err.Error()
				t.Errorf("%s: %v", key, err)
			} else {
				o.result, o.note = "pass", note
			}
			results = append(results, o)
		}
	}
	if len(results) != 134 {
		t.Errorf("ran %d cases, the suite has 134", len(results))
	}
	report := complianceReport(results)
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
func runCase(resources []map[string]any, c suiteCase) (note string, _ error) {
	var rows []map[string]any
	var cols []Column
	err := func() error {
		v, err := Compile(c.View)
		if err != nil {
			return err
		}
		cols = v.Columns()
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
				for i, col := range cols {
					m[col.Name] = row[i]
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
	if c.ExpectColumns != nil {
		var names []string
		for _, col := range cols {
			names = append(names, col.Name)
		}
		if !slices.Equal(names, c.ExpectColumns) {
			return "", fmt.Errorf("columns %v, want %v", names, c.ExpectColumns)
		}
	}
	if c.ExpectCount != nil && len(rows) != *c.ExpectCount {
		return "", fmt.Errorf("%d rows, want %d", len(rows), *c.ExpectCount)
	}
	if c.Expect == nil {
		return "", nil
	}
	var got, want []string
	for _, r := range rows {
		got = append(got, canonical(r))
	}
	for _, e := range c.Expect {
		m, _ := e.(map[string]any)
		full := map[string]any{}
		for _, col := range cols {
			full[col.Name] = nil
		}
		for k, v := range m {
			full[k] = v
		}
		want = append(want, canonical(full))
	}
	sort.Strings(got)
	sort.Strings(want)
	if !slices.Equal(got, want) {
		return "", fmt.Errorf("rows differ (order ignored)\n got: %s\nwant: %s", strings.Join(got, " "), strings.Join(want, " "))
	}
	return fmt.Sprintf("%d rows", len(rows)), nil
}

// canonical writes a JSON value with numbers in exact rational form, so
// 0.95, 0.950 and 0.95000000 compare equal.
func canonical(v any) string {
	b, _ := json.Marshal(normalize(v))
	return string(b)
}

func normalize(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = normalize(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normalize(e)
		}
		return out
	case json.Number:
		if r, ok := new(big.Rat).SetString(string(x)); ok {
			return "#" + r.RatString()
		}
	case float64:
		return "#" + new(big.Rat).SetFloat64(x).RatString()
	}
	return v
}

func complianceReport(results []outcome) string {
	var b strings.Builder
	counts := map[string]int{}
	shareable := map[string]int{}
	for _, r := range results {
		counts[r.result]++
		if strings.Contains(r.tags, "shareable") {
			shareable[r.result]++
		}
	}
	fmt.Fprintf(&b, "# SQL on FHIR v2 compliance\n\n")
	fmt.Fprintf(&b, "Generated by `go test ./viewdef -update` from the official conformance suite in\n")
	fmt.Fprintf(&b, "`testdata/sql-on-fhir-v2` (see its SOURCE.txt). Rows are compared ignoring order;\n")
	fmt.Fprintf(&b, "numbers by value. Exclusions are listed in `suite_test.go` (`excluded`).\n\n")
	fmt.Fprintf(&b, "| | cases | pass | fail | excluded |\n| --- | --- | --- | --- | --- |\n")
	fmt.Fprintf(&b, "| all | %d | %d | %d | %d |\n", len(results), counts["pass"], counts["fail"], counts["excluded"])
	fmt.Fprintf(&b, "| shareable | %d | %d | %d | %d |\n", shareable["pass"]+shareable["fail"]+shareable["excluded"], shareable["pass"], shareable["fail"], shareable["excluded"])
	fmt.Fprintf(&b, "| experimental | %d | %d | %d | %d |\n\n", len(results)-shareable["pass"]-shareable["fail"]-shareable["excluded"],
		counts["pass"]-shareable["pass"], counts["fail"]-shareable["fail"], counts["excluded"]-shareable["excluded"])
	file := ""
	for _, r := range results {
		if r.file != file {
			file = r.file
			fmt.Fprintf(&b, "\n## %s\n\n| case | tags | result | note |\n| --- | --- | --- | --- |\n", file)
		}
		note := strings.ReplaceAll(strings.ReplaceAll(r.note, "|", "\\|"), "\n", " ")
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", strings.ReplaceAll(r.title, "|", "\\|"), r.tags, r.result, note)
	}
	return b.String()
}

func mustRead(t *testing.T, path string) []byte {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
