package engine

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/fhirlake/fhirlake/fhirflat"
)

// Resource is one version of a resource as read back.
type Resource struct {
	Type        string
	ID          string
	VersionID   int64
	LastUpdated time.Time
	Deleted     bool
	JSON        []byte // FHIR JSON; nil when Deleted
}

var denormalizers = sync.Pool{New: func() any { return new(fhirflat.Denormalizer) }}

func (s *Store) denormalize(schema *fhirflat.Schema, row []byte, sys fhirflat.SystemFields) ([]byte, fhirflat.SystemFields, error) {
	dn := denormalizers.Get().(*fhirflat.Denormalizer)
	defer denormalizers.Put(dn)
	return dn.Denormalize(nil, schema, row, sys)
}

func (s *Store) fromPending(schema *fhirflat.Schema, k key, e *pendingEntry) (*Resource, error) {
	r := &Resource{Type: k.typ, ID: k.id, VersionID: e.versionID, LastUpdated: e.lastUpdated, Deleted: e.deleted}
	if e.deleted {
		return r, nil
	}
	out, _, err := s.denormalize(schema, e.row, fhirflat.SystemFields{ID: k.id, VersionID: e.versionID, LastUpdated: e.lastUpdated})
	if err != nil {
		return nil, err
	}
	r.JSON = out
	return r, nil
}

// Read returns the current version of a resource: a *NotFoundError when it
// never existed, a *GoneError when its latest version is a deletion.
func (s *Store) Read(ctx context.Context, typ, id string) (*Resource, error) {
	schema, err := s.b.Schema(typ)
	if err != nil {
		return nil, err
	}
	k := key{typ, id}
	if e := s.pending.get(typ, id); e != nil {
		if e.deleted {
			return nil, &GoneError{Type: typ, ID: id, VersionID: e.versionID}
		}
		return s.fromPending(schema, k, e)
	}
	if r := s.cache.get(k); r != nil {
		return r, nil
	}
	gen := s.cache.generation()
	if r, said, err := s.readDoc(schema, typ, id); said != copyCannotSay {
		if err == nil {
			s.cache.put(k, r, gen)
		}
		return r, err
	}
	// the current table, found by scanning its id column
	var row string
	stmt, err := s.readStmt(ctx, schema)
	if err != nil {
		return nil, err
	}
	err = stmt.QueryRowContext(ctx, id).Scan(&row)
	if err == nil {
		r, err := s.rowResource(schema, row, false)
		if err == nil {
			s.cache.put(k, r, gen)
		}
		return r, err
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("read %s/%s: %w", typ, id, err)
	}
	// Merged between the two lookups?
	if e := s.pending.get(typ, id); e != nil {
		return s.Read(ctx, typ, id)
	}
	var version int64
	var deleted bool
	latest, err := s.Prepared(ctx, "SELECT version_id, deleted FROM main."+fhirflat.QuoteIdent(fhirflat.HistoryTable(typ))+
		" WHERE id = ? ORDER BY version_id DESC LIMIT 1")
	if err != nil {
		return nil, fmt.Errorf("prepare read of %s's history: %w", typ, err)
	}
	err = latest.QueryRowContext(ctx, id).Scan(&version, &deleted)
	if err == nil && deleted {
		return nil, &GoneError{Type: typ, ID: id, VersionID: version}
	}
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("read %s/%s: %w", typ, id, err)
	}
	return nil, &NotFoundError{Type: typ, ID: id}
}

// rowResource turns a to_json row of a resource or history table into a Resource.
func (s *Store) rowResource(schema *fhirflat.Schema, row string, deleted bool) (*Resource, error) {
	out, sys, err := s.denormalize(schema, []byte(row), fhirflat.SystemFields{})
	if err != nil {
		return nil, err
	}
	r := &Resource{Type: schema.ResourceType, ID: sys.ID, VersionID: sys.VersionID, LastUpdated: sys.LastUpdated, Deleted: deleted}
	if !deleted {
		r.JSON = out
	}
	return r, nil
}

// VRead returns one version of a resource. A deleted version comes back
// with Deleted set.
func (s *Store) VRead(ctx context.Context, typ, id string, version int64) (*Resource, error) {
	schema, err := s.b.Schema(typ)
	if err != nil {
		return nil, err
	}
	k := key{typ, id}
	if e := s.pending.get(typ, id); e != nil && e.versionID == version {
		return s.fromPending(schema, k, e)
	}
	if r, said, err := s.readDoc(schema, typ, id); said == copyHas && err == nil && r.VersionID == version {
		return r, nil // the current version, from the copy
	}
	// an earlier version still pending
	s.pending.mu.RLock()
	e := s.pending.version(k, version)
	s.pending.mu.RUnlock()
	if e != nil {
		return s.fromPending(schema, k, e)
	}
	var row string
	var deleted bool
	err = s.db.QueryRowContext(ctx, "SELECT to_json(t)::VARCHAR, false FROM main."+fhirflat.QuoteIdent(schema.Table)+
		" t WHERE id = ? AND version_id = ? UNION ALL SELECT to_json(h)::VARCHAR, h.deleted FROM main."+
		fhirflat.QuoteIdent(fhirflat.HistoryTable(typ))+" h WHERE id = ? AND version_id = ? LIMIT 1",
		id, version, id, version).Scan(&row, &deleted)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, &NotFoundError{Type: typ, ID: id, VersionID: version}
	}
	if err != nil {
		return nil, fmt.Errorf("vread %s/%s: %w", typ, id, err)
	}
	return s.rowResource(schema, row, deleted)
}

