package engine

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/fhirlake/fhirlake/fhirflat"
)

// ImportBatch is a group of checked resources loaded in one transaction,
// with a checkpoint stored in the same transaction, so a bulk import that
// is interrupted resumes exactly after its last committed batch.
type ImportBatch struct {
	// Files holds, per resource type, an NDJSON file of fhirflat Row JSON
	// (Normalizer output, one row per line, ids set and unique per type).
	Files map[string]string
	// Later holds further files per type (same format), loaded after
	// Files, one map after the other, in the same transaction: a resource
	// in several of them gets a version for each. Ids are unique per type
	// within one map.
	Later []map[string]string
	// MaxRowBytes is the length of the longest row in the files (0: up to
	// 256 MiB). DuckDB's JSON reader allocates buffers of twice this size,
	// so a batch of small rows loads faster and in less memory when it says so.
	MaxRowBytes int
	// Present is, per type, every field the rows use (union of Row.Present).
	Present map[string]fhirflat.Bits
	// Checkpoint and Value, when Checkpoint is set, are stored with the
	// batch; read them back with Checkpoint.
	Checkpoint, Value string
}

// ImportStats says what a batch did.
type ImportStats struct {
	Created, Updated map[string]int // per type
}

type importRequest struct {
	batch ImportBatch
	stats ImportStats
}

// Import loads a batch: resources new to the store get version 1, others a
// new version (the current one moves to history). Import requests are
// serialized with writes through the writer, so versions stay consistent.
func (s *Store) Import(ctx context.Context, b ImportBatch) (ImportStats, error) {
	req := &writeRequest{imp: &importRequest{batch: b}, done: make(chan struct{})}
	select {
	case s.writes <- req:
	case <-s.closed:
		return ImportStats{}, ErrClosed
	case <-ctx.Done():
		return ImportStats{}, ctx.Err()
	}
	select {
	case <-req.done:
		return req.imp.stats, req.err
	case <-ctx.Done():
		return ImportStats{}, ctx.Err()
	}
}

// Checkpoint returns a checkpoint stored by Import.
func (s *Store) Checkpoint(ctx context.Context, name string) (string, bool, error) {
	var v string
	err := s.db.QueryRowContext(ctx, fmt.Sprintf("SELECT value FROM %s.checkpoints WHERE name = ?", internalSchema), name).Scan(&v)
	if err != nil {
		if strings.Contains(err.Error(), "no rows") {
			return "", false, nil
		}
		return "", false, fmt.Errorf("checkpoint %s: %w", name, err)
	}
	return v, true, nil
}

// DeleteCheckpoints removes the checkpoints whose names start with prefix.
func (s *Store) DeleteCheckpoints(ctx context.Context, prefix string) error {
	_, err := s.db.ExecContext(ctx, fmt.Sprintf("DELETE FROM %s.checkpoints WHERE starts_with(name, ?)", internalSchema), prefix)
	return err
}

