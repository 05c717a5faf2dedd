package engine

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	_ "github.com/duckdb/duckdb-go/v2" // the "duckdb" database/sql driver
)

// Data store states, as HealthLake names them.
const (
	Creating     = "CREATING"
	Active       = "ACTIVE"
	Deleting     = "DELETING"
	Deleted      = "DELETED"
	CreateFailed = "CREATE_FAILED"
)

// Datastore is a data store's record in the catalog.
type Datastore struct {
	ID          string
	Name        string
	Status      string
	TypeVersion string
	CreatedAt   time.Time
	ClientToken string
	// The request's configuration objects, kept as sent.
	SseConfiguration              json.RawMessage
	PreloadDataConfig             json.RawMessage
	IdentityProviderConfiguration json.RawMessage
	ErrorCause                    *ErrorCause
}

// ErrorCause says why a data store could not be created.
type ErrorCause struct {
	ErrorMessage  string `json:"ErrorMessage"`
	ErrorCategory string `json:"ErrorCategory"` // RETRYABLE_ERROR or NON_RETRYABLE_ERROR
}

// Tag is a key and value attached to a data store.
type Tag struct{ Key, Value string }

// catalog is the catalog database: data stores and their tags. The list
// of data stores is kept in memory between changes: the SQL server asks
// for it on every query.
type catalog struct {
	db *sql.DB

	mu     sync.Mutex
	gen    uint64      // incremented by every change of a record
	listed []Datastore // the records, when listOK
	listOK bool
}

// changed invalidates the listed records.
func (c *catalog) changed() {
	c.mu.Lock()
	c.gen++
	c.listOK = false
	c.mu.Unlock()
}

func openCatalog(ctx context.Context, path string) (*catalog, error) {
	db, err := sql.Open("duckdb", path)
	if err != nil {
		return nil, fmt.Errorf("open catalog: %w", err)
	}
	db.SetMaxOpenConns(1) // one connection: catalog writes are few and serialized
	stmts := []string{
		`CREATE TABLE IF NOT EXISTS datastores (
  id VARCHAR PRIMARY KEY,
  name VARCHAR,
  status VARCHAR NOT NULL,
  type_version VARCHAR NOT NULL,
  created_at TIMESTAMPTZ NOT NULL,
  client_token VARCHAR,
  sse VARCHAR,
  preload VARCHAR,
  identity VARCHAR,
  error_cause VARCHAR)`,
		`CREATE TABLE IF NOT EXISTS tags (datastore_id VARCHAR NOT NULL, key VARCHAR NOT NULL, value VARCHAR NOT NULL, PRIMARY KEY (datastore_id, key))`,
		jobsDDL, // jobs.go
	}
	for _, q := range stmts {
		if _, err := db.ExecContext(ctx, q); err != nil {
			db.Close()
			return nil, fmt.Errorf("open catalog: %w", err)
		}
	}
	return &catalog{db: db}, nil
}

func (c *catalog) close() error { return c.db.Close() }

func nullable(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return string(b)
}

func (c *catalog) insert(ctx context.Context, d *Datastore, tags []Tag) error {
	defer c.changed()
	tx, err := c.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO datastores VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)`,
		d.ID, d.Name, d.Status, d.TypeVersion, d.CreatedAt, d.ClientToken,
		nullable(d.SseConfiguration), nullable(d.PreloadDataConfig), nullable(d.IdentityProviderConfiguration)); err != nil {
		return fmt.Errorf("catalog insert: %w", err)
	}
	for _, t := range tags {
		if _, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO tags VALUES (?, ?, ?)`, d.ID, t.Key, t.Value); err != nil {
			return fmt.Errorf("catalog insert tags: %w", err)
		}
	}
	return tx.Commit()
}

func (c *catalog) setStatus(ctx context.Context, id, status string, cause *ErrorCause) error {
	defer c.changed()
	var causeJSON any
	if cause != nil {
		b, _ := json.Marshal(cause)
		causeJSON = string(b)
	}
	_, err := c.db.ExecContext(ctx, `UPDATE datastores SET status = ?, error_cause = ? WHERE id = ?`, status, causeJSON, id)
	if err != nil {
		return fmt.Errorf("catalog status: %w", err)
	}
	return nil
}

