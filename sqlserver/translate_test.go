package sqlserver

import (
	"context"
	"strings"
	"testing"

	ast "github.com/dolthub/vitess/go/vt/sqlparser"
)

// translateOne translates a MySQL query over the empty fixture schema.
func translateOne(t testing.TB, schema *storeSchema, q string) (string, error) {
	t.Helper()
	stmt, err := ast.Parse(keepPatternEscapes(q))
	if err != nil {
		t.Fatalf("parse %q: %v", q, err)
	}
	sel, ok := stmt.(ast.SelectStatement)
	if !ok {
		t.Fatalf("%q is not a SELECT", q)
	}
	tr := &translator{
		schema: schema,
		dbName: "s1",
		isDB:   func(n string) bool { return n == "s1" || n == "demo" },
		sess:   sessionInfo{DB: "s1", User: "AKIDALICE", Version: ServerVersion},
	}
	return tr.statement(sel)
}

// TestTranslate checks the DuckDB text produced for each MySQL construct.
// Semantics are checked by executing cases (testdata/cases.txt); this table
// pins down how each construct is translated.
func TestTranslate(t *testing.T) {
	st := newTestStore(t, "s1", "demo", false)
	schema, err := loadSchema(context.Background(), st.db)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct{ mysql, duck string }{
		{"SELECT `id` FROM `patient`", `SELECT "id" AS "id" FROM main."patient" AS "patient"`},
		{"SELECT id FROM patient LIMIT 5, 10", `SELECT "id" AS "id" FROM main."patient" AS "patient" LIMIT 10 OFFSET 5`},
		{"SELECT p.id FROM s1.patient p", `SELECT "p"."id" AS "id" FROM main."patient" AS "p"`},
		{"SELECT count(*) FROM patient", `SELECT count(*) AS "count(*)" FROM main."patient" AS "patient"`},
		{"SELECT IFNULL(gender, 'u') g FROM patient", `SELECT coalesce("gender", 'u') AS "g" FROM main."patient" AS "patient"`},
		{"SELECT IF(active, 1, 0) a FROM patient", `SELECT CASE WHEN "active" THEN 1 ELSE 0 END AS "a" FROM main."patient" AS "patient"`},
		{"SELECT DATE_FORMAT(birthDate, '%Y-%m-%d %H:%i') d FROM patient", `SELECT strftime(TRY_CAST("birthDate" AS TIMESTAMP), '%Y-%m-%d %H:%M') AS "d" FROM main."patient" AS "patient"`},
		{"SELECT DATE_FORMAT(last_updated, '%e %b') d FROM patient", `SELECT strftime(CAST("last_updated" AS TIMESTAMP), '%-d %b') AS "d" FROM main."patient" AS "patient"`},
		{"SELECT CAST(gender AS CHAR) c FROM patient", `SELECT CAST("gender" AS VARCHAR) AS "c" FROM main."patient" AS "patient"`},
		{"SELECT CAST(meta AS CHAR) c FROM patient", `SELECT CAST(CAST(to_json("meta") AS VARCHAR) AS VARCHAR) AS "c" FROM main."patient" AS "patient"`},
		{"SELECT CAST(1.5 AS DECIMAL(5,2)) c", `SELECT TRY_CAST(1.5 AS DECIMAL(5,2)) AS "c"`},
		{"SELECT id FROM patient WHERE gender REGEXP '^f'", `SELECT "id" AS "id" FROM main."patient" AS "patient" WHERE regexp_matches("gender", '^f')`},
		{"SELECT id FROM patient WHERE gender NOT REGEXP '^f'", `SELECT "id" AS "id" FROM main."patient" AS "patient" WHERE (NOT regexp_matches("gender", '^f'))`},
		{"SELECT id FROM patient WHERE gender LIKE 'f%'", `SELECT "id" AS "id" FROM main."patient" AS "patient" WHERE ("gender" LIKE 'f%')`},
		{"SELECT id FROM patient WHERE gender LIKE 'f\\_%'", `SELECT "id" AS "id" FROM main."patient" AS "patient" WHERE ("gender" LIKE 'f\_%' ESCAPE '\')`},
		{"SELECT GROUP_CONCAT(id) g FROM patient", `SELECT string_agg(CAST("id" AS VARCHAR), ',') AS "g" FROM main."patient" AS "patient"`},
		{"SELECT GROUP_CONCAT(id ORDER BY id DESC SEPARATOR '|') g FROM patient", `SELECT string_agg(CAST("id" AS VARCHAR), '|' ORDER BY "id" DESC NULLS LAST) AS "g" FROM main."patient" AS "patient"`},
		{"SELECT GROUP_CONCAT(DISTINCT gender ORDER BY gender) g FROM patient", `SELECT array_to_string(list_sort(list_distinct(list("gender")), 'ASC'), ',') AS "g" FROM main."patient" AS "patient"`},
		{"SELECT name->>'$[0].family' f FROM patient", `SELECT (("name")[1])."family" AS "f" FROM main."patient" AS "patient"`},
		{"SELECT name->'$[0].given' f FROM patient", `SELECT to_json((("name")[1])."given") AS "f" FROM main."patient" AS "patient"`},
		{"SELECT JSON_EXTRACT(code, '$.coding[0].code') c FROM observation", `SELECT ((("code")."coding")[1])."code" AS "c" FROM main."observation" AS "observation"`},
		{"SELECT JSON_UNQUOTE(JSON_EXTRACT(meta, '$.profile[last]')) c FROM patient", `SELECT (("meta")."profile")[-1] AS "c" FROM main."patient" AS "patient"`},
		{"SELECT code->>'$.coding[*].code' c FROM observation", `SELECT CAST(to_json([(x)."code" FOR x IN ("code")."coding"]) AS VARCHAR) AS "c" FROM main."observation" AS "observation"`},
		{"SELECT code->>'$.nosuch' c FROM observation", `SELECT NULL AS "c" FROM main."observation" AS "observation"`},
		{"SELECT extension->>'$[0].url' u FROM patient", `SELECT json_extract_string("extension", '$[0]."url"') AS "u" FROM main."patient" AS "patient"`},
		{"SELECT TIMESTAMPDIFF(YEAR, birthDate, NOW()) a FROM patient", `SELECT date_sub('year', TRY_CAST("birthDate" AS TIMESTAMP), TRY_CAST(CAST(now() AS TIMESTAMP) AS TIMESTAMP)) AS "a" FROM main."patient" AS "patient"`},
		{"SELECT birthDate + INTERVAL 1 DAY d FROM patient", `SELECT (TRY_CAST("birthDate" AS TIMESTAMP) + (INTERVAL 1 DAY * CAST(1 AS BIGINT))) AS "d" FROM main."patient" AS "patient"`},
		{"SELECT 7 DIV 2 d", `SELECT (7 // nullif(2, 0)) AS "d"`},
		{"SELECT 1 <=> NULL d", `SELECT (1 IS NOT DISTINCT FROM NULL) AS "d"`},
		{"SELECT 5 ^ 3 d", `SELECT xor(5, 3) AS "d"`},
		{"SELECT id FROM patient ORDER BY birthDate", `SELECT "id" AS "id" FROM main."patient" AS "patient" ORDER BY "birthDate" ASC NULLS FIRST`},
		{"SELECT id FROM patient a JOIN observation b", `SELECT "id" AS "id" FROM main."patient" AS "a" CROSS JOIN main."observation" AS "b"`},
		{"SELECT 'it''s', \"dq\"", `SELECT 'it''s' AS "it's", 'dq' AS "dq"`},
		{"SELECT DATABASE(), USER()", `SELECT 's1' AS "DATABASE()", 'AKIDALICE@%' AS "USER()"`},
		{"SELECT CONCAT(id, 1) c FROM patient", `SELECT (CAST("id" AS VARCHAR) || CAST(1 AS VARCHAR)) AS "c" FROM main."patient" AS "patient"`},
		{"WITH t AS (SELECT id FROM patient) SELECT * FROM t", `WITH "t" AS (SELECT "id" AS "id" FROM main."patient" AS "patient") SELECT * FROM "t"`},
		{"SELECT ROW_NUMBER() OVER (PARTITION BY gender ORDER BY id) r FROM patient", `SELECT row_number() OVER (PARTITION BY "gender" ORDER BY "id" ASC NULLS FIRST) AS "r" FROM main."patient" AS "patient"`},
	}
	for _, c := range cases {
		got, err := translateOne(t, schema, c.mysql)
		if err != nil {
			t.Errorf("%s: %v", c.mysql, err)
			continue
		}
		if got != c.duck {
			t.Errorf("%s\n got: %s\nwant: %s", c.mysql, got, c.duck)
		}
	}
}

