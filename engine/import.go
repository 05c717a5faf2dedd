package engine

import (
	"context"
	"database/sql"
	"fmt"
	"hash/maphash"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/fhirlake/fhirlake/fhirflat"
)

// ImportBatch is a group of checked resources loaded in one transaction,
// with a checkpoint stored in the same transaction, so a bulk import that
// is interrupted resumes exactly after its last committed batch.
type ImportBatch struct {
	// Files holds, per resource type, files of rows (ids unique per type
	// across them), loaded by one statement. DuckDB's JSON reader reads
	// a file on one thread, so a type's rows dealt to LoadFiles files load
	// on all of DuckDB's threads.
	Files map[string][]ImportFile
	// Later holds further files per type (same format), loaded after
	// Files, one map after the other, in the same transaction: a resource
	// in several of them gets a version for each. Ids are unique per type
	// within one map.
	Later []map[string][]ImportFile
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

// ImportFile is an NDJSON file of fhirflat Row JSON (Normalizer output,
// one row per line, ids set) in the store's staging directory, with the
// ids of its rows: the versions already stored are looked up by id, so the
// rows go from DuckDB's JSON reader straight into the table. Import takes
// the file: once committed, the store keeps it as part of its copy for
// reads by id (docs.go).
type ImportFile struct {
	Path string
	IDs  []string
}

// LoadFiles is how many files a type's rows in an ImportBatch are best
// dealt to: one per thread of DuckDB, whose JSON reader reads each file
// on one thread. Measured on 290,696 Observation
// rows (273 MB) on two threads: 1.9-2.1 s from one file, 1.2-1.5 s from
// two; four were no faster than one.
func (s *Store) LoadFiles() int { return max(1, s.loadFiles) }

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

// testHookImportLoading, when set by a test, runs as an import starts
// loading; testHookImportCommitted after its commit, before its rows reach
// the copy for reads by id.
var testHookImportLoading, testHookImportCommitted func()

// importRun is an import loading beside the writer (write.go).
type importRun struct {
	req   *writeRequest
	keys  map[uint64]struct{} // hashes of type/id of the resources it imports
	seed  maphash.Seed
	ended chan error
}

// startImport starts an import in a goroutine of its own.
func (s *Store) startImport(req *writeRequest) *importRun {
	run := &importRun{req: req, keys: map[uint64]struct{}{}, seed: maphash.MakeSeed(), ended: make(chan error, 1)}
	for _, files := range append([]map[string][]ImportFile{req.imp.batch.Files}, req.imp.batch.Later...) {
		for typ, fs := range files {
			for _, f := range fs {
				for _, id := range f.IDs {
					run.keys[run.hash(typ, id)] = struct{}{}
				}
			}
		}
	}
	go func() { run.ended <- s.runImport(req.imp) }()
	return run
}

func (run *importRun) hash(typ, id string) uint64 {
	var h maphash.Hash
	h.SetSeed(run.seed)
	h.WriteString(typ)
	h.WriteByte('/')
	h.WriteString(id)
	return h.Sum64()
}

// touches says whether a write request may write a resource the import
// writes (a hash collision only makes it wait).
func (run *importRun) touches(req *writeRequest) bool {
	for _, op := range req.ops {
		if op.New {
			continue // an id just generated
		}
		if _, ok := run.keys[run.hash(op.Type, op.ID)]; ok {
			return true
		}
	}
	return false
}

// runImport executes an import: pending writes are merged first, then each
// type's rows are loaded with DuckDB's JSON reader straight into the typed
// tables. The import is stamped once it holds the merge lock, so no write
// stamped later can reach the tables before it (SyncAt).
func (s *Store) runImport(imp *importRequest) error {
	ctx := context.Background()
	s.mergeMu.Lock()
	defer s.mergeMu.Unlock()
	if err := s.mergeLocked(ctx); err != nil {
		return err
	}
	s.clock.mu.Lock()
	now := s.clock.next()
	s.clock.mu.Unlock()
	if testHookImportLoading != nil {
		testHookImportLoading()
	}
	need := map[string]fhirflat.Bits{}
	for _, files := range append([]map[string][]ImportFile{imp.batch.Files}, imp.batch.Later...) {
		for typ := range files {
			need[typ] = imp.batch.Present[typ]
		}
	}
	s.relieveIndexes(ctx, slices.Collect(maps.Keys(need)))
	if err := s.growFirst(ctx, need); err != nil { // grow.go
		return err
	}
	// from before the commit until the rows are in the copy, reads do not
	// take the copy's misses for absent resources
	s.importing.Add(1)
	inCopy := sync.OnceFunc(func() { s.importing.Add(-1) })
	defer inCopy()
	loaded, err := s.loadImport(ctx, imp, now)
	if outOfMemory(err) && s.checkpointForMemory(ctx) {
		// the indexes of other types and the rows waiting in the WAL
		// held memory the load needed: once more without them
		loaded, err = s.loadImport(ctx, imp, now)
	}
	if err != nil {
		return s.withMemoryHint(err)
	}
	if testHookImportCommitted != nil {
		testHookImportCommitted()
	}
	s.publishLayouts()
	s.cache.clear()
	s.pending.mu.Lock()
	for typ := range need {
		s.pending.tablesChanged([]string{typ}, now)
	}
	s.pending.mu.Unlock()
	// the copy (pebble, Go) beside the checkpoint (DuckDB, one thread)
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		s.putImported(loaded, now)
		inCopy()
	}()
	s.checkpointAfterImport(ctx)
	<-copied
	return nil
}

