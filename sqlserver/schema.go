package sqlserver

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"
)

// storeSchema is a snapshot of a store's DuckDB schema `main`: the tables and
// views MySQL clients see. Other DuckDB schemas are internal to the engine.
type storeSchema struct {
	tables map[string]*tableInfo // keyed by lower-case name
	names  []string              // DuckDB names, sorted
}

type tableInfo struct {
	Name    string
	View    bool
	ViewSQL string
	Columns []columnInfo
	Rows    uint64 // DuckDB's estimate, tables only
}

type columnInfo struct {
	Name     string
	Type     *duckType
	Nullable bool
	Primary  bool
	Comment  string
}

func (s *storeSchema) table(name string) (*tableInfo, bool) {
	t, ok := s.tables[strings.ToLower(name)]
	return t, ok
}

func (t *tableInfo) column(name string) (*columnInfo, bool) {
	for i := range t.Columns {
		if strings.EqualFold(t.Columns[i].Name, name) {
			return &t.Columns[i], true
		}
	}
	return nil, false
}

// schemaColumnsSQL lists the columns with whether each is in the table's
// primary key: DuckDB's, or the id of a resource table (one with a
// history table beside it), which the store keeps unique without one.
const schemaColumnsSQL = `
SELECT c.table_name, c.column_name, c.data_type, c.is_nullable, coalesce(c.comment, ''),
       coalesce(list_contains(k.cols, c.column_name), false)
         OR (c.column_name = 'id' AND c.table_name || '_history' IN (
             SELECT table_name FROM duckdb_tables()
             WHERE database_name = current_database() AND schema_name = 'main'))
FROM duckdb_columns() c
LEFT JOIN (SELECT table_name, flatten(list(constraint_column_names)) AS cols
           FROM duckdb_constraints()
           WHERE database_name = current_database() AND schema_name = 'main'
             AND constraint_type = 'PRIMARY KEY'
           GROUP BY table_name) k ON k.table_name = c.table_name
WHERE c.database_name = current_database() AND c.schema_name = 'main'
  AND NOT c.internal
ORDER BY c.table_name, c.column_index`

const schemaViewsSQL = `
SELECT view_name, sql FROM duckdb_views()
WHERE database_name = current_database() AND schema_name = 'main'
  AND NOT internal AND NOT temporary`

const schemaTablesSQL = `
SELECT table_name, estimated_size FROM duckdb_tables()
WHERE database_name = current_database() AND schema_name = 'main'
  AND NOT internal AND NOT temporary`

// loadSchema reads a store's schema `main` from DuckDB.
func loadSchema(ctx context.Context, db *sql.DB) (*storeSchema, error) {
	s := &storeSchema{tables: map[string]*tableInfo{}}
	get := func(name string) *tableInfo {
		t, ok := s.tables[strings.ToLower(name)]
		if !ok {
			t = &tableInfo{Name: name}
			s.tables[strings.ToLower(name)] = t
		}
		return t
	}
	rows, err := db.QueryContext(ctx, schemaTablesSQL)
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	for rows.Next() {
		var name string
		var size int64
		if err := rows.Scan(&name, &size); err != nil {
			rows.Close()
			return nil, fmt.Errorf("list tables: %w", err)
		}
		get(name).Rows = uint64(max(size, 0))
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}

	rows, err = db.QueryContext(ctx, schemaViewsSQL)
	if err != nil {
		return nil, fmt.Errorf("list views: %w", err)
	}
	for rows.Next() {
		var name, def string
		if err := rows.Scan(&name, &def); err != nil {
			rows.Close()
			return nil, fmt.Errorf("list views: %w", err)
		}
		t := get(name)
		t.View, t.ViewSQL = true, def
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list views: %w", err)
	}

	rows, err = db.QueryContext(ctx, schemaColumnsSQL)
	if err != nil {
		return nil, fmt.Errorf("list columns: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var table, name, typ, comment string
		var nullable, primary bool
		if err := rows.Scan(&table, &name, &typ, &nullable, &comment, &primary); err != nil {
			return nil, fmt.Errorf("list columns: %w", err)
		}
		t, ok := s.tables[strings.ToLower(table)]
		if !ok {
			continue // a temporary or internal object
		}
		dt, err := parseDuckType(typ)
		if err != nil {
			return nil, fmt.Errorf("column %s.%s: %w", table, name, err)
		}
		t.Columns = append(t.Columns, columnInfo{Name: name, Type: dt, Nullable: nullable && !primary, Primary: primary, Comment: comment})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list columns: %w", err)
	}
	for _, t := range s.tables {
		s.names = append(s.names, t.Name)
	}
	sort.Strings(s.names)
	return s, nil
}

// SchemaVersioner is an optional capability of a Store: a number that
// changes whenever the store's tables or views change. With it, sqlserver
// re-reads a store's schema exactly when it changed; without it, it
// re-reads in the background every Config.SchemaTTL.
type SchemaVersioner interface {
	SchemaVersion() uint64
}

// schemaCache keeps each store's schema: reading it from DuckDB takes
// 10-30 ms, and GMS asks for the catalog many times per SHOW or
// information_schema query. A stale entry is served while one background
// reload refreshes it, so queries do not wait for it.
type schemaCache struct {
	ttl time.Duration
	mu  sync.Mutex
	m   map[string]*cachedSchema
}

type cachedSchema struct {
	db        *sql.DB
	at        time.Time
	version   uint64
	schema    *storeSchema
	reloading bool
}

func (c *schemaCache) get(ctx context.Context, st Store) (*storeSchema, error) {
	db := st.DB()
	vs, versioned := st.(SchemaVersioner)
	var version uint64
	if versioned {
		version = vs.SchemaVersion()
	}
	c.mu.Lock()
	e, ok := c.m[st.ID()]
	if ok && e.db == db && (!versioned || e.version == version) {
		if !versioned && time.Since(e.at) >= c.ttl && !e.reloading {
			e.reloading = true
			go c.reload(st, db, e)
		}
		s := e.schema
		c.mu.Unlock()
		return s, nil
	}
	c.mu.Unlock()
	s, err := loadSchema(ctx, db)
	if err != nil {
		return nil, fmt.Errorf("read schema of data store %s: %w", st.ID(), err)
	}
	c.mu.Lock()
	if c.m == nil {
		c.m = map[string]*cachedSchema{}
	}
	c.m[st.ID()] = &cachedSchema{db: db, at: time.Now(), version: version, schema: s}
	c.mu.Unlock()
	return s, nil
}

// reload refreshes a stale entry in the background.
func (c *schemaCache) reload(st Store, db *sql.DB, e *cachedSchema) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := loadSchema(ctx, db)
	c.mu.Lock()
	defer c.mu.Unlock()
	e.reloading = false
	if err != nil {
		return // keep serving the old schema; the next get tries again
	}
	if c.m[st.ID()] == e {
		c.m[st.ID()] = &cachedSchema{db: db, at: time.Now(), schema: s}
	}
}
