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

// TestRefKeyInSQL checks that the SQL macro fhir_ref_key and RefKey agree,
// and that a reference and its absolute and versioned forms share a key.
func TestRefKeyInSQL(t *testing.T) {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range Macros {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	refs := []string{
		"Patient/p1", "https://fhir.example/r4/Patient/p1", "http://other.example/fhir/Patient/p1",
		"Patient/p1/_history/2", "https://fhir.example/r4/Patient/p1/_history/7",
		"urn:uuid:0c3d6d5e-1f0b-4e63-9a38-4a6b0f6f2b11", "#contained", "", "Patient/", "ünïcode 'quoted'",
		"https://fhir.example/r4/Patient/" + strings.Repeat("x", 65),
	}
	for _, r := range refs {
		var got int64
		if err := db.QueryRow("SELECT fhir_ref_key(?)", r).Scan(&got); err != nil {
			t.Fatal(r, err)
		}
		if got != RefKey(r) {
			t.Errorf("fhir_ref_key(%q) = %d, RefKey = %d", r, got, RefKey(r))
		}
	}
	for _, r := range refs[1:5] {
		if RefKey(r) != RefKey("Patient/p1") {
			t.Errorf("%q has another key than Patient/p1", r)
		}
	}
	if RefKey("Patient/p2") == RefKey("Patient/p1") || RefKey("Group/p1") == RefKey("Patient/p1") {
		t.Error("different references share a key")
	}
}

// TestLayoutRecordsKeyColumns checks that a grown single Reference gets a
// key column, that the layout's JSON keeps which columns have one, and
// that a layout written before key columns existed has none.
func TestLayoutRecordsKeyColumns(t *testing.T) {
	s, err := Default().Schema("Observation")
	if err != nil {
		t.Fatal(err)
	}
	need := NewBits(s)
	for _, name := range []string{"subject", "performer", "status"} {
		need.Set(s.Field(name).Seq)
	}
	need.Set(s.Field("subject").Field("reference").Seq)
	l := NewLayout(s)
	stmts := strings.Join(l.Grow(need, "t"), ";\n")
	if !strings.Contains(stmts, `ADD COLUMN "subject__key" BIGINT`) || strings.Contains(stmts, "performer__key") || strings.Contains(stmts, "status__key") {
		t.Errorf("key columns: want one for subject only:\n%s", stmts)
	}
	if got := l.KeysSQL("k"); got != `, fhir_ref_key(k."subject".reference) AS "subject__key"` {
		t.Errorf("KeysSQL = %s", got)
	}
	data, err := l.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseLayout(s, data)
	if err != nil {
		t.Fatal(err)
	}
	if back.KeysSQL("k") != l.KeysSQL("k") {
		t.Errorf("the key column is lost in %s", data)
	}
	old, err := ParseLayout(s, []byte(`[{"n":"status"},{"n":"subject","c":[{"n":"reference"}]}]`))
	if err != nil {
		t.Fatal(err)
	}
	if got := old.KeysSQL("k"); got != "" {
		t.Errorf("a layout without key columns computes %s", got)
	}
	if _, err := ParseLayout(s, []byte(`[{"n":"status","k":true}]`)); err == nil {
		t.Error("a key column on a code is accepted")
	}
}