// importCheckpointWAL is the size of the WAL past which an import
// checkpoints after its commit. A type with fewer rows than a row group
// (122,880) in a chunk goes through the WAL, and its rows stay in memory,
// uncompressed, until a checkpoint compresses them into the database file
// (one thread's work); checkpoint_threshold (1GB) leaves that to the end
// of a 1M import, where nothing else runs beside it. Done after each chunk
// that passes 128 MB instead, it overlaps the workers checking the next
// chunk. Measured with ingestbench on 1M resources, three alternating
// pairs against the 1GB threshold alone: 15.5-17.2 s vs 17.7-19.3 s, the
// CHECKPOINT after the job 0.9-1.2 s vs 3.6-4.3 s, peak RSS 1,104-1,331 vs
// 1,334-1,459 MiB; at 5.1M and 14.3M, where the 1GB threshold already
// checkpoints during the import, the same within a run's spread
// (benchmarks/results/2026-11-27-amd-2core-ingest-scale.md).
const importCheckpointWAL = 128 << 20

// checkpointAfterImport checkpoints when the WAL passed the store's
// ImportCheckpointWAL; called under mergeMu. Merges of FHIR writes keep
// the global threshold.
func (s *Store) checkpointAfterImport(ctx context.Context) {
	if fi, err := os.Stat(s.path + ".wal"); err != nil || fi.Size() < s.importCheckpointWAL {
		return
	}
	if _, err := execWaiting(ctx, s.mergeConn, "CHECKPOINT"); err != nil {
		s.log.Warn("checkpoint after an import", "err", err) // the import stands; the rows stay in the WAL
		return
	}
	clear(s.indexes.written) // the primary-key indexes of older stores were written out (indexes.go)
}

// loadImport loads an import's files in one transaction and commits it;
// on error it rolls back.
func (s *Store) loadImport(ctx context.Context, imp *importRequest, now time.Time) ([]importedFile, error) {
	conn := s.mergeConn
	if _, err := conn.ExecContext(ctx, "BEGIN TRANSACTION"); err != nil {
		return nil, err
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
	var loaded []importedFile                // for the copy for reads by id, after the commit
	for _, files := range append([]map[string][]ImportFile{imp.batch.Files}, imp.batch.Later...) {
		for typ, fs := range files {
			schema, err := s.b.Schema(typ)
			if err != nil {
				return nil, err
			}
			layout := layouts[typ]
			if layout == nil {
				if layout, err = s.growLayout(ctx, schema, imp.batch.Present[typ]); err != nil {
					return nil, err
				}
				layouts[typ] = layout
			}
			created, updated, versions, err := s.importType(ctx, schema, layout, fs, now, imp.batch.MaxRowBytes)
			if err != nil {
				return nil, fmt.Errorf("import %s: %w", typ, err)
			}
			for _, f := range fs {
				loaded = append(loaded, importedFile{typ: typ, file: f, versions: versions})
			}
			imp.stats.Created[typ] += created
			imp.stats.Updated[typ] += updated
		}
	}
	if imp.batch.Checkpoint != "" {
		if _, err := conn.ExecContext(ctx, fmt.Sprintf("INSERT OR REPLACE INTO %s.checkpoints VALUES (?, ?)", internalSchema),
			imp.batch.Checkpoint, imp.batch.Value); err != nil {
			return nil, err
		}
	}
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		return nil, fmt.Errorf("import commit: %w", err)
	}
	committed = true
	return loaded, nil
}

