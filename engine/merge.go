package engine

import (
	"context"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/fhirlake/fhirlake/fhirflat"
)

// Writes land first in the write log (writelog.go): one append and sync per
// group of writes, whatever the width of the resource tables (DuckDB's cost
// per transaction grows with the number of columns it touches, and FHIR
// resource tables have hundreds; even a narrow table's INSERT and COMMIT
// cost three times the log's append). The merger then moves pending writes
// into the typed tables in bulk. Readers never miss a write: point reads look at
// the pending index first, and SQL and search call Sync, which merges what
// is pending before they run.

// merger runs merges: on request (Sync, many rows pending) and on a timer.
func (s *Store) merger(opts StoreOptions) {
	defer s.wg.Done()
	ticker := time.NewTicker(opts.MergeInterval)
	defer ticker.Stop()
	for {
		select {
		case <-s.stop:
			if err := s.merge(context.Background()); err != nil {
				s.log.Error("final merge", "err", err)
			}
			return
		case <-s.kick:
		case <-ticker.C:
		}
		err := s.merge(context.Background())
		s.pending.mu.Lock()
		s.pending.mergeErr = err
		if err != nil {
			s.pending.failed++
		}
		s.pending.mu.Unlock()
		if err != nil {
			s.log.Error("merge", "err", err)
			s.pending.cond.Broadcast() // Sync waiters return the error
			time.Sleep(100 * time.Millisecond)
		}
	}
}

// maybeKick starts a merge early when many writes are pending.
func (s *Store) maybeKick() {
	s.pending.mu.RLock()
	n := len(s.pending.unmerged)
	s.pending.mu.RUnlock()
	if n >= 20000 {
		s.requestMerge()
	}
}

func (s *Store) requestMerge() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// Sync returns once every write acknowledged before the call is in the
// typed tables, so SQL over them sees it.
func (s *Store) Sync(ctx context.Context) error {
	_, err := s.SyncAt(ctx)
	return err
}

// SyncAt is Sync, and gives the instant the tables are then complete
// through: every write stamped (lastUpdated) at or before it is in them,
// and a write stamped after it is not, unless merged meanwhile by another
// Sync or the merger (ChangedAfter says).
func (s *Store) SyncAt(ctx context.Context) (time.Time, error) {
	s.pending.mu.Lock()
	target, at := s.pending.lastSeq, s.pending.lastTime
	if s.pending.merged >= target {
		s.pending.mu.Unlock()
		return at, nil
	}
	s.pending.mu.Unlock()
	return at, s.syncTo(ctx, target)
}

func (s *Store) syncTo(ctx context.Context, target int64) error {
	s.pending.mu.RLock()
	failed := s.pending.failed
	s.pending.mu.RUnlock()
	s.requestMerge()
	done := make(chan struct{})
	go func() {
		s.pending.mu.Lock()
		for s.pending.merged < target && s.pending.failed == failed {
			select {
			case <-ctx.Done():
				s.pending.mu.Unlock()
				close(done)
				return
			case <-s.closed:
				s.pending.mu.Unlock()
				close(done)
				return
			default:
			}
			s.pending.cond.Wait()
		}
		s.pending.mu.Unlock()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		s.pending.cond.Broadcast()
		<-done
		return ctx.Err()
	}
	s.pending.mu.RLock()
	defer s.pending.mu.RUnlock()
	switch {
	case s.pending.merged >= target:
		return nil
	case s.pending.failed != failed:
		return fmt.Errorf("bring the tables up to date with the writes acknowledged: %w", s.pending.mergeErr)
	}
	return ErrClosed
}

// testHookMerge, when set by a test, runs as a merge with writes to move
// starts; its error fails the merge (a disk that takes no more writes).
var testHookMerge func() error

// merge moves every pending write up to now into the typed tables, in one
// transaction: per type, the current rows being replaced go to history,
// earlier pending versions and deletions go to history, and the latest
// version of each resource becomes its current row.
func (s *Store) merge(ctx context.Context) error {
	s.mergeMu.Lock()
	defer s.mergeMu.Unlock()
	return s.mergeLocked(ctx)
}

