package engine

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/fhirlake/fhirlake/docstore"
	"github.com/fhirlake/fhirlake/fhirflat"
)

// internalSchema holds the store's own bookkeeping tables; SQL clients see
// only the main schema.
const internalSchema = "_fhirlake"

// schemaVersion changes whenever the table layout does.
const schemaVersion = "2"

// Store is one data store: a DuckDB database with a table per resource type
// (current versions), a history table per type, and the pending writes
// that the merger moves into them (see merge.go).
type Store struct {
	ID      string
	path    string
	staging string
	b       *fhirflat.Builder
	log     *slog.Logger

	importCheckpointWAL int64 // StoreOptions.ImportCheckpointWAL
	loadFiles           int   // DuckDB's threads: files per type in an ImportBatch
	maxBacklog          int   // StoreOptions.MaxBacklog

	connector *duckdb.Connector
	db        *sql.DB // reads: a pool of connections

	writeConn *sql.Conn       // the writer's connection (write.go)
	mergeConn *sql.Conn       // the merger's connection (merge.go)
	mergeMu   sync.Mutex      // serializes use of mergeConn: merges, imports, new columns
	clock     clock           // stamps writes and imports (write.go)
	indexes   residentIndexes // primary-key indexes in memory (indexes.go); under mergeMu

	wlog    *writeLog // acknowledged writes until merged (writelog.go)
	pending pendingIndex
	cache   *readCache

	docs       *docstore.Store // the copy for reads by id (docs.go)
	docsReady  atomic.Bool     // the copy holds every current version
	docsBroken atomic.Bool     // a write to the copy failed
	docsMu     sync.Mutex      // orders changes of docsReady and docsBroken
	importing  atomic.Int32    // imports loading, until their rows are in the copy (runImport)

	layoutMu sync.RWMutex
	layouts  map[string]*fhirflat.Layout // the columns each type's tables have (merge.go grows them)
	grown    []*fhirflat.Layout          // grown in the merge transaction, published on commit

	schemaVersion atomic.Uint64

	stmtMu      sync.Mutex
	stmtVersion uint64
	stmts       map[string]*sql.Stmt // Prepared's cache

	writes chan *writeRequest
	kick   chan struct{}
	stop   chan struct{}
	wg     sync.WaitGroup

	closeOnce sync.Once
	closed    chan struct{}
}

// StoreOptions tune a store.
type StoreOptions struct {
	// MergeInterval is how long writes may stay pending before the merger
	// moves them into the typed tables on its own (SQL and search merge
	// what they need first). Default 5s: each merge has a fixed cost and
	// competes with the writer, and creates from 16 clients at 1M ran
	// at 1,650-1,670/s (p99 41-45 ms) with 1s, 1,877/s (p99 28 ms) with 5s.
	MergeInterval time.Duration
	// MergeRows starts a merge when this many writes are pending. Default 20,000.
	MergeRows int
	// ReadConns is the size of the read pool. Default 4.
	ReadConns int
	// MemoryLimit caps DuckDB's memory (e.g. "2GB"); empty keeps DuckDB's default.
	MemoryLimit string
	// Threads is DuckDB's thread count; 0 keeps DuckDB's default (one per
	// core). One thread loads imports faster on two cores (DuckDB's
	// client thread otherwise busy-waits while its worker runs a task),
	// but every query then runs on one core.
	Threads int
	// CacheBytes bounds the cache of resources read by id; 0 means 256 MiB,
	// a negative value turns the cache off.
	CacheBytes int
	// ImportCheckpointWAL is the size of the WAL past which an import
	// checkpoints after its commit; 0 means 128 MiB (see
	// importCheckpointWAL).
	ImportCheckpointWAL int64
	// MaxBacklog is how many accepted writes may wait for merges that
	// fail (the database cannot commit) before further writes are refused
	// with a BacklogError; 0 means 100,000. They are durable in the write
	// log and also held in memory until merged.
	MaxBacklog int
	// Hardening returns the statements that confine the database (file
	// access, extensions, settings) once the store has set itself up; they
	// may lock its configuration. The staging directory is the one place
	// the store's own bulk loads read files from.
	Hardening func(staging string) []string
	Logger    *slog.Logger
}