// importType loads files of rows into a type's table. versions holds the
// new version id of each row whose resource was stored before (the others
// are version 1).
func (s *Store) importType(ctx context.Context, schema *fhirflat.Schema, layout *fhirflat.Layout, files []ImportFile, now time.Time, maxRow int) (created, updated int, versions map[string]int64, err error) {
	if len(files) == 0 {
		return 0, 0, nil, nil
	}
	conn := s.mergeConn
	table := "main." + fhirflat.QuoteIdent(schema.Table)
	history := "main." + fhirflat.QuoteIdent(fhirflat.HistoryTable(schema.ResourceType))
	maxObject := 268435456
	if maxRow > 0 {
		maxObject = max(maxRow+1, 1<<20)
	}
	idsPath := files[0].Path + ".ids"
	if err := writeIDs(idsPath, files); err != nil {
		return 0, 0, nil, err
	}
	defer os.Remove(idsPath)
	paths := make([]string, len(files))
	for i, f := range files {
		paths[i] = fhirflat.QuoteString(f.Path)
	}
	rows := fmt.Sprintf("read_json([%s], format = 'newline_delimited', columns = %s, maximum_object_size = %d)",
		strings.Join(paths, ", "), layout.ColumnsParam(), maxObject)
	ts := "'" + now.Format(time.RFC3339Nano) + "'::TIMESTAMPTZ"
	// The versions already stored, looked up by id; the rows then go
	// straight from the JSON reader into the table, with no copy between.
	stmts := []string{
		fmt.Sprintf("CREATE OR REPLACE TEMP TABLE stage_ids AS SELECT id FROM read_csv(%s, columns = {'id': 'VARCHAR'}, header = false, delim = '\t', quote = '', escape = '', auto_detect = false)", fhirflat.QuoteString(idsPath)),
		fmt.Sprintf(`CREATE OR REPLACE TEMP TABLE stage_versions AS
SELECT s.id, coalesce(t.version_id, h.version_id) + 1 AS version_id, t.id IS NOT NULL AS existed
FROM stage_ids s
LEFT JOIN %s t USING (id)
LEFT JOIN (SELECT id, max(version_id) AS version_id FROM %s WHERE id IN (SELECT id FROM stage_ids) GROUP BY id) h USING (id)
WHERE t.id IS NOT NULL OR h.id IS NOT NULL`, table, history),
	}
	for _, q := range stmts {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return 0, 0, nil, err
		}
	}
	var total, known int
	if err := conn.QueryRowContext(ctx, "SELECT (SELECT count(*) FROM stage_ids), count(*), count(*) FILTER (WHERE existed) FROM stage_versions").Scan(&total, &known, &updated); err != nil {
		return 0, 0, nil, err
	}
	if updated > 0 {
		for _, q := range []string{
			fmt.Sprintf("INSERT INTO %s BY NAME SELECT t.*, false AS deleted FROM %s t WHERE t.id IN (SELECT id FROM stage_versions WHERE existed)", history, table),
			fmt.Sprintf("DELETE FROM %s WHERE id IN (SELECT id FROM stage_versions WHERE existed)", table),
		} {
			if _, err := conn.ExecContext(ctx, q); err != nil {
				return 0, 0, nil, err
			}
		}
	}
	keys := layout.KeysSQL("s")
	insert := fmt.Sprintf("INSERT INTO %s BY NAME SELECT s.*, 1::BIGINT AS version_id, %s AS last_updated%s FROM %s s", table, ts, keys, rows)
	if known > 0 {
		if versions, err = stageVersions(ctx, conn); err != nil {
			return 0, 0, nil, err
		}
		insert = fmt.Sprintf("INSERT INTO %s BY NAME SELECT s.*, coalesce(v.version_id, 1) AS version_id, %s AS last_updated%s FROM %s s LEFT JOIN stage_versions v USING (id)", table, ts, keys, rows)
	}
	n, err := execWaiting(ctx, conn, insert)
	if err != nil {
		return 0, 0, nil, err
	}
	if n != int64(total) {
		return 0, 0, nil, fmt.Errorf("%s holds %d rows for %d ids", strings.Join(paths, ", "), n, total)
	}
	for _, q := range []string{"DROP TABLE stage_ids", "DROP TABLE stage_versions"} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return 0, 0, nil, err
		}
	}
	return total - updated, updated, versions, nil
}

func stageVersions(ctx context.Context, conn *sql.Conn) (map[string]int64, error) {
	rows, err := conn.QueryContext(ctx, "SELECT id, version_id FROM stage_versions")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	versions := map[string]int64{}
	for rows.Next() {
		var id string
		var v int64
		if err := rows.Scan(&id, &v); err != nil {
			return nil, err
		}
		versions[id] = v
	}
	return versions, rows.Err()
}

// writeIDs writes the ids of files one per line for read_csv (FHIR ids
// are [A-Za-z0-9.-]{1,64}: no tabs, quotes or line breaks). It runs before
// each load, with DuckDB idle: one buffer, sized first.
func writeIDs(path string, files []ImportFile) error {
	n := 0
	for _, f := range files {
		for _, id := range f.IDs {
			n += len(id) + 1
		}
	}
	b := make([]byte, 0, n)
	for _, f := range files {
		for _, id := range f.IDs {
			for i := 0; i < len(id); i++ {
				if c := id[i]; c == '\t' || c == '\n' || c == '\r' || c == '"' {
					return fmt.Errorf("import: bad id %q", id)
				}
			}
			b = append(b, id...)
			b = append(b, '\n')
		}
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return fmt.Errorf("import: %w", err)
	}
	return nil
}
