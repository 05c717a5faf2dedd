package fhirflat

import (
	"database/sql"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	_ "github.com/duckdb/duckdb-go/v2"
)

// TestLayoutGrowsInDefinitionOrder grows a table from data, then to the
// full type of a field: nested fields come in definition order, so the
// column ends with exactly the field's full type, and stored values stay.
func TestLayoutGrowsInDefinitionOrder(t *testing.T) {
	db, err := sql.Open("duckdb", filepath.Join(t.TempDir(), "l.duckdb"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	s, _ := Default().Schema("Observation")
	nz := Default().NewNormalizer(Strict)
	row, err := nz.Normalize([]byte(`{"resourceType":"Observation","id":"o1","status":"final","code":{"coding":[{"code":"x"}]}}`))
	if err != nil {
		t.Fatal(err)
	}
	exec := func(q string) {
		t.Helper()
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec(s.CreateTable("", false))
	l := NewLayout(s)
	for _, q := range l.Grow(row.Present, "observation") {
		exec(q)
	}
	exec("CREATE TABLE src (id VARCHAR, version_id BIGINT, last_updated TIMESTAMPTZ, row VARCHAR)")
	if _, err := db.Exec("INSERT INTO src VALUES ('o1', 1, now(), ?)", string(row.JSON)); err != nil {
		t.Fatal(err)
	}
	exec("INSERT INTO observation BY NAME " + l.RowsSQL("src p"))
	code := s.Field("code")
	stmts := l.Grow(NeedAll(s, []*Field{code}), "observation")
	if len(stmts) != 4 || !strings.HasPrefix(stmts[0], "CREATE TABLE") || !strings.Contains(stmts[3], "RENAME TO") {
		t.Fatalf("grow statements: %v", stmts)
	}
	for _, q := range stmts {
		exec(q)
	}
	var typ, got string
	if err := db.QueryRow("SELECT data_type FROM duckdb_columns() WHERE table_name = 'observation' AND column_name = 'code'").Scan(&typ); err != nil {
		t.Fatal(err)
	}
	if strings.ReplaceAll(typ, `"`, "") != strings.ReplaceAll(code.SQLType(), `"`, "") {
		t.Errorf("code column is %s\nwant the full type %s", typ, code.SQLType())
	}
	if err := db.QueryRow("SELECT code.coding[1].code FROM observation").Scan(&got); err != nil || got != "x" {
		t.Errorf("value after the rebuild: %q %v", got, err)
	}
	if !l.Covers(NeedAll(s, []*Field{code})) {
		t.Error("layout does not cover what it grew to")
	}
}

// TestNeedIsLean checks what SQL over some fields gets: a STRUCT's
// primitive fields and the listed fields inside it, not its whole type;
// NeedAll gives the whole type.
func TestNeedIsLean(t *testing.T) {
	s, _ := Default().Schema("Observation")
	subject, code := s.Field("subject"), s.Field("code")
	coding := code.Field("coding")
	names := func(b Bits) []string {
		var out []string
		for _, f := range s.BySeq {
			if b.Has(f.Seq) {
				name := f.Name
				for p := f.Parent; p != nil; p = p.Parent {
					name = p.Name + "." + name
				}
				out = append(out, name)
			}
		}
		return out
	}
	lean := names(Need(s, []*Field{subject}))
	for _, want := range []string{"subject", "subject.reference", "subject.type", "subject.display"} {
		if !slices.Contains(lean, want) {
			t.Errorf("Need(subject) lacks %s: %v", want, lean)
		}
	}
	for _, f := range lean {
		if strings.Contains(f, "identifier") {
			t.Errorf("Need(subject) has %s: the identifier STRUCT was not asked for", f)
		}
	}
	if got := names(Need(s, []*Field{code, coding, coding.Field("code")})); !slices.Contains(got, "code.coding.system") {
		t.Errorf("Need(code.coding) lacks the Coding's primitives: %v", got)
	}
	all := names(NeedAll(s, []*Field{subject}))
	if !slices.ContainsFunc(all, func(f string) bool { return strings.Contains(f, "identifier") }) || len(all) <= len(lean) {
		t.Errorf("NeedAll(subject) is not the whole Reference: %v", all)
	}
}
