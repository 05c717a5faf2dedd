package engine

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/duckdb/duckdb-go/v2"
)

func openDuckDBConn(t *testing.T) (*sql.DB, *sql.Conn) {
	t.Helper()
	db, err := sql.Open("duckdb", filepath.Join(t.TempDir(), "x.duckdb"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return db, conn
}

// TestRawConnection fails when the duckdb-go in go.mod no longer keeps
// its C connection where execWaiting looks for it (execWaiting would then
// run statements as duckdb-go does, spinning).
func TestRawConnection(t *testing.T) {
	_, conn := openDuckDBConn(t)
	err := conn.Raw(func(dc any) error {
		raw, err := rawConnection(dc)
		if err == nil && raw.Ptr == nil {
			err = errors.New("nil connection")
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestExecWaiting(t *testing.T) {
	ctx := context.Background()
	db, conn := openDuckDBConn(t)
	if _, err := conn.ExecContext(ctx, "CREATE TABLE t (i BIGINT, s VARCHAR)"); err != nil {
		t.Fatal(err)
	}
	// a statement of several pipelines and parallel tasks, in a transaction
	// that another connection sees once committed
	for _, q := range []string{"BEGIN TRANSACTION"} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	n, err := execWaiting(ctx, conn, "INSERT INTO t SELECT range, md5(range::VARCHAR) FROM range(3000000) ORDER BY md5(range::VARCHAR)")
	if err != nil || n != 3_000_000 {
		t.Fatalf("insert: %d rows, %v", n, err)
	}
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		t.Fatal(err)
	}
	var count, sum int64
	if err := db.QueryRowContext(ctx, "SELECT count(*), sum(i) FROM t").Scan(&count, &sum); err != nil || count != 3_000_000 || sum != 3_000_000*(3_000_000-1)/2 {
		t.Fatalf("the table holds %d rows summing to %d (%v)", count, sum, err)
	}
	if n, err := execWaiting(ctx, conn, "CHECKPOINT"); err != nil || n != 0 {
		t.Fatalf("checkpoint: %d, %v", n, err)
	}

	// errors name what was wrong, with DuckDB's error type
	var de *duckdb.Error
	if _, err := execWaiting(ctx, conn, "INSERT INTO missing VALUES (1)"); !errors.As(err, &de) || !strings.Contains(de.Msg, "missing") {
		t.Fatalf("insert into a missing table: %v", err)
	}
	if _, err := execWaiting(ctx, conn, "INSERT INTO t SELECT 'x' || range, 'y' FROM range(10)"); !errors.As(err, &de) || de.Type != duckdb.ErrorTypeConversion {
		t.Fatalf("a failed cast: %v (type %d)", err, de.Type)
	}
	if _, err := conn.ExecContext(ctx, "SET memory_limit = '20MB'"); err != nil {
		t.Fatal(err)
	}
	if _, err := execWaiting(ctx, conn, "CREATE TABLE u AS SELECT s, list(i) FROM t GROUP BY s ORDER BY s"); !outOfMemory(err) {
		t.Fatalf("a statement past the memory limit: %v", err)
	}
	if _, err := conn.ExecContext(ctx, "SET memory_limit = '1GB'"); err != nil {
		t.Fatal(err)
	}

	// a cancelled context interrupts the statement
	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = execWaiting(short, conn, "CREATE TABLE v AS SELECT a.range * b.range AS p FROM range(100000) a, range(100000) b")
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 10*time.Second {
		t.Fatalf("cancelled after %v: %v", time.Since(start), err)
	}
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM t").Scan(&count); err != nil || count != 3_000_000 {
		t.Fatalf("after the errors the table holds %d rows (%v)", count, err)
	}
}