// TestTranslateRefuses: what the translator refuses, with which error.
func TestTranslateRefuses(t *testing.T) {
	st := newTestStore(t, "s1", "demo", false)
	schema, err := loadSchema(context.Background(), st.db)
	if err != nil {
		t.Fatal(err)
	}
	for q, code := range map[string]uint16{
		"SELECT * FROM nosuch":                               1146,
		"SELECT * FROM s2.patient":                           1227,
		"SELECT s2.patient.id FROM patient":                  1227,
		"SELECT read_csv('x')":                               1305,
		"SELECT main.version()":                              1305,
		"SELECT * FROM patient_history JOIN (SELECT 1) x":    0,
		"SELECT MATCH(gender) AGAINST ('x') FROM patient":    1235,
		"SELECT DATE_FORMAT(birthDate, gender) FROM patient": 1235,
		"SELECT CAST(1 AS DECIMAL(50,2))":                    1235,
	} {
		_, err := translateOne(t, schema, q)
		if code == 0 {
			if err != nil {
				t.Errorf("%s: %v", q, err)
			}
			continue
		}
		if got := sqlErrorCode(err); got != code {
			t.Errorf("%s: got %v (code %d), want code %d", q, err, got, code)
		}
	}
}

func TestFunctionNames(t *testing.T) {
	names := strings.Join(FunctionNames(), ",")
	for _, want := range []string{"ifnull", "date_format", "json_extract", "group_concat", "timestampdiff"} {
		if want == "timestampdiff" {
			continue // parsed as its own node
		}
		if !strings.Contains(","+names+",", ","+want+",") {
			t.Errorf("%s missing from FunctionNames", want)
		}
	}
	for _, bad := range []string{"read_csv", "read_text", "load_file", "getenv", "current_setting", "read_parquet", "glob"} {
		if strings.Contains(","+names+",", ","+bad+",") {
			t.Errorf("%s must not be allowed", bad)
		}
	}
}

func TestKeepPatternEscapes(t *testing.T) {
	for in, want := range map[string]string{
		`SELECT 1`:                        `SELECT 1`,
		`SELECT 'a\_b'`:                   `SELECT 'a\\_b'`,
		`SELECT "a\%b", 'x\'\_'`:          `SELECT "a\\%b", 'x\'\\_'`,
		`SELECT 'a\\_b'`:                  `SELECT 'a\\_b'`,
		"SELECT `a\\_b` FROM t -- '\\_\n": "SELECT `a\\_b` FROM t -- '\\_\n",
		`SELECT /* '\_' */ 'it''s\_'`:     `SELECT /* '\_' */ 'it''s\\_'`,
		`SELECT 'unterminated \_`:         `SELECT 'unterminated \\_`,
		`SELECT 'a\nb' # \_`:              `SELECT 'a\nb' # \_`,
	} {
		if got := keepPatternEscapes(in); got != want {
			t.Errorf("keepPatternEscapes(%q) = %q, want %q", in, got, want)
		}
	}
}
