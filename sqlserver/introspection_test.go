package sqlserver

import (
	"context"
	"database/sql"
	"os"
	"strings"
	"testing"
)

type toolStatement struct {
	tool, sql string
}

func loadIntrospection(t testing.TB) []toolStatement {
	t.Helper()
	b, err := os.ReadFile("testdata/introspection.sql")
	if err != nil {
		t.Fatal(err)
	}
	var out []toolStatement
	var tool string
	var cur []string
	for _, line := range strings.Split(string(b), "\n") {
		switch {
		case strings.HasPrefix(line, "-- tool: "):
			tool = strings.TrimPrefix(line, "-- tool: ")
		case strings.HasPrefix(line, "--") || strings.TrimSpace(line) == "":
		default:
			cur = append(cur, line)
			if strings.HasSuffix(strings.TrimSpace(line), ";") {
				out = append(out, toolStatement{tool, strings.TrimSuffix(strings.TrimSpace(strings.Join(cur, "\n")), ";")})
				cur = nil
			}
		}
	}
	return out
}

// TestIntrospectionReplay replays what Metabase, Connector/J, Grafana,
// Superset and the mysql client send on connect and while listing schemas,
// tables and columns: every statement is answered, and the answers about
// the catalog are right.
func TestIntrospectionReplay(t *testing.T) {
	ts := startServer(t, nil)
	db := ts.open(t, "AKIDALICE", "s1")
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	answers := map[string]result{}
	for _, st := range loadIntrospection(t) {
		res := connRows(conn, st.sql)
		if res.err != nil {
			t.Errorf("%s: %q: %v", st.tool, clip(st.sql, 90), res.err)
		}
		answers[st.sql] = res
	}
	if len(answers) < 35 {
		t.Fatalf("only %d statements replayed", len(answers))
	}

	find := func(prefix string) result {
		if r, ok := answers[prefix]; ok {
			return r
		}
		for q, r := range answers {
			if strings.HasPrefix(q, prefix) {
				return r
			}
		}
		t.Fatalf("no statement %q", prefix)
		return result{}
	}
	col := func(r result, name string) []string {
		for i, c := range r.columns {
			if strings.EqualFold(c, name) {
				var out []string
				for _, row := range r.rows {
					out = append(out, row[i])
				}
				return out
			}
		}
		t.Fatalf("no column %s in %v", name, r.columns)
		return nil
	}
	want := []string{"condition", "encounter", "immunization", "medicationrequest", "observation", "patient", "patient_demographics", "patient_history"}

	// Table lists: the store's main schema, nothing internal, the view as a view.
	tables := find("SELECT table_name, table_type FROM information_schema.tables")
	if got := strings.Join(col(tables, "table_name"), ","); got != strings.Join(want, ",") {
		t.Errorf("information_schema.tables lists %s, want %s", got, strings.Join(want, ","))
	}
	for i, n := range col(tables, "table_name") {
		typ := col(tables, "table_type")[i]
		if (n == "patient_demographics") != (typ == "VIEW") {
			t.Errorf("%s has table_type %s", n, typ)
		}
	}
	full := find("SHOW FULL TABLES FROM `s1`")
	if len(full.rows) != len(want) {
		t.Errorf("SHOW FULL TABLES: %v", full.rows)
	}
	views := find("SHOW FULL TABLES FROM `s1` WHERE")
	if len(views.rows) != 1 || views.rows[0][0] != "patient_demographics" {
		t.Errorf("views: %v", views.rows)
	}
	grafana := find("SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE()")
	if got := strings.Join(col(grafana, "table_name"), ","); got != strings.Join(want, ",") {
		t.Errorf("Grafana table list: %s", got)
	}

	// Databases: the stores the user may see and information_schema; no mysql.
	schemas := col(find("SELECT schema_name FROM information_schema.schemata"), "schema_name")
	if strings.Join(schemas, ",") != "information_schema,s1,s2" {
		t.Errorf("schemata: %v", schemas)
	}

	// Columns: FHIR names, nested elements as json, the primary key.
	cols := find("SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 's1' AND table_name = 'observation'")
	types := map[string]string{}
	for i, n := range col(cols, "column_name") {
		types[n] = col(cols, "data_type")[i]
	}
	for n, typ := range map[string]string{"id": "longtext", "version_id": "bigint", "last_updated": "datetime",
		"code": "json", "valueQuantity": "json", "effectiveDateTime": "longtext", "valueInteger": "int", "valueBoolean": "tinyint"} {
		if types[n] != typ {
			t.Errorf("observation.%s is %q, want %q (all: %v)", n, types[n], typ, types)
		}
	}
	var ncols int
	if err := ts.s1.db.QueryRow("SELECT count(*) FROM duckdb_columns() WHERE table_name = 'observation'").Scan(&ncols); err != nil {
		t.Fatal(err)
	}
	if len(cols.rows) != ncols {
		t.Errorf("information_schema has %d observation columns, DuckDB %d", len(cols.rows), ncols)
	}
	pk := find("SELECT A.TABLE_SCHEMA TABLE_CAT")
	if len(pk.rows) != 1 || col(pk, "COLUMN_NAME")[0] != "id" {
		t.Errorf("primary key: %v", pk.rows)
	}
	create := find("SHOW CREATE TABLE `s1`.`patient`")
	if len(create.rows) != 1 || !strings.Contains(create.rows[0][1], "PRIMARY KEY (`id`)") || !strings.Contains(create.rows[0][1], "`birthDate` longtext") {
		t.Errorf("SHOW CREATE TABLE: %v", create.rows)
	}
	desc := find("DESCRIBE `s1`.`patient`")
	if len(desc.rows) == 0 || desc.rows[0][0] != "id" || desc.rows[0][3] != "PRI" {
		t.Errorf("DESCRIBE: %v", clipRows(desc.rows))
	}
	viewCols := find("SHOW CREATE TABLE `s1`.`patient_demographics`")
	if len(viewCols.rows) != 1 {
		t.Errorf("SHOW CREATE TABLE of the view: %v", viewCols.rows)
	}
	var n int
	if err := conn.QueryRowContext(context.Background(), "SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = 's1' AND table_name = 'patient_demographics'").Scan(&n); err != nil || n != 7 {
		t.Errorf("view columns in information_schema: %d %v", n, err)
	}

	// Data queries the tools send go to DuckDB and answer.
	if r := find("SELECT count(*) AS `count` FROM `s1`.`patient`"); len(r.rows) != 1 || r.rows[0][0] != "20" {
		t.Errorf("count: %v", r.rows)
	}
	if r := find("SELECT @@max_allowed_packet"); len(r.rows) != 1 {
		t.Errorf("variables: %v", r.rows)
	}
	if r := find("SHOW INDEX FROM `patient` FROM `s1`"); len(r.rows) != 1 || col(r, "Key_name")[0] != "PRIMARY" || col(r, "Column_name")[0] != "id" {
		t.Errorf("SHOW INDEX: %v", r.rows)
	}
}

func connRows(conn *sql.Conn, q string) result {
	rows, err := conn.QueryContext(context.Background(), q)
	if err != nil {
		return result{err: err, errCode: mysqlCode(err)}
	}
	defer rows.Close()
	var res result
	res.columns, _ = rows.Columns()
	for rows.Next() {
		vals := make([]sql.NullString, len(res.columns))
		ptrs := make([]any, len(vals))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return result{err: err}
		}
		row := make([]string, len(vals))
		for i, v := range vals {
			row[i] = v.String
			if !v.Valid {
				row[i] = "NULL"
			}
		}
		res.rows = append(res.rows, row)
	}
	if err := rows.Err(); err != nil {
		return result{err: err, errCode: mysqlCode(err)}
	}
	return res
}
