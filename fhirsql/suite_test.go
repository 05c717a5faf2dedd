package fhirsql

import (
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/fhirlake/fhirlake/fhirflat"
	"github.com/fhirlake/fhirlake/internal/sofsuite"
	"github.com/fhirlake/fhirlake/viewdef"
)

var update = flag.Bool("update", false, "rewrite COMPLIANCE.md from this run")

// suiteDir is the official SQL on FHIR v2 suite, kept once in the
// repository with the Go runner's tests.
const suiteDir = "../viewdef/testdata/sql-on-fhir-v2"

// excluded lists the cases of the suite that are not run through SQL, by
// "file/title", with the precise reason.
var excluded = map[string]string{}

// TestSQLOnFHIRSuite compiles every view of the official suite to SQL,
// runs it in DuckDB over the suite's resources stored by fhirflat (through
// CREATE VIEW, as the engine does) and checks the rows against the
// expectations. COMPLIANCE.md is the report.
func TestSQLOnFHIRSuite(t *testing.T) {
	files, err := sofsuite.Load(suiteDir)
	if err != nil {
		t.Fatal(err)
	}
	b := fhirflat.Default()
	var results []sofsuite.Outcome
	for _, f := range files {
		db := openDB(t)
		var raws [][]byte
		for _, r := range f.Resources {
			raw, err := json.Marshal(r)
			if err != nil {
				t.Fatal(err)
			}
			raws = append(raws, raw)
		}
		minimal := map[string]string{}
		for _, l := range load(t, db, b, raws) {
			if l.Minimal != "" {
				minimal[l.Type] += fmt.Sprintf(" %s/%s (%s);", l.Type, l.ID, l.Minimal)
			}
		}
		for i, c := range f.Tests {
			o := sofsuite.Outcome{File: f.Name, Title: c.Title, Tags: strings.Join(c.Tags, ", ")}
			key := f.Name + "/" + c.Title
			if why, ok := excluded[key]; ok {
				o.Result, o.Note = "excluded", why
				results = append(results, o)
				continue
			}
			note, err := runSQLCase(db, fmt.Sprintf("v_%s_%d", f.Name, i), c, b)
			if err != nil {
				o.Result, o.Note = "fail", err.Error()
				t.Errorf("%s: %v", key, err)
			} else {
				o.Result, o.Note = "pass", note
				if m := minimal[viewResource(c)]; m != "" && !c.ExpectError {
					o.Note += "; stored at Minimal:" + strings.TrimSuffix(m, ";")
				}
			}
			results = append(results, o)
		}
	}
	if len(results) != 134 {
		t.Errorf("ran %d cases, the suite has 134", len(results))
	}
	report := sofsuite.Report("SQL on FHIR v2 compliance of the SQL compiler", "go test ./fhirsql -run TestSQLOnFHIRSuite -update",
		"`fhirsql/suite_test.go` (`excluded`); such views return an *Error from CompileView and run in Go", results)
	if *update {
		if err := os.WriteFile("COMPLIANCE.md", []byte(report), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if old, err := os.ReadFile("COMPLIANCE.md"); err != nil || string(old) != report {
		t.Errorf("COMPLIANCE.md does not match this run; regenerate it with go test ./fhirsql -run TestSQLOnFHIRSuite -update")
	}
}

func viewResource(c sofsuite.Case) string {
	var v struct{ Resource string }
	_ = json.Unmarshal(c.View, &v)
	return v.Resource
}

// runSQLCase compiles one case's view, creates it as a DuckDB view and
// reads it. For a case that expects an error, note is the error given.
func runSQLCase(db *sql.DB, name string, c sofsuite.Case, b *fhirflat.Builder) (note string, _ error) {
	var rows []map[string]any
	var names []string
	err := func() error {
		v, err := viewdef.Compile(c.View)
		if err != nil {
			return err
		}
		vs, err := CompileView(v, b)
		if err != nil {
			return err
		}
		if _, err := db.Exec("CREATE VIEW " + ident(name) + " AS " + vs.SQL); err != nil {
			return fmt.Errorf("create view: %w\n%s", err, vs.SQL)
		}
		cols, out, err := queryJSON(db, "SELECT * FROM "+ident(name))
		if err != nil {
			return fmt.Errorf("query: %w\n%s", err, vs.SQL)
		}
		for i, col := range vs.Columns {
			if cols[i] != col.Name {
				return fmt.Errorf("column %d is %s, want %s", i, cols[i], col.Name)
			}
		}
		if err := checkTypes(db, name, vs); err != nil {
			return err
		}
		names = cols
		for _, r := range out {
			m := map[string]any{}
			for i, n := range names {
				m[n] = r[i]
			}
			rows = append(rows, m)
		}
		return nil
	}()
	if c.ExpectError {
		if err == nil {
			return "", fmt.Errorf("expected an error, got %d rows", len(rows))
		}
		msg, _, _ := strings.Cut(err.Error(), "\n") // without the SQL
		return "error: " + msg, nil
	}
	if err != nil {
		return "", err
	}
	return sofsuite.Check(c, names, rows)
}

// checkTypes compares the DuckDB types of a view's columns with those
// CompileView reports.
func checkTypes(db *sql.DB, view string, vs *ViewSQL) error {
	rows, err := db.Query("SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position", view)
	if err != nil {
		return err
	}
	defer rows.Close()
	got := map[string]string{}
	for rows.Next() {
		var n, t string
		if err := rows.Scan(&n, &t); err != nil {
			return err
		}
		got[n] = t
	}
	var diffs []string
	for _, col := range vs.Columns {
		if !sameType(got[col.Name], col.SQLType) {
			diffs = append(diffs, fmt.Sprintf("%s is %s, reported %s", col.Name, got[col.Name], col.SQLType))
		}
	}
	sort.Strings(diffs)
	if len(diffs) > 0 {
		return fmt.Errorf("column types: %s", strings.Join(diffs, "; "))
	}
	return rows.Err()
}

// sameType compares type names ignoring spacing and quoting.
func sameType(a, b string) bool {
	norm := func(s string) string {
		return strings.ToUpper(strings.NewReplacer(" ", "", `"`, "", "TIMESTAMPWITHTIMEZONE", "TIMESTAMPTZ").Replace(s))
	}
	return norm(a) == norm(b)
}
