package engine

import (
	"context"
	"fmt"
	"sort"

	"github.com/fhirlake/fhirlake/fhirflat"
)

// growFirst adds the columns the types lack for the fields in need, in a
// transaction of its own, committed before the data that needs them is
// written. Growing a nested field rebuilds its top-level column with an
// UPDATE of every row (fhirflat.Layout.Grow says why), and DuckDB 1.5
// checks primary keys eagerly: in a table that has one (made by an earlier
// fhirlake), an UPDATE followed, in the same transaction, by the DELETE
// and INSERT of the same ids fails to commit with a duplicate key. New
// columns without data are harmless if the data transaction then fails.
// The caller holds mergeMu.
func (s *Store) growFirst(ctx context.Context, need map[string]fhirflat.Bits) error {
	var types []string
	for typ, bits := range need {
		if l, err := s.Layout(typ); err != nil {
			return err
		} else if bits != nil && !l.Covers(bits) {
			types = append(types, typ)
		}
	}
	if len(types) == 0 {
		return nil
	}
	sort.Strings(types)
	conn := s.mergeConn
	if _, err := conn.ExecContext(ctx, "BEGIN TRANSACTION"); err != nil {
		return err
	}
	s.grown = s.grown[:0]
	for _, typ := range types {
		schema, err := s.b.Schema(typ)
		if err != nil {
			_, _ = conn.ExecContext(ctx, "ROLLBACK")
			return err
		}
		if _, err := s.growLayout(ctx, schema, need[typ]); err != nil {
			_, _ = conn.ExecContext(ctx, "ROLLBACK")
			return err
		}
	}
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		_, _ = conn.ExecContext(ctx, "ROLLBACK")
		return fmt.Errorf("add columns: %w", err)
	}
	s.publishLayouts()
	return nil
}
