package sqlserver

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestRefusesWritesAndEscapes covers point 4 of the spec: writes, DDL and
// DuckDB's file, network and extension functions are refused with a MySQL
// error, and nothing changes in the store.
func TestRefusesWritesAndEscapes(t *testing.T) {
	ts := startServer(t, nil)
	db := ts.open(t, "AKIDALICE", "s1")
	db.SetMaxOpenConns(1)
	cases := []struct {
		sql  string
		code uint16
	}{
		{"INSERT INTO patient (id) VALUES ('x')", 1290},
		{"REPLACE INTO patient (id) VALUES ('x')", 1290},
		{"UPDATE patient SET gender = 'x'", 1290},
		{"DELETE FROM patient", 1290},
		{"CREATE TABLE t (a INT)", 1290},
		{"CREATE VIEW v AS SELECT 1", 1290},
		{"DROP TABLE patient", 1290},
		{"ALTER TABLE patient ADD COLUMN x INT", 1290},
		{"TRUNCATE TABLE patient", 1290},
		{"CREATE DATABASE x", 1290},
		{"LOAD DATA INFILE '/etc/passwd' INTO TABLE patient", 1290},
		{"SELECT * FROM patient INTO OUTFILE '/tmp/fhirlake-out'", 1227},
		{"SELECT 1 INTO DUMPFILE '/tmp/fhirlake-out'", 1227},
		{"SELECT LOAD_FILE('/etc/passwd')", 1305},
		{"SELECT read_csv('/etc/passwd') FROM patient", 1305},
		{"SELECT read_text('/etc/passwd') FROM patient", 1305},
		{"SELECT * FROM read_csv('/etc/passwd')", 1235},
		{"SELECT * FROM read_parquet('/tmp/x.parquet')", 1235},
		{"SELECT * FROM patient WHERE id IN (SELECT content FROM read_text('/etc/passwd'))", 1235},
		{"SELECT getenv('HOME') FROM patient", 1305},
		{"SELECT current_setting('memory_limit') FROM patient", 1305},
		{"SELECT * FROM duckdb_settings()", 1235},
		{"SELECT * FROM main.duckdb_tables", 1049},
		{"SELECT * FROM search.token_index", 1049},
		{"SELECT * FROM `patient\"; ATTACH '/tmp/x.db' AS x; --`", 1146},
		{"COPY patient TO '/tmp/fhirlake-out.csv'", 1064},
		{"SELECT''", 1064}, // panics the SQL parser; must be a syntax error
		{"SELECT REPEAT('xxxxxxxx', 2000000000)", 1235},
		{"SET @x = LPAD('x', 2000000000, 'y')", 1235},
		{"SELECT SPACE(2000000000) FROM information_schema.tables", 1235},
		{"SELECT LENGTH(REPEAT('x', 100000000000)) FROM patient", 1105},
		{"ATTACH '/tmp/x.db' AS x", 1064},
		{"INSTALL httpfs", 1064},
		{"LOAD httpfs", 1064},
		{"PRAGMA enable_external_access", 1064},
		{"SET enable_external_access = true", 1193},
		{"SET memory_limit = '100GB'", 1193},
		{"SET GLOBAL max_connections = 1", 1227},
		{"SET PERSIST max_connections = 1", 1227},
		{"PREPARE s FROM 'DELETE FROM patient'", 1235},
		{"CALL some_proc()", 1235},
		{"GRANT ALL ON *.* TO 'AKIDALICE'", 1290},
		{"CREATE USER 'x' IDENTIFIED BY 'y'", 1290},
		{"DROP USER 'AKIDALICE'", 1290},
		{"SET @x = 1", 0},
		{"SET NAMES utf8mb4", 0},
		{"SET SESSION sql_mode = 'ANSI_QUOTES'", 0},
		{"SELECT x.id FROM patient JOIN s2.patient x ON x.id = patient.id", 1227},
	}
	for _, c := range cases {
		t.Run(c.sql, func(t *testing.T) {
			rows, err := db.Query(c.sql)
			if c.code == 0 {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				rows.Close()
				return
			}
			if err == nil {
				rows.Close()
				t.Fatalf("accepted; want error %d", c.code)
			}
			if got := mysqlCode(err); got != c.code {
				t.Fatalf("error %v (code %d), want code %d", err, got, c.code)
			}
		})
	}
	var n int
	if err := ts.s1.db.QueryRow("SELECT count(*) FROM patient WHERE gender IN ('female', 'male')").Scan(&n); err != nil || n != 20 {
		t.Fatalf("store changed: %d patients, %v", n, err)
	}
}

// User variables cannot grow without bound in the server's memory.
func TestUserVariableSizeBound(t *testing.T) {
	ts := startServer(t, nil)
	db := ts.open(t, "AKIDALICE", "s1")
	db.SetMaxOpenConns(1)
	if _, err := db.Exec("SET @x = 'xxxxxxxxxxxxxxxx'"); err != nil {
		t.Fatal(err)
	}
	var err error
	for i := 0; i < 40 && err == nil; i++ {
		_, err = db.Exec("SET @x = CONCAT(@x, @x)")
	}
	err0 := err
	if mysqlCode(err0) != 1153 {
		t.Fatalf("doubling @x: %v, want error 1153", err0)
	}
	err = nil
	if _, err := db.Exec("SET @y = 'yyyyyyyyyyyyyyyy'"); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 40 && err == nil; i++ {
		_, err = db.Exec("SELECT CONCAT(@y, @y) INTO @y")
	}
	if mysqlCode(err) != 1153 {
		t.Fatalf("doubling @y with SELECT INTO: %v, want error 1153", err)
	}
	var n sql.NullInt64
	if err := db.QueryRow("SELECT LENGTH(@x)").Scan(&n); err != nil || n.Valid {
		t.Fatalf("@x after the refusal: %v %v", n, err)
	}
}