const datastoreColumns = `id, name, status, type_version, created_at, client_token, sse, preload, identity, error_cause`

func scanDatastore(sc interface{ Scan(...any) error }) (*Datastore, error) {
	var d Datastore
	var name, token, sse, preload, identity, cause *string
	if err := sc.Scan(&d.ID, &name, &d.Status, &d.TypeVersion, &d.CreatedAt, &token, &sse, &preload, &identity, &cause); err != nil {
		return nil, err
	}
	if name != nil {
		d.Name = *name
	}
	if token != nil {
		d.ClientToken = *token
	}
	if sse != nil {
		d.SseConfiguration = json.RawMessage(*sse)
	}
	if preload != nil {
		d.PreloadDataConfig = json.RawMessage(*preload)
	}
	if identity != nil {
		d.IdentityProviderConfiguration = json.RawMessage(*identity)
	}
	if cause != nil {
		d.ErrorCause = &ErrorCause{}
		if err := json.Unmarshal([]byte(*cause), d.ErrorCause); err != nil {
			return nil, err
		}
	}
	return &d, nil
}

func (c *catalog) get(ctx context.Context, id string) (*Datastore, error) {
	d, err := scanDatastore(c.db.QueryRowContext(ctx, `SELECT `+datastoreColumns+` FROM datastores WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("catalog get: %w", err)
	}
	return d, nil
}

func (c *catalog) byClientToken(ctx context.Context, token string) (*Datastore, error) {
	d, err := scanDatastore(c.db.QueryRowContext(ctx, `SELECT `+datastoreColumns+` FROM datastores WHERE client_token = ? ORDER BY created_at LIMIT 1`, token))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("catalog get: %w", err)
	}
	return d, nil
}

// list returns data stores ordered by creation time and id; callers may
// change the records they get.
func (c *catalog) list(ctx context.Context) ([]*Datastore, error) {
	c.mu.Lock()
	if c.listOK {
		out := copies(c.listed)
		c.mu.Unlock()
		return out, nil
	}
	gen := c.gen
	c.mu.Unlock()
	rows, err := c.db.QueryContext(ctx, `SELECT `+datastoreColumns+` FROM datastores ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("catalog list: %w", err)
	}
	defer rows.Close()
	var listed []Datastore
	for rows.Next() {
		d, err := scanDatastore(rows)
		if err != nil {
			return nil, fmt.Errorf("catalog list: %w", err)
		}
		listed = append(listed, *d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("catalog list: %w", err)
	}
	c.mu.Lock()
	if c.gen == gen { // no change since the query started
		c.listed, c.listOK = listed, true
	}
	c.mu.Unlock()
	return copies(listed), nil
}

// copies returns the records as pointers to fresh copies (their
// ErrorCause included).
func copies(ds []Datastore) []*Datastore {
	out := make([]*Datastore, len(ds))
	for i := range ds {
		d := ds[i]
		if d.ErrorCause != nil {
			cause := *d.ErrorCause
			d.ErrorCause = &cause
		}
		out[i] = &d
	}
	return out
}

func (c *catalog) tags(ctx context.Context, id string) ([]Tag, error) {
	rows, err := c.db.QueryContext(ctx, `SELECT key, value FROM tags WHERE datastore_id = ? ORDER BY key`, id)
	if err != nil {
		return nil, fmt.Errorf("catalog tags: %w", err)
	}
	defer rows.Close()
	var out []Tag
	for rows.Next() {
		var t Tag
		if err := rows.Scan(&t.Key, &t.Value); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

func (c *catalog) setTags(ctx context.Context, id string, tags []Tag) error {
	tx, err := c.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, t := range tags {
		if _, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO tags VALUES (?, ?, ?)`, id, t.Key, t.Value); err != nil {
			return fmt.Errorf("catalog tag: %w", err)
		}
	}
	return tx.Commit()
}

func (c *catalog) removeTags(ctx context.Context, id string, keys []string) error {
	tx, err := c.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, k := range keys {
		if _, err := tx.ExecContext(ctx, `DELETE FROM tags WHERE datastore_id = ? AND key = ?`, id, k); err != nil {
			return fmt.Errorf("catalog untag: %w", err)
		}
	}
	return tx.Commit()
}
