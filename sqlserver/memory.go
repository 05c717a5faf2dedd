package sqlserver

import (
	"context"
	"database/sql"
	"time"
)

// DuckDB has no per-query memory limit: memory_limit is one setting for the
// whole database instance (see the package notes on what the engine must
// configure). memoryGuard caps a data query from outside: while the query
// runs it samples the store's buffer-manager memory (duckdb_memory()) and
// cancels the query once that has grown by more than the limit since the
// query started. Growth caused by other work on the same store at the same
// time counts too, so the cap is conservative.
type memoryGuard struct {
	limit int64
	every time.Duration
}

func newMemoryGuard(limit int64) *memoryGuard {
	return &memoryGuard{limit: limit, every: 20 * time.Millisecond}
}

const memoryUsageSQL = `SELECT coalesce(sum(memory_usage_bytes), 0)::BIGINT FROM duckdb_memory()`

// watch samples db until stop is called, and cancels the query through
// cancel with errMemory when it uses too much.
func (g *memoryGuard) watch(ctx context.Context, db *sql.DB, cancel context.CancelCauseFunc) (stop func()) {
	if g == nil || g.limit <= 0 {
		return func() {}
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		usage := func() (int64, bool) {
			var n int64
			if err := db.QueryRowContext(context.Background(), memoryUsageSQL).Scan(&n); err != nil {
				return 0, false
			}
			return n, true
		}
		base, ok := usage()
		if !ok {
			return
		}
		t := time.NewTicker(g.every)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				n, ok := usage()
				if ok && n-base > g.limit {
					cancel(errMemory(g.limit))
					return
				}
			}
		}
	}()
	return func() {
		close(done)
		<-finished
	}
}