func (o StoreOptions) withDefaults() StoreOptions {
	if o.MergeInterval <= 0 {
		o.MergeInterval = 5 * time.Second
	}
	if o.MergeRows <= 0 {
		o.MergeRows = 20000
	}
	if o.ReadConns <= 0 {
		o.ReadConns = 4
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.CacheBytes == 0 {
		o.CacheBytes = 256 << 20
	}
	if o.ImportCheckpointWAL <= 0 {
		o.ImportCheckpointWAL = importCheckpointWAL
	}
	if o.MaxBacklog <= 0 {
		o.MaxBacklog = 100_000
	}
	return o
}

// StorageVersion is the storage format of a store's database file when
// OpenStore creates it (a file keeps the format it was created with).
// DuckDB's default writes files older releases can read; this release's
// format has newer string compression and keeps primary-key indexes (of
// tables made by an earlier fhirlake) as they are in memory, where the
// default converts them at every checkpoint. Measured on 535k
// Observations in a table with a primary key, load and checkpoint: 4.3-4.7
// CPU-s instead of 5.7. Such a file opens in DuckDB 1.5 or later.
const StorageVersion = "v1.5.0"

// OpenStore opens (creating if needed) the database of a data store and
// starts its writer and merger.
func OpenStore(ctx context.Context, id, path, staging string, b *fhirflat.Builder, opts StoreOptions) (*Store, error) {
	opts = opts.withDefaults()
	if err := os.MkdirAll(staging, 0o700); err != nil {
		return nil, fmt.Errorf("open store %s: %w", id, err)
	}
	connector, err := duckdb.NewConnector(path+"?storage_compatibility_version="+StorageVersion, nil)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", id, err)
	}
	s := &Store{
		ID: id, path: path, staging: staging, b: b, log: opts.Logger.With("datastore", id),
		importCheckpointWAL: opts.ImportCheckpointWAL,
		maxBacklog:          opts.MaxBacklog,
		connector:           connector,
		writes:              make(chan *writeRequest, 1024),
		kick:                make(chan struct{}, 1),
		stop:                make(chan struct{}),
		closed:              make(chan struct{}),
		cache:               newReadCache(opts.CacheBytes),
	}
	if lazyFreeErr != nil {
		s.log.Warn("memory DuckDB frees may stay resident", "err", lazyFreeErr)
	}
	s.db = sql.OpenDB(connector)
	s.db.SetMaxOpenConns(opts.ReadConns + 2)
	s.db.SetMaxIdleConns(opts.ReadConns + 2)
	s.db.SetConnMaxIdleTime(0)
	fail := func(err error) (*Store, error) {
		s.db.Close()
		connector.Close()
		return nil, fmt.Errorf("open store %s: %w", id, err)
	}
	// Instants come back in UTC; checkpoints run on the merger's schedule,
	// not in the middle of a commit. Global settings: they hold for every
	// connection, and are set before any hardening locks the configuration.
	settings := []string{"SET GLOBAL TimeZone = 'UTC'", "SET GLOBAL checkpoint_threshold = '1GB'"}
	if opts.MemoryLimit != "" {
		settings = append(settings, fmt.Sprintf("SET GLOBAL memory_limit = '%s'", opts.MemoryLimit))
	}
	if opts.Threads > 0 {
		settings = append(settings, fmt.Sprintf("SET GLOBAL threads = %d", opts.Threads))
	}
	for _, q := range settings {
		if _, err := s.db.ExecContext(ctx, q); err != nil {
			return fail(err)
		}
	}
	if err := s.readMemoryLimit(ctx); err != nil {
		return fail(err)
	}
	if err := s.db.QueryRowContext(ctx, "SELECT current_setting('threads')").Scan(&s.loadFiles); err != nil {
		return fail(fmt.Errorf("threads: %w", err))
	}
	if err := s.createSchema(ctx); err != nil {
		return fail(err)
	}
	if err := s.createViewsTable(ctx); err != nil {
		return fail(err)
	}
	for _, q := range fhirflat.Macros {
		if _, err := s.db.ExecContext(ctx, q); err != nil {
			return fail(fmt.Errorf("create macros: %w", err))
		}
	}
	if s.writeConn, err = s.db.Conn(ctx); err != nil {
		return fail(err)
	}
	if s.mergeConn, err = s.db.Conn(ctx); err != nil {
		s.writeConn.Close()
		return fail(err)
	}
	if err := s.loadLayouts(ctx); err != nil {
		s.writeConn.Close()
		s.mergeConn.Close()
		return fail(err)
	}
	if err := s.loadPending(ctx); err != nil {
		s.writeConn.Close()
		s.mergeConn.Close()
		return fail(err)
	}
	if err := s.openDocs(ctx); err != nil {
		s.wlog.close(0)
		s.writeConn.Close()
		s.mergeConn.Close()
		return fail(err)
	}
	if opts.Hardening != nil {
		for _, q := range opts.Hardening(staging) {
			if _, err := s.db.ExecContext(ctx, q); err != nil {
				close(s.stop)
				s.wg.Wait() // a fill started by openDocs
				s.docs.Close("")
				s.wlog.close(0)
				s.writeConn.Close()
				s.mergeConn.Close()
				return fail(fmt.Errorf("harden: %s: %w", q, err))
			}
		}
	}
	for _, f := range []string{path, path + ".wal"} {
		if _, err := os.Stat(f); err == nil {
			_ = os.Chmod(f, 0o600)
		}
	}
	s.wg.Add(2)
	go s.writer()
	go s.merger(opts)
	return s, nil
}

