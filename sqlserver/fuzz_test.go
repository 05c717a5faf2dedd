package sqlserver

import (
	"context"
	"reflect"
	"strings"
	"testing"

	ast "github.com/dolthub/vitess/go/vt/sqlparser"
)

func FuzzParseDuckType(f *testing.F) {
	for _, s := range []string{
		"VARCHAR", "DECIMAL(18,3)", "INTEGER[]", "VARCHAR[3]", `STRUCT("use" VARCHAR, given VARCHAR[])[]`,
		"MAP(VARCHAR, INTEGER)", "TIMESTAMP WITH TIME ZONE", `STRUCT("a""b" INTEGER)`, "UNION(a INTEGER, b VARCHAR)",
		"ENUM('a', 'b')", "STRUCT(", "[]", "DECIMAL(x,1)",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		typ, err := parseDuckType(s)
		if err != nil {
			return
		}
		// What we print, we read back the same.
		again, err := parseDuckType(typ.String())
		if err != nil {
			t.Fatalf("%q printed as %q, which does not parse: %v", s, typ.String(), err)
		}
		if !reflect.DeepEqual(typ, again) {
			t.Fatalf("%q -> %q -> different type", s, typ.String())
		}
		_ = typ.mysqlType()
	})
}

func FuzzParseJSONPath(f *testing.F) {
	for _, s := range []string{"$", "$.a", `$."b c"[3]`, "$[*].x", "$**.y", "$[last-1]", "$.a.*", "$[", `$."x`, "$.1a"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		steps, err := parseJSONPath(s)
		if err != nil {
			return
		}
		if len(steps) > maxPathSteps {
			t.Fatalf("%d steps", len(steps))
		}
		// A path over a typed column never yields broken SQL quoting.
		typ, _ := parseDuckType(`STRUCT(a VARCHAR, b STRUCT(c INTEGER[])[])[]`)
		if out, ok := nativePath(`"col"`, typ, steps); ok && strings.Count(out.sql, `"`)%2 != 0 {
			t.Fatalf("unbalanced quotes in %s", out.sql)
		}
		p := duckJSONPath(steps)
		if !strings.HasPrefix(p, "$") {
			t.Fatalf("bad DuckDB path %q", p)
		}
	})
}

func FuzzKeepPatternEscapes(f *testing.F) {
	for _, s := range []string{`SELECT 'a\_b'`, `'\\_'`, "`\\_`", `/* '\_ */`, `"\%`, `-- \_`, `'it''s\%'`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := keepPatternEscapes(s)
		if !strings.Contains(s, `\`) && out != s {
			t.Fatalf("changed a query without backslashes: %q -> %q", s, out)
		}
		if len(out) < len(s) {
			t.Fatalf("lost text: %q -> %q", s, out)
		}
		if strings.ReplaceAll(out, `\\`, `\`) != strings.ReplaceAll(s, `\\`, `\`) &&
			strings.Count(out, `\`) == strings.Count(s, `\`) {
			t.Fatalf("changed more than backslashes: %q -> %q", s, out)
		}
	})
}

// FuzzTranslate: whatever MySQL text arrives, translation does not panic,
// and what it produces DuckDB either rejects or sees as a single SELECT.
func FuzzTranslate(f *testing.F) {
	for _, c := range []string{
		"SELECT id FROM patient WHERE gender = 'female' LIMIT 1, 2",
		"SELECT name->>'$[0].given[0]', COUNT(*) FROM patient GROUP BY 1",
		"SELECT * FROM `condition` c JOIN patient p ON c.subject->>'$.reference' = CONCAT('Patient/', p.id)",
		"WITH t AS (SELECT id FROM observation) SELECT COUNT(*) FROM t",
		"SELECT GROUP_CONCAT(DISTINCT gender) FROM patient",
		"SELECT DATE_FORMAT(birthDate, '%Y') FROM patient UNION SELECT '1'",
		"SELECT 1; DROP TABLE patient",
		"SELECT `x\"; ATTACH 'y'` FROM patient",
		"SELECT 'a''; COPY patient TO ''/tmp/x''' FROM patient",
	} {
		f.Add(c)
	}
	st := newTestStore(f, "s1", "demo", false)
	schema, err := loadSchema(context.Background(), st.db)
	if err != nil {
		f.Fatal(err)
	}
	conn, err := st.db.Conn(context.Background())
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { conn.Close() })
	f.Fuzz(func(t *testing.T, q string) {
		stmt, _, err := parseFirst(context.Background(), q, false, ast.ParserOptions{})
		if err != nil {
			return
		}
		sel, ok := stmt.(ast.SelectStatement)
		if !ok {
			return
		}
		tr := &translator{schema: schema, dbName: "s1", isDB: func(n string) bool { return n == "s1" },
			sess: sessionInfo{DB: "s1", Version: ServerVersion}}
		out, err := tr.statement(sel)
		if err != nil {
			return
		}
		// describe refuses anything but a SELECT; anything else would be a
		// confinement failure.
		if _, _, err := describe(context.Background(), conn, out, false); err != nil && strings.Contains(err.Error(), "only queries are allowed") {
			t.Fatalf("%q translated to a non-query: %s", q, out)
		}
	})
}
