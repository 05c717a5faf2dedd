package viewdef

import (
	"fmt"

	"github.com/fhirlake/fhirlake/fhirpath"
)

// Rows evaluates the view over one resource (decoded JSON, numbers as
// json.Number) and returns its rows, each with one value per column in
// Columns() order. Values are JSON values: string, bool, json.Number,
// map[string]any for complex types, []any for collection columns, nil for
// none. A resource of another type than the view's is an error.
func (v *View) Rows(resource map[string]any) ([][]any, error) {
	if rt, _ := resource["resourceType"].(string); rt != v.Resource {
		return nil, fmt.Errorf("viewdef: view reads %s, got a resource of type %q", v.Resource, rt)
	}
	r := &run{view: v, vars: make(map[string]fhirpath.Collection, len(v.vars)+2)}
	for k, c := range v.vars {
		r.vars[k] = c
	}
	root := fhirpath.Collection{fhirpath.FromJSON(resource)}
	r.vars["resource"], r.vars["rootResource"] = root, root
	r.ctx = &fhirpath.Context{Vars: r.vars}
	for i, w := range v.Where {
		out, err := r.eval(w, root, 0)
		if err != nil {
			return nil, fmt.Errorf("viewdef: where[%d]: %w", i, err)
		}
		switch {
		case len(out) == 0:
			return nil, nil
		case len(out) > 1:
			return nil, fmt.Errorf("viewdef: where[%d] (%s) must give one boolean, got %d items", i, w.Source(), len(out))
		}
		b, ok := out[0].JSON().(bool)
		if !ok {
			return nil, fmt.Errorf("viewdef: where[%d] (%s) must give a boolean, got %s", i, w.Source(), out[0].Type())
		}
		if !b {
			return nil, nil
		}
	}
	rows, err := r.selects(v.Select, root[0], 0)
	if err != nil {
		return nil, fmt.Errorf("viewdef: %w", err)
	}
	return rows, nil
}

type run struct {
	view *View
	vars map[string]fhirpath.Collection
	ctx  *fhirpath.Context
}

func (r *run) eval(e *fhirpath.Expr, input fhirpath.Collection, rowIndex int) (fhirpath.Collection, error) {
	r.vars["rowIndex"] = fhirpath.Collection{intValue(rowIndex)}
	return e.Evaluate(r.ctx, input)
}

func intValue(n int) fhirpath.Value {
	v, _ := fhirpath.Of(n)
	return v
}

// selects evaluates sibling selects on one focus and joins their rows
// (each row of the first with each row of the next, and so on).
func (r *run) selects(list []*Select, focus fhirpath.Value, rowIndex int) ([][]any, error) {
	rows := [][]any{{}}
	for _, s := range list {
		part, err := r.selectRows(s, focus, rowIndex)
		if err != nil {
			return nil, err
		}
		rows = product(rows, part)
		if len(rows) == 0 {
			return nil, nil
		}
	}
	return rows, nil
}

// selectRows evaluates one select on a focus.
func (r *run) selectRows(s *Select, focus fhirpath.Value, rowIndex int) ([][]any, error) {
	input := fhirpath.Collection{focus}
	var items fhirpath.Collection
	iterate := true
	switch {
	case s.ForEach != nil:
		out, err := r.eval(s.ForEach, input, rowIndex)
		if err != nil {
			return nil, fmt.Errorf("%s.forEach: %w", s.Path, err)
		}
		items = out
	case s.ForEachOrNull != nil:
		out, err := r.eval(s.ForEachOrNull, input, rowIndex)
		if err != nil {
			return nil, fmt.Errorf("%s.forEachOrNull: %w", s.Path, err)
		}
		if len(out) == 0 {
			return r.nullRow(s)
		}
		items = out
	case len(s.Repeat) > 0:
		out, err := r.repeat(s, focus, rowIndex, nil)
		if err != nil {
			return nil, err
		}
		items = out
	default:
		items, iterate = input, false
	}
	var rows [][]any
	for i, item := range items {
		idx := rowIndex
		if iterate {
			idx = i
		}
		part, err := r.focusRows(s, item, idx)
		if err != nil {
			return nil, err
		}
		rows = append(rows, part...)
	}
	return rows, nil
}

// focusRows evaluates a select's columns, nested selects and unionAll for
// one item.
func (r *run) focusRows(s *Select, item fhirpath.Value, rowIndex int) ([][]any, error) {
	cols, err := r.columns(s, fhirpath.Collection{item}, rowIndex)
	if err != nil {
		return nil, err
	}
	rows := [][]any{cols}
	if len(s.Select) > 0 {
		nested, err := r.selects(s.Select, item, rowIndex)
		if err != nil {
			return nil, err
		}
		if rows = product(rows, nested); len(rows) == 0 {
			return nil, nil
		}
	}
	if len(s.UnionAll) > 0 {
		var union [][]any
		for _, b := range s.UnionAll {
			part, err := r.selectRows(b, item, rowIndex)
			if err != nil {
				return nil, err
			}
			union = append(union, part...)
		}
		rows = product(rows, union)
	}
	return rows, nil
}

// nullRow is the single row of forEachOrNull over nothing: the select's
// own columns evaluated on an empty focus (%rowIndex is 0), nulls for
// the columns of its nested selects and unionAll branches.
func (r *run) nullRow(s *Select) ([][]any, error) {
	cols, err := r.columns(s, nil, 0)
	if err != nil {
		return nil, err
	}
	width := len(columnsOf([]*Select{s}))
	row := make([]any, width)
	copy(row, cols)
	return [][]any{row}, nil
}

// repeat collects the items the repeat paths reach from focus,
// recursively, depth first: each item is followed by the items reached
// from it.
func (r *run) repeat(s *Select, focus fhirpath.Value, rowIndex int, out fhirpath.Collection) (fhirpath.Collection, error) {
	var children fhirpath.Collection
	for i, e := range s.Repeat {
		c, err := r.eval(e, fhirpath.Collection{focus}, rowIndex)
		if err != nil {
			return nil, fmt.Errorf("%s.repeat[%d]: %w", s.Path, i, err)
		}
		children = append(children, c...)
	}
	for _, c := range children {
		out = append(out, c)
		var err error
		if out, err = r.repeat(s, c, rowIndex, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (r *run) columns(s *Select, input fhirpath.Collection, rowIndex int) ([]any, error) {
	row := make([]any, len(s.Columns))
	for i, c := range s.Columns {
		out, err := r.eval(c.Expr, input, rowIndex)
		if err != nil {
			return nil, fmt.Errorf("column %s: %w", c.Name, err)
		}
		if c.Collection {
			vals := make([]any, 0, len(out))
			for _, v := range out {
				if v.HasValue() {
					vals = append(vals, v.JSON())
				}
			}
			row[i] = vals
			continue
		}
		switch len(out) {
		case 0:
		case 1:
			if out[0].HasValue() {
				row[i] = out[0].JSON()
			}
		default:
			return nil, fmt.Errorf("column %s: %s gave %d values; a column holds one value unless it has collection: true", c.Name, c.Path, len(out))
		}
	}
	return row, nil
}

// product joins each row of a with each row of b.
func product(a, b [][]any) [][]any {
	out := make([][]any, 0, len(a)*len(b))
	for _, x := range a {
		for _, y := range b {
			row := make([]any, 0, len(x)+len(y))
			row = append(append(row, x...), y...)
			out = append(out, row)
		}
	}
	return out
}