// createSchema creates every table the store needs, in one transaction.
func (s *Store) createSchema(ctx context.Context) error {
	var version string
	err := s.db.QueryRowContext(ctx, fmt.Sprintf(
		"SELECT value FROM %s.settings WHERE key = 'schema_version'", internalSchema)).Scan(&version)
	if err == nil {
		if version != schemaVersion {
			return fmt.Errorf("database layout version %s, this fhirlake uses %s", version, schemaVersion)
		}
		return nil
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	stmts := []string{
		"CREATE SCHEMA IF NOT EXISTS " + internalSchema,
		fmt.Sprintf("CREATE TABLE %s.settings (key VARCHAR PRIMARY KEY, value VARCHAR)", internalSchema),
		// pending held the writes not yet merged before the write log
		// did (writelog.go); a store opened with rows in it moves them
		// into the log
		fmt.Sprintf(`CREATE TABLE %s.pending (
  seq BIGINT PRIMARY KEY,
  type VARCHAR NOT NULL,
  id VARCHAR NOT NULL,
  version_id BIGINT NOT NULL,
  last_updated TIMESTAMPTZ NOT NULL,
  deleted BOOLEAN NOT NULL,
  row VARCHAR,
  fields BLOB)`, internalSchema),
		fmt.Sprintf("CREATE TABLE %s.layouts (type VARCHAR PRIMARY KEY, layout VARCHAR NOT NULL)", internalSchema),
		fmt.Sprintf("CREATE TABLE %s.checkpoints (name VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)", internalSchema),
	}
	for _, rt := range s.b.Model().ResourceTypes() {
		schema, err := s.b.Schema(rt)
		if err != nil {
			return err
		}
		stmts = append(stmts, schema.CreateTable("main", false), schema.CreateTable("main", true))
	}
	for _, q := range stmts {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("create tables: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("INSERT INTO %s.settings VALUES ('schema_version', ?)", internalSchema), schemaVersion); err != nil {
		return err
	}
	return tx.Commit()
}

// loadLayouts reads the columns each type's tables have.
func (s *Store) loadLayouts(ctx context.Context) error {
	s.layouts = map[string]*fhirflat.Layout{}
	rows, err := s.db.QueryContext(ctx, fmt.Sprintf("SELECT type, layout FROM %s.layouts", internalSchema))
	if err != nil {
		return fmt.Errorf("load layouts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var typ, data string
		if err := rows.Scan(&typ, &data); err != nil {
			return fmt.Errorf("load layouts: %w", err)
		}
		schema, err := s.b.Schema(typ)
		if err != nil {
			return err
		}
		if s.layouts[typ], err = fhirflat.ParseLayout(schema, []byte(data)); err != nil {
			return err
		}
	}
	return rows.Err()
}

// Layout returns the columns a type's tables have now.
func (s *Store) Layout(typ string) (*fhirflat.Layout, error) {
	s.layoutMu.RLock()
	l := s.layouts[typ]
	s.layoutMu.RUnlock()
	if l != nil {
		return l, nil
	}
	schema, err := s.b.Schema(typ)
	if err != nil {
		return nil, err
	}
	return fhirflat.NewLayout(schema), nil
}

// DB is the store's database for readers (SQL, search). Call Sync first to
// see every acknowledged write in the typed tables.
func (s *Store) DB() *sql.DB { return s.db }

// StagingDir is where files for the store's bulk loads go: the one
// directory its database may read.
func (s *Store) StagingDir() string { return s.staging }

// SchemaVersion changes whenever a table gains columns or a view changes,
// for caches of the store's schema (the SQL server's).
func (s *Store) SchemaVersion() uint64 { return s.schemaVersion.Load() }

// Builder is the schema builder the store's tables follow.
func (s *Store) Builder() *fhirflat.Builder { return s.b }

// Close stops the writer and merger, merges what is pending and closes the
// database. Writes after Close fail with ErrClosed.
func (s *Store) Close() error {
	var err error
	s.closeOnce.Do(func() {
		close(s.stop)
		s.wg.Wait()
		close(s.closed)
		s.stmtMu.Lock()
		for _, st := range s.stmts {
			st.Close()
		}
		s.stmtMu.Unlock()
		s.pending.mu.RLock()
		merged := s.pending.merged
		s.pending.mu.RUnlock()
		logErr := s.wlog.close(merged) // the writer and merger have stopped
		s.writeConn.Close()
		s.mergeConn.Close()
		docsErr := s.closeDocs()
		if _, e := s.db.Exec("CHECKPOINT"); e != nil {
			s.log.Warn("checkpoint on close", "err", e)
		}
		err = s.db.Close()
		if e := s.connector.Close(); err == nil {
			err = e
		}
		if err == nil {
			err = docsErr
		}
		if err == nil {
			err = logErr
		}
	})
	return err
}