// mergeLocked is merge with mergeMu held.
func (s *Store) mergeLocked(ctx context.Context) error {
	s.pending.mu.RLock()
	upto := s.pending.lastSeq
	from := s.pending.merged
	uptoTime := s.pending.lastTime
	s.pending.mu.RUnlock()
	if upto <= from {
		return nil
	}
	if testHookMerge != nil {
		if err := testHookMerge(); err != nil {
			return err
		}
	}
	start := time.Now()
	conn := s.mergeConn
	var batch []staged // the writes up to upto, in seq order
	need := map[string]fhirflat.Bits{}
	s.pending.mu.RLock()
	for _, st := range s.pending.unmerged {
		if st.entry.seq > upto {
			break
		}
		batch = append(batch, st)
		if _, ok := need[st.k.typ]; !ok {
			need[st.k.typ] = s.pending.fields[st.k.typ]
		}
	}
	s.pending.mu.RUnlock()
	types := make([]string, 0, len(need))
	for typ := range need {
		types = append(types, typ)
	}
	sort.Strings(types)
	s.relieveIndexes(ctx, types)
	if err := s.growFirst(ctx, need); err != nil { // grow.go
		return fmt.Errorf("merge: %w", err)
	}
	if _, err := conn.ExecContext(ctx, "BEGIN TRANSACTION"); err != nil {
		return fmt.Errorf("merge: %w", err)
	}
	committed := false
	s.grown = s.grown[:0]
	defer func() {
		if !committed {
			_, _ = conn.ExecContext(ctx, "ROLLBACK")
		}
	}()
	// The batch being merged, with each row's rank among the versions of its
	// resource (1 = latest).
	if err := s.loadMerging(ctx, batch); err != nil {
		return fmt.Errorf("merge: %w", err)
	}
	for _, typ := range types {
		if err := s.mergeType(ctx, typ); err != nil {
			return fmt.Errorf("merge %s: %w", typ, s.withMemoryHint(err))
		}
	}
	for _, q := range []string{
		fmt.Sprintf("INSERT OR REPLACE INTO %s.settings VALUES ('last_seq', '%d')", internalSchema, upto),
		"DROP TABLE merging",
	} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("merge: %w", err)
		}
	}
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		return fmt.Errorf("merge commit: %w", s.withMemoryHint(err))
	}
	committed = true
	s.publishLayouts()
	s.pending.mu.Lock()
	s.pending.dropMerged(upto)
	s.pending.tablesChanged(types, uptoTime)
	s.pending.cond.Broadcast()
	s.pending.mu.Unlock()
	s.wlog.release(upto) // the writes are in DuckDB, which synced its WAL on commit
	n := len(batch)
	s.log.Debug("merged", "writes", n, "types", len(types), "took", time.Since(start))
	return nil
}

// loadMerging puts the writes being merged in the temporary table merging
// of the merge's connection, with each row's rank among the versions of
// its resource in the batch (1 = latest).
func (s *Store) loadMerging(ctx context.Context, batch []staged) error {
	if _, err := s.mergeConn.ExecContext(ctx, `CREATE OR REPLACE TEMP TABLE merge_rows (
  seq BIGINT, type VARCHAR, id VARCHAR, version_id BIGINT, last_updated TIMESTAMPTZ,
  deleted BOOLEAN, row VARCHAR, fields BLOB)`); err != nil {
		return err
	}
	err := s.mergeConn.Raw(func(dc any) error {
		app, err := duckdb.NewAppender(dc.(driver.Conn), "temp", "main", "merge_rows")
		if err != nil {
			return err
		}
		for _, st := range batch {
			var row, fields any
			if st.entry.row != nil {
				row = string(st.entry.row)
				fields = st.entry.fields.Bytes()
			}
			if err := app.AppendRow(st.entry.seq, st.k.typ, st.k.id, st.entry.versionID, st.entry.lastUpdated, st.entry.deleted, row, fields); err != nil {
				app.Close()
				return err
			}
		}
		return app.Close()
	})
	if err != nil {
		return err
	}
	for _, q := range []string{
		`CREATE OR REPLACE TEMP TABLE merging AS
SELECT *, row_number() OVER (PARTITION BY type, id ORDER BY seq DESC) AS rank FROM merge_rows`,
		"DROP TABLE merge_rows",
	} {
		if _, err := s.mergeConn.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) mergeType(ctx context.Context, typ string) error {
	schema, err := s.b.Schema(typ)
	if err != nil {
		return err
	}
	s.pending.mu.RLock()
	need := s.pending.fields[typ]
	s.pending.mu.RUnlock()
	layout, err := s.growLayout(ctx, schema, need)
	if err != nil {
		return err
	}
	table := "main." + fhirflat.QuoteIdent(schema.Table)
	history := "main." + fhirflat.QuoteIdent(fhirflat.HistoryTable(typ))
	lit := "'" + typ + "'" // resource type names are [A-Za-z]
	replaced, err := s.replacedIDs(ctx, lit)
	if err != nil {
		return err
	}
	var stmts []string
	if replaced != "" {
		// current rows being replaced or deleted become history
		stmts = append(stmts,
			fmt.Sprintf("INSERT INTO %s BY NAME SELECT t.*, false AS deleted FROM %s t WHERE t.id IN %s", history, table, replaced),
			fmt.Sprintf("DELETE FROM %s WHERE id IN %s", table, replaced))
	}
	stmts = append(stmts,
		// earlier versions written in this batch, and deletions, are history
		fmt.Sprintf("INSERT INTO %s BY NAME %s", history,
			layout.RowsSQL(fmt.Sprintf("merging p WHERE p.type = %s AND (p.rank > 1 OR p.deleted)", lit), "p.deleted AS deleted")),
		// the latest version is the current row
		fmt.Sprintf("INSERT INTO %s BY NAME %s", table, layout.RowsSQL(fmt.Sprintf("merging p WHERE p.type = %s AND p.rank = 1 AND NOT p.deleted", lit))))
	for _, q := range stmts {
		if _, err := s.mergeConn.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	return nil
}

// maxListedIDs bounds the ids a merge names in its SQL: DuckDB tests a
// short list of constants in its scan of the id column (or looks them up
// in the primary-key index of a table made by an earlier fhirlake).
const maxListedIDs = 1000

// replacedIDs gives, as SQL for an IN, the ids of a type in the batch being
// merged that may have a current row in the table: those whose earliest
// version in the batch is not their first. A first version (a create) has
// no earlier row anywhere, the writer made sure of that when it numbered
// it, so a merge of creates only has nothing to replace: "" then, and the
// statements that replace rows, each a pass over the whole table, are not
// run. A few ids are listed literally; more are a subquery.
func (s *Store) replacedIDs(ctx context.Context, lit string) (string, error) {
	query := fmt.Sprintf("SELECT id FROM merging WHERE type = %s GROUP BY id HAVING min(version_id) > 1", lit)
	rows, err := s.mergeConn.QueryContext(ctx, fmt.Sprintf("%s LIMIT %d", query, maxListedIDs+1))
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return "", err
		}
		ids = append(ids, fhirflat.QuoteString(id))
	}
	if err := rows.Err(); err != nil {
		return "", err
	}
	switch {
	case len(ids) == 0:
		return "", nil
	case len(ids) > maxListedIDs:
		return "(" + query + ")", nil
	}
	return "(" + strings.Join(ids, ", ") + ")", nil
}

