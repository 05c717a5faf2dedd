package sqlserver

import (
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// Clients turn on multi-statements: each statement is routed on its own.
func TestMultiStatements(t *testing.T) {
	ts := startServer(t, nil)
	db, err := openDSN(ts.dsn("AKIDALICE", "s1", "&multiStatements=true"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query("SET @g = 'female'; SELECT COUNT(*) FROM patient WHERE gender = @g; SELECT @@version")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for {
		for rows.Next() {
			var v string
			if err := rows.Scan(&v); err != nil {
				t.Fatal(err)
			}
			got = append(got, v)
		}
		if !rows.NextResultSet() {
			break
		}
	}
	var females string
	if err := ts.s1.db.QueryRow("SELECT count(*)::VARCHAR FROM patient WHERE gender = 'female'").Scan(&females); err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, ",") != females+","+ServerVersion {
		t.Fatalf("results %v, want %s and the version", got, females)
	}
	// A write hidden after a query is refused.
	if _, err := db.Exec("SELECT 1 FROM patient LIMIT 1; DELETE FROM patient"); mysqlCode(err) != 1290 {
		t.Fatalf("DELETE after a SELECT: %v", err)
	}
}

func TestExplainAndProcessList(t *testing.T) {
	ts := startServer(t, nil)
	db := ts.open(t, "AKIDALICE", "s1")
	res := goDriverRows(db, "EXPLAIN SELECT COUNT(*) FROM patient WHERE gender = 'female'", false)
	if res.err != nil || len(res.rows) == 0 || !strings.Contains(strings.Join(res.rows[0], " "), "patient") {
		t.Fatalf("EXPLAIN: %v %v", res.rows, res.err)
	}
	if res := goDriverRows(db, "SHOW PROCESSLIST", false); res.err != nil || len(res.rows) == 0 {
		t.Fatalf("SHOW PROCESSLIST: %v", res.err)
	}
	// USE by the store's name, then DATABASE() names it so.
	conn := ts.open(t, "AKIDALICE", "")
	conn.SetMaxOpenConns(1)
	if _, err := conn.Exec("USE demo"); err != nil {
		t.Fatal(err)
	}
	var name string
	var n int
	if err := conn.QueryRow("SELECT DATABASE(), COUNT(*) FROM patient").Scan(&name, &n); err != nil || name != "demo" || n != 20 {
		t.Fatalf("after USE demo: %q %d %v", name, n, err)
	}
	// No database selected.
	fresh := ts.open(t, "AKIDALICE", "")
	if _, err := fresh.Exec("SELECT * FROM patient"); mysqlCode(err) != 1046 {
		t.Fatalf("without a database: %v, want 1046", err)
	}
}

func TestListenFallsBackToAFreePort(t *testing.T) {
	busy, err := net.Listen("tcp", DefaultAddr)
	if err != nil {
		t.Skipf("cannot hold %s for the test: %v", DefaultAddr, err)
	}
	defer busy.Close()
	ln, err := Listen("")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if ln.Addr().String() == DefaultAddr || !strings.HasPrefix(ln.Addr().String(), "127.0.0.1:") {
		t.Fatalf("listening on %s", ln.Addr())
	}
}

// User variables set in the session reach data queries as values.
func TestUserVariablesInDataQueries(t *testing.T) {
	ts := startServer(t, nil)
	db := ts.open(t, "AKIDALICE", "s1")
	db.SetMaxOpenConns(1)
	for _, q := range []string{"SET @minbmi = 25.5", "SET @g = 'female'", "SET @n = 2"} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	var got, want int
	if err := db.QueryRow("SELECT COUNT(*) FROM observation o JOIN patient p ON o.subject->>'$.reference' = CONCAT('Patient/', p.id) WHERE o.valueQuantity->>'$.value' > @minbmi AND p.gender = @g AND o.code->>'$.coding[0].code' = '39156-5'").Scan(&got); err != nil {
		t.Fatal(err)
	}
	if err := ts.s1.db.QueryRow("SELECT count(*) FROM observation o JOIN patient p ON o.subject.reference = 'Patient/' || p.id WHERE o.valueQuantity.value > 25.5 AND p.gender = 'female' AND o.code.coding[1].code = '39156-5'").Scan(&want); err != nil {
		t.Fatal(err)
	}
	if got != want || want == 0 {
		t.Fatalf("count %d, want %d", got, want)
	}
	var ids int
	if err := db.QueryRow("SELECT COUNT(*) FROM (SELECT id FROM patient ORDER BY id LIMIT 5) t WHERE 1 = @n - 1").Scan(&ids); err != nil || ids != 5 {
		t.Fatalf("integer variable: %d %v", ids, err)
	}
}

// A table the engine adds shows up: at once with SchemaVersion, after the
// background refresh without.
func TestSchemaChangesShowUp(t *testing.T) {
	ts := startServer(t, func(c *Config) { c.SchemaTTL = 50 * time.Millisecond })
	db := ts.open(t, "AKIDALICE", "s1")
	if _, err := db.Exec("SELECT COUNT(*) FROM `procedure`"); mysqlCode(err) != 1146 {
		t.Fatalf("before: %v", err)
	}
	if _, err := ts.s1.db.Exec("CREATE TABLE procedure (id VARCHAR PRIMARY KEY, status VARCHAR)"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		var n int
		err := db.QueryRow("SELECT COUNT(*) FROM `procedure`").Scan(&n)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("new table not visible: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}

	vs := &versionedStore{testStore: ts.s2}
	ts.cat.mu.Lock()
	ts.cat.stores[1] = vs
	ts.cat.mu.Unlock()
	bob := ts.open(t, "AKIDBOB", "s2")
	if _, err := bob.Exec("SELECT COUNT(*) FROM flag"); mysqlCode(err) != 1146 {
		t.Fatalf("before: %v", err)
	}
	if _, err := ts.s2.db.Exec("CREATE TABLE flag (id VARCHAR)"); err != nil {
		t.Fatal(err)
	}
	vs.version.Add(1)
	if _, err := bob.Exec("SELECT COUNT(*) FROM flag"); err != nil {
		t.Fatalf("with SchemaVersion the table shows at once: %v", err)
	}
}

type versionedStore struct {
	*testStore
	version atomic.Uint64
}

func (v *versionedStore) SchemaVersion() uint64 { return v.version.Load() }