// runImport executes an import on the writer's goroutine: pending writes
// are merged first, then each type's rows are loaded with DuckDB's JSON
// reader straight into the typed tables.
func (s *Store) runImport(imp *importRequest, now time.Time) error {
	ctx := context.Background()
	if err := s.merge(ctx); err != nil {
		return err
	}
	s.mergeMu.Lock()
	defer s.mergeMu.Unlock()
	conn := s.mergeConn
	need := map[string]fhirflat.Bits{}
	for _, files := range append([]map[string]string{imp.batch.Files}, imp.batch.Later...) {
		for typ := range files {
			need[typ] = imp.batch.Present[typ]
		}
	}
	if err := s.growFirst(ctx, need); err != nil { // grow.go
		return err
	}
	if _, err := conn.ExecContext(ctx, "BEGIN TRANSACTION"); err != nil {
		return err
	}
	committed := false
	s.grown = s.grown[:0]
	defer func() {
		if !committed {
			_, _ = conn.ExecContext(ctx, "ROLLBACK")
		}
	}()
	imp.stats = ImportStats{Created: map[string]int{}, Updated: map[string]int{}}
	layouts := map[string]*fhirflat.Layout{} // grown once per type in this transaction
	for _, files := range append([]map[string]string{imp.batch.Files}, imp.batch.Later...) {
		for typ, file := range files {
			schema, err := s.b.Schema(typ)
			if err != nil {
				return err
			}
			layout := layouts[typ]
			if layout == nil {
				if layout, err = s.growLayout(ctx, schema, imp.batch.Present[typ]); err != nil {
					return err
				}
				layouts[typ] = layout
			}
			created, updated, err := s.importType(ctx, schema, layout, file, now, imp.batch.MaxRowBytes)
			if err != nil {
				return fmt.Errorf("import %s: %w", typ, err)
			}
			imp.stats.Created[typ] += created
			imp.stats.Updated[typ] += updated
		}
	}
	if imp.batch.Checkpoint != "" {
		if _, err := conn.ExecContext(ctx, fmt.Sprintf("INSERT OR REPLACE INTO %s.checkpoints VALUES (?, ?)", internalSchema),
			imp.batch.Checkpoint, imp.batch.Value); err != nil {
			return err
		}
	}
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		return fmt.Errorf("import commit: %w", err)
	}
	committed = true
	s.publishLayouts()
	s.cache.clear()
	return nil
}

func (s *Store) importType(ctx context.Context, schema *fhirflat.Schema, layout *fhirflat.Layout, file string, now time.Time, maxRow int) (created, updated int, err error) {
	conn := s.mergeConn
	table := "main." + fhirflat.QuoteIdent(schema.Table)
	history := "main." + fhirflat.QuoteIdent(fhirflat.HistoryTable(schema.ResourceType))
	maxObject := 268435456
	if maxRow > 0 {
		maxObject = max(maxRow+1, 1<<20)
	}
	source := fmt.Sprintf("read_json('%s', format = 'newline_delimited', columns = %s, maximum_object_size = %d)",
		strings.ReplaceAll(file, "'", "''"), layout.ColumnsParam(), maxObject)
	ts := "'" + now.Format(time.RFC3339Nano) + "'::TIMESTAMPTZ"
	stmts := []string{
		"CREATE OR REPLACE TEMP TABLE stage AS SELECT * FROM " + source,
		fmt.Sprintf(`CREATE OR REPLACE TEMP TABLE stage_versions AS
SELECT s.id, coalesce(t.version_id, h.version_id, 0) + 1 AS version_id, t.id IS NOT NULL AS existed
FROM stage s
LEFT JOIN %s t USING (id)
LEFT JOIN (SELECT id, max(version_id) AS version_id FROM %s WHERE id IN (SELECT id FROM stage) GROUP BY id) h USING (id)`, table, history),
	}
	for _, q := range stmts {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return 0, 0, err
		}
	}
	var total int
	if err := conn.QueryRowContext(ctx, "SELECT count(*), count(*) FILTER (WHERE existed) FROM stage_versions").Scan(&total, &updated); err != nil {
		return 0, 0, err
	}
	if updated > 0 {
		for _, q := range []string{
			fmt.Sprintf("INSERT INTO %s BY NAME SELECT t.*, false AS deleted FROM %s t WHERE t.id IN (SELECT id FROM stage)", history, table),
			fmt.Sprintf("DELETE FROM %s WHERE id IN (SELECT id FROM stage)", table),
		} {
			if _, err := conn.ExecContext(ctx, q); err != nil {
				return 0, 0, err
			}
		}
	}
	if _, err := conn.ExecContext(ctx, fmt.Sprintf(
		"INSERT INTO %s BY NAME SELECT s.*, v.version_id AS version_id, %s AS last_updated FROM stage s JOIN stage_versions v USING (id)", table, ts)); err != nil {
		return 0, 0, err
	}
	for _, q := range []string{"DROP TABLE stage", "DROP TABLE stage_versions"} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return 0, 0, err
		}
	}
	return total - updated, updated, nil
}