// growLayout adds the columns a type's tables lack for the fields in need,
// on the merger's connection (inside its transaction), and records the new
// layout. The new layout is published when the transaction commits.
func (s *Store) growLayout(ctx context.Context, schema *fhirflat.Schema, need fhirflat.Bits) (*fhirflat.Layout, error) {
	cur, err := s.Layout(schema.ResourceType)
	if err != nil {
		return nil, err
	}
	if need == nil || cur.Covers(need) {
		return cur, nil
	}
	data, err := json.Marshal(cur)
	if err != nil {
		return nil, err
	}
	grown, err := fhirflat.ParseLayout(schema, data) // a copy to grow
	if err != nil {
		return nil, err
	}
	stmts := grown.Grow(need, "main."+fhirflat.QuoteIdent(schema.Table), "main."+fhirflat.QuoteIdent(fhirflat.HistoryTable(schema.ResourceType)))
	if data, err = json.Marshal(grown); err != nil {
		return nil, err
	}
	stmts = append(stmts, fmt.Sprintf("INSERT OR REPLACE INTO %s.layouts VALUES ('%s', '%s')", internalSchema, schema.ResourceType, strings.ReplaceAll(string(data), "'", "''")))
	for _, q := range stmts {
		if _, err := s.mergeConn.ExecContext(ctx, q); err != nil {
			return nil, fmt.Errorf("grow %s: %w", schema.Table, err)
		}
	}
	s.grown = append(s.grown, grown)
	return grown, nil
}

// publishLayouts makes the layouts grown by a committed transaction the
// store's current ones.
func (s *Store) publishLayouts() {
	if len(s.grown) == 0 {
		return
	}
	s.layoutMu.Lock()
	for _, l := range s.grown {
		s.layouts[l.Schema.ResourceType] = l
	}
	s.layoutMu.Unlock()
	s.grown = s.grown[:0]
	s.schemaVersion.Add(1)
}

// EnsureColumns makes sure a type's tables have columns for the fields in
// need, adding them (empty) if not: SQL that names a column (a view, a
// search) can then run before any data has used it.
func (s *Store) EnsureColumns(ctx context.Context, typ string, need fhirflat.Bits) error {
	if l, err := s.Layout(typ); err != nil || l.Covers(need) {
		return err
	}
	schema, err := s.b.Schema(typ)
	if err != nil {
		return err
	}
	s.mergeMu.Lock()
	defer s.mergeMu.Unlock()
	if _, err := s.mergeConn.ExecContext(ctx, "BEGIN TRANSACTION"); err != nil {
		return err
	}
	s.grown = s.grown[:0]
	if _, err := s.growLayout(ctx, schema, need); err != nil {
		_, _ = s.mergeConn.ExecContext(ctx, "ROLLBACK")
		return err
	}
	if _, err := s.mergeConn.ExecContext(ctx, "COMMIT"); err != nil {
		_, _ = s.mergeConn.ExecContext(ctx, "ROLLBACK")
		return fmt.Errorf("add columns to %s: %w", schema.Table, err)
	}
	s.publishLayouts()
	return nil
}
