package sqlserver

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
)

// Test users: access key id -> secret.
var testKeys = map[string]string{
	"AKIDALICE": "alice-secret",
	"AKIDBOB":   "bob-secret",
}

type testServer struct {
	srv    *Server
	addr   string
	s1, s2 *testStore
	cat    *testCatalog
}

// startServer serves two stores: s1 ("demo", with data) and s2 ("other",
// with different data). Bob may only see s2.
func startServer(t testing.TB, tweak func(*Config)) *testServer {
	t.Helper()
	s1 := newTestStore(t, "s1", "demo", true)
	s2 := newTestStore(t, "s2", "other", false)
	if _, err := s2.db.Exec(`INSERT INTO patient (id, gender, birthDate) VALUES ('secret-patient', 'other', '1999-09-09')`); err != nil {
		t.Fatal(err)
	}
	cat := &testCatalog{stores: []Store{s1, s2}}
	cfg := Config{
		Catalog: cat,
		Secret: func(u string) (string, bool) {
			s, ok := testKeys[u]
			return s, ok
		},
		Allowed: func(user, store string) bool { return user != "AKIDBOB" || store == "s2" },
	}
	if tweak != nil {
		tweak(&cfg)
	}
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return &testServer{srv: srv, addr: ln.Addr().String(), s1: s1, s2: s2, cat: cat}
}

// dsn is a go-sql-driver DSN for user on db.
func (ts *testServer) dsn(user, db string, extra string) string {
	return fmt.Sprintf("%s:%s@tcp(%s)/%s?timeout=5s%s", user, testKeys[user], ts.addr, db, extra)
}

func (ts *testServer) open(t testing.TB, user, db string) *sql.DB {
	t.Helper()
	d, err := sql.Open("mysql", ts.dsn(user, db, ""))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// mysqlCode is the MySQL error number of err, or 0.
func mysqlCode(err error) uint16 {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me.Number
	}
	return 0
}

func TestLoginAndBasicQuery(t *testing.T) {
	ts := startServer(t, nil)
	db := ts.open(t, "AKIDALICE", "s1")
	var n int
	if err := db.QueryRow("SELECT count(*) FROM patient").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 20 {
		t.Fatalf("count(*) = %d, want the fixture's 20 patients", n)
	}
	var v string
	if err := db.QueryRow("SELECT @@version").Scan(&v); err != nil || v != ServerVersion {
		t.Fatalf("@@version = %q, %v", v, err)
	}

	bad, _ := sql.Open("mysql", fmt.Sprintf("AKIDALICE:wrong@tcp(%s)/s1", ts.addr))
	defer bad.Close()
	if err := bad.Ping(); mysqlCode(err) != 1045 {
		t.Fatalf("wrong secret: got %v, want error 1045", err)
	}
	unknown, _ := sql.Open("mysql", fmt.Sprintf("AKIDNOBODY:x@tcp(%s)/", ts.addr))
	defer unknown.Close()
	if err := unknown.Ping(); mysqlCode(err) != 1045 {
		t.Fatalf("unknown key: got %v, want error 1045", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = ctx
}

func openDSN(dsn string) (*sql.DB, error) { return sql.Open("mysql", dsn) }
