package engine

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/fhirlake/fhirlake/fhirflat"
)

// StoredView is a ViewDefinition kept in a store, and the SQL view it is.
type StoredView struct {
	ID          string
	Name        string // the SQL view's name (ViewDefinition.name)
	VersionID   int64
	LastUpdated time.Time
	Definition  []byte // the ViewDefinition JSON as stored
	SQL         string // the SELECT the view runs
}

// ViewNameError says a view's name cannot be used.
type ViewNameError struct{ Name, Reason string }

func (e *ViewNameError) Error() string { return fmt.Sprintf("view name %q: %s", e.Name, e.Reason) }

var viewName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,62}$`)

const viewsTable = internalSchema + ".views"

func (s *Store) createViewsTable(ctx context.Context) error {
	_, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS `+viewsTable+` (
  id VARCHAR PRIMARY KEY, name VARCHAR NOT NULL, version_id BIGINT NOT NULL,
  last_updated TIMESTAMPTZ NOT NULL, definition VARCHAR NOT NULL, sql VARCHAR NOT NULL)`)
	return err
}

// PutView creates or replaces the view of a ViewDefinition: the columns
// its SQL reads (need, on resourceType's tables) are added if new, and the
// SQL view main.<name> is (re)created, in one transaction.
func (s *Store) PutView(ctx context.Context, v StoredView, resourceType string, need fhirflat.Bits) (StoredView, bool, error) {
	if !viewName.MatchString(v.Name) {
		return v, false, &ViewNameError{v.Name, "a view name is a letter then letters, digits and _ (at most 63)"}
	}
	lower := strings.ToLower(v.Name)
	for _, rt := range s.b.Model().ResourceTypes() {
		if lower == fhirflat.TableName(rt) || lower == fhirflat.HistoryTable(rt) {
			return v, false, &ViewNameError{v.Name, "it is the name of a resource table"}
		}
	}
	schema, err := s.b.Schema(resourceType)
	if err != nil {
		return v, false, err
	}
	s.mergeMu.Lock()
	defer s.mergeMu.Unlock()
	conn := s.mergeConn
	var prevName string
	var prevVersion int64
	err = conn.QueryRowContext(ctx, "SELECT name, version_id FROM "+viewsTable+" WHERE id = ?", v.ID).Scan(&prevName, &prevVersion)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return v, false, err
	}
	created := errors.Is(err, sql.ErrNoRows)
	var other string
	err = conn.QueryRowContext(ctx, "SELECT id FROM "+viewsTable+" WHERE lower(name) = ? AND id <> ?", lower, v.ID).Scan(&other)
	if err == nil {
		return v, false, &ViewNameError{v.Name, "ViewDefinition/" + other + " already has it"}
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return v, false, err
	}
	if _, err := conn.ExecContext(ctx, "BEGIN TRANSACTION"); err != nil {
		return v, false, err
	}
	committed := false
	s.grown = s.grown[:0]
	defer func() {
		if !committed {
			_, _ = conn.ExecContext(ctx, "ROLLBACK")
			s.grown = s.grown[:0]
		}
	}()
	if _, err := s.growLayout(ctx, schema, need); err != nil {
		return v, false, err
	}
	if !created && !strings.EqualFold(prevName, v.Name) {
		if _, err := conn.ExecContext(ctx, "DROP VIEW IF EXISTS main."+fhirflat.QuoteIdent(prevName)); err != nil {
			return v, false, err
		}
	}
	if _, err := conn.ExecContext(ctx, "CREATE OR REPLACE VIEW main."+fhirflat.QuoteIdent(v.Name)+" AS "+v.SQL); err != nil {
		return v, false, fmt.Errorf("create view %s: %w", v.Name, err)
	}
	v.VersionID = prevVersion + 1
	v.LastUpdated = time.Now().UTC().Truncate(time.Microsecond)
	if _, err := conn.ExecContext(ctx, "INSERT OR REPLACE INTO "+viewsTable+" VALUES (?, ?, ?, ?, ?, ?)",
		v.ID, v.Name, v.VersionID, v.LastUpdated, string(v.Definition), v.SQL); err != nil {
		return v, false, err
	}
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		return v, false, fmt.Errorf("create view %s: %w", v.Name, err)
	}
	committed = true
	s.publishLayouts()
	s.schemaVersion.Add(1)
	return v, created, nil
}

// View returns a stored ViewDefinition by id.
func (s *Store) View(ctx context.Context, id string) (*StoredView, error) {
	var v StoredView
	var def string
	err := s.db.QueryRowContext(ctx, "SELECT id, name, version_id, last_updated, definition, sql FROM "+viewsTable+" WHERE id = ?", id).
		Scan(&v.ID, &v.Name, &v.VersionID, &v.LastUpdated, &def, &v.SQL)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, &NotFoundError{Type: "ViewDefinition", ID: id}
	}
	if err != nil {
		return nil, err
	}
	v.Definition = []byte(def)
	return &v, nil
}

// Views lists the stored ViewDefinitions by name.
func (s *Store) Views(ctx context.Context) ([]*StoredView, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT id, name, version_id, last_updated, definition, sql FROM "+viewsTable+" ORDER BY name")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*StoredView
	for rows.Next() {
		var v StoredView
		var def string
		if err := rows.Scan(&v.ID, &v.Name, &v.VersionID, &v.LastUpdated, &def, &v.SQL); err != nil {
			return nil, err
		}
		v.Definition = []byte(def)
		out = append(out, &v)
	}
	return out, rows.Err()
}

// DeleteView drops a view and forgets its ViewDefinition.
func (s *Store) DeleteView(ctx context.Context, id string) error {
	v, err := s.View(ctx, id)
	if err != nil {
		return err
	}
	s.mergeMu.Lock()
	defer s.mergeMu.Unlock()
	if _, err := s.mergeConn.ExecContext(ctx, "BEGIN TRANSACTION"); err != nil {
		return err
	}
	for _, q := range []string{"DROP VIEW IF EXISTS main." + fhirflat.QuoteIdent(v.Name), "DELETE FROM " + viewsTable + " WHERE id = '" + strings.ReplaceAll(id, "'", "''") + "'"} {
		if _, err := s.mergeConn.ExecContext(ctx, q); err != nil {
			_, _ = s.mergeConn.ExecContext(ctx, "ROLLBACK")
			return err
		}
	}
	if _, err := s.mergeConn.ExecContext(ctx, "COMMIT"); err != nil {
		return err
	}
	s.schemaVersion.Add(1)
	return nil
}