// TestStoreIsolation: a user sees only the stores they are allowed, and a
// connection to one store cannot read another's rows.
func TestStoreIsolation(t *testing.T) {
	ts := startServer(t, nil)
	bob := ts.open(t, "AKIDBOB", "s2")
	var dbs []string
	rows, err := bob.Query("SHOW DATABASES")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var n string
		rows.Scan(&n)
		dbs = append(dbs, n)
	}
	rows.Close()
	if strings.Join(dbs, ",") != "information_schema,s2" {
		t.Fatalf("Bob sees databases %v, want information_schema and s2 only", dbs)
	}
	for _, q := range []string{"SELECT * FROM s1.patient", "SELECT * FROM demo.patient", "USE s1", "SHOW TABLES FROM s1"} {
		if _, err := bob.Exec(q); mysqlCode(err) != 1049 {
			t.Errorf("%s: got %v, want error 1049 unknown database", q, err)
		}
	}
	var n int
	if err := bob.QueryRow("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 's1'").Scan(&n); err != nil || n != 0 {
		t.Errorf("Bob sees %d tables of s1 in information_schema (%v)", n, err)
	}
	var id string
	if err := bob.QueryRow("SELECT id FROM patient").Scan(&id); err != nil || id != "secret-patient" {
		t.Errorf("Bob's own store: %q %v", id, err)
	}
	// Alice on s1 does not see s2's rows through s1's tables.
	alice := ts.open(t, "AKIDALICE", "s1")
	if err := alice.QueryRow("SELECT COUNT(*) FROM patient WHERE id = 'secret-patient'").Scan(&n); err != nil || n != 0 {
		t.Errorf("s1 shows s2's patient: %d %v", n, err)
	}
}

// longQuery runs for many seconds in DuckDB (a three-way cross join).
const longQuery = "SELECT COUNT(*) FROM observation a, observation b, observation c WHERE a.id < b.id AND b.id < c.id AND LENGTH(CONCAT(a.id, b.id, c.id)) > 3"

func TestKillQuery(t *testing.T) {
	ts := startServer(t, nil)
	db := ts.open(t, "AKIDALICE", "s1")
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var id int
	if err := conn.QueryRowContext(context.Background(), "SELECT CONNECTION_ID()").Scan(&id); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	start := time.Now()
	go func() {
		var n int
		done <- conn.QueryRowContext(context.Background(), longQuery).Scan(&n)
	}()
	time.Sleep(300 * time.Millisecond)

	// Another user may not kill it.
	bob := ts.open(t, "AKIDBOB", "s2")
	if _, err := bob.Exec("KILL QUERY " + itoa(id)); mysqlCode(err) != 1095 {
		t.Fatalf("Bob's KILL QUERY: %v, want error 1095", err)
	}
	other := ts.open(t, "AKIDALICE", "s1")
	if _, err := other.Exec("KILL QUERY " + itoa(id)); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if mysqlCode(err) != 1317 {
			t.Fatalf("killed query returned %v, want error 1317", err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("query stopped only after %v", d)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("KILL QUERY did not stop the query")
	}
	// The connection is still usable.
	var one int
	if err := conn.QueryRowContext(context.Background(), "SELECT COUNT(*) FROM patient").Scan(&one); err != nil || one != 20 {
		t.Fatalf("after kill: %d %v", one, err)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestQueryTimeout(t *testing.T) {
	ts := startServer(t, func(c *Config) { c.QueryTimeout = 400 * time.Millisecond })
	db := ts.open(t, "AKIDALICE", "s1")
	start := time.Now()
	var n int
	err := db.QueryRow(longQuery).Scan(&n)
	if mysqlCode(err) != 3024 {
		t.Fatalf("got %v, want error 3024 (timeout)", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("timeout took %v", d)
	}
	if err := db.QueryRow("SELECT COUNT(*) FROM patient").Scan(&n); err != nil || n != 20 {
		t.Fatalf("quick query after a timeout: %d %v", n, err)
	}
	// What GMS evaluates is bounded too.
	start = time.Now()
	if err := db.QueryRow("SELECT SLEEP(30)").Scan(&n); err == nil && time.Since(start) > 5*time.Second {
		t.Fatalf("SLEEP(30) ran %v despite the timeout", time.Since(start))
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("SLEEP(30) took %v", d)
	}
}

func TestQueryMemoryCap(t *testing.T) {
	ts := startServer(t, func(c *Config) { c.QueryMemory = 32 << 20 })
	db := ts.open(t, "AKIDALICE", "s1")
	// Millions of distinct long strings: a hash table far above 32 MiB.
	var n int
	err := db.QueryRow(`SELECT COUNT(*) FROM (SELECT DISTINCT CONCAT(a.id, b.id, a.effectiveDateTime) AS k FROM observation a, observation b) AS t`).Scan(&n)
	if mysqlCode(err) != 1041 {
		t.Fatalf("got %v (n=%d), want error 1041 (out of memory)", err, n)
	}
	if err := db.QueryRow("SELECT COUNT(*) FROM patient").Scan(&n); err != nil || n != 20 {
		t.Fatalf("small query under the cap: %d %v", n, err)
	}
}