// HistoryOptions select entries of a history.
type HistoryOptions struct {
	Since time.Time // only versions updated at or after Since
	// At and AtEnd, when set, keep the versions that were current at some
	// time in [At, AtEnd) (FHIR's _at, a date's precision being a period).
	At, AtEnd time.Time
	// Before, when set, leaves out the versions written after it: the
	// history as it was then (the pages after the first of a history).
	Before time.Time
	Count  int // at most Count entries (0: all)
}

// History lists the versions of one resource (id set), of a type (id
// empty) or of every type (typ and id empty), newest first.
func (s *Store) History(ctx context.Context, typ, id string, opts HistoryOptions) ([]*Resource, error) {
	if err := s.Sync(ctx); err != nil {
		return nil, err
	}
	types := []string{typ}
	if typ == "" {
		var err error
		if types, err = s.TypesWithData(ctx); err != nil {
			return nil, err
		}
	}
	var parts []string
	var args []any
	for _, t := range types {
		schema, err := s.b.Schema(t)
		if err != nil {
			return nil, err
		}
		where := " WHERE true"
		var a []any
		if id != "" {
			where += " AND id = ?"
			a = append(a, id)
		}
		if !opts.Before.IsZero() {
			where += " AND last_updated <= ?"
			a = append(a, opts.Before)
		}
		if !opts.At.IsZero() {
			where += " AND last_updated < ?"
			a = append(a, opts.AtEnd)
		} else if !opts.Since.IsZero() {
			where += " AND last_updated >= ?"
			a = append(a, opts.Since)
		}
		lit := "'" + t + "'"
		part := "SELECT " + lit + " AS type, id, last_updated, version_id, to_json(t)::VARCHAR AS row, false AS deleted FROM main." + fhirflat.QuoteIdent(schema.Table) + " t" + where +
			" UNION ALL SELECT " + lit + ", id, last_updated, version_id, to_json(h)::VARCHAR, h.deleted FROM main." + fhirflat.QuoteIdent(fhirflat.HistoryTable(t)) + " h" + where
		args = append(args, a...)
		args = append(args, a...)
		if !opts.At.IsZero() {
			// written before the period ends, and replaced (if at all)
			// after it begins
			part = "SELECT * FROM (" + part + ") QUALIFY coalesce(lead(last_updated) OVER (PARTITION BY id ORDER BY version_id), 'infinity'::TIMESTAMPTZ) > ?"
			args = append(args, opts.At)
			if !opts.Since.IsZero() {
				part = "SELECT * FROM (" + part + ") WHERE last_updated >= ?"
				args = append(args, opts.Since)
			}
		}
		parts = append(parts, "SELECT type, last_updated, version_id, row, deleted FROM ("+part+")")
	}
	q := strings.Join(parts, " UNION ALL ") + " ORDER BY last_updated DESC, version_id DESC"
	if opts.Count > 0 {
		q += fmt.Sprintf(" LIMIT %d", opts.Count)
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	defer rows.Close()
	var out []*Resource
	for rows.Next() {
		var t, row string
		var lu time.Time
		var v int64
		var deleted bool
		if err := rows.Scan(&t, &lu, &v, &row, &deleted); err != nil {
			return nil, fmt.Errorf("history: %w", err)
		}
		schema, _ := s.b.Schema(t)
		r, err := s.rowResource(schema, row, deleted)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// TypesWithData lists the resource types that have rows (current or history).
func (s *Store) TypesWithData(ctx context.Context) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' AND estimated_size > 0")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	seen := map[string]bool{}
	var out []string
	byTable := map[string]string{}
	for _, t := range s.b.Model().ResourceTypes() {
		byTable[fhirflat.TableName(t)] = t
		byTable[fhirflat.HistoryTable(t)] = t
	}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, err
		}
		if t, ok := byTable[name]; ok && !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out, rows.Err()
}

// RowResource turns a row of a type's table, as to_json writes it, into
// a Resource (search results are read that way).
func (s *Store) RowResource(typ, row string) (*Resource, error) {
	schema, err := s.b.Schema(typ)
	if err != nil {
		return nil, err
	}
	return s.rowResource(schema, row, false)
}

// readStmt is the prepared point read of a type's table.
func (s *Store) readStmt(ctx context.Context, schema *fhirflat.Schema) (*sql.Stmt, error) {
	st, err := s.Prepared(ctx, "SELECT to_json(t)::VARCHAR FROM main."+fhirflat.QuoteIdent(schema.Table)+" t WHERE id = ?")
	if err != nil {
		return nil, fmt.Errorf("prepare read of %s: %w", schema.Table, err)
	}
	return st, nil
}

// maxPrepared bounds the statements a store keeps prepared.
const maxPrepared = 512

// Prepared returns query prepared on the store's database, from a cache:
// a query that repeats (a point read, a search of the same shape with
// other values) is planned once. The cache is emptied when the tables'
// columns change, and when it is full.
func (s *Store) Prepared(ctx context.Context, query string) (*sql.Stmt, error) {
	version := s.schemaVersion.Load()
	s.stmtMu.Lock()
	defer s.stmtMu.Unlock()
	if s.stmts == nil || s.stmtVersion != version || len(s.stmts) >= maxPrepared {
		// a caller may hold a statement it has not run yet: the old
		// ones are closed a while later (a closed statement's rows
		// still read, a query not started on it would fail)
		old := s.stmts
		time.AfterFunc(time.Minute, func() {
			for _, st := range old {
				st.Close()
			}
		})
		s.stmts, s.stmtVersion = map[string]*sql.Stmt{}, version
	}
	if st := s.stmts[query]; st != nil {
		return st, nil
	}
	st, err := s.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	s.stmts[query] = st
	return st, nil
}
