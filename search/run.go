package search

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/fhirlake/fhirlake/engine"
	"github.com/fhirlake/fhirlake/fhirflat"
	"github.com/fhirlake/fhirlake/r4"
)

// Paging limits.
const (
	DefaultCount = 50
	MaxCount     = 1000
	maxIncluded  = 5000
)

// Result is one page of a search.
type Result struct {
	Total    int // -1 when not counted (_total=none)
	Matches  []*engine.Resource
	Included []*engine.Resource
	More     bool // a next page exists
	Count    int  // the page size used
	Offset   int
	// Snapshot is the instant the matches were taken at: the query's, or
	// the one the store's tables were complete through when the search
	// began (Store.SyncAt); the links to other pages carry it.
	Snapshot time.Time
}

// Run runs a search on a store: the store's pending writes are merged
// first (a search sees every acknowledged write), the columns the search
// reads are added if new, then one query gives the page and, unless the
// page holds the last match, one the total.
func (c *Compiler) Run(ctx context.Context, st *engine.Store, q *Query, base string) (*Result, error) {
	res, err := c.run(ctx, st, q, base, fhirflat.Need)
	if fhirflat.MissingField(err) {
		// the SQL reads further into a STRUCT than the lean columns hold
		res, err = c.run(ctx, st, q, base, fhirflat.NeedAll)
	}
	return res, err
}

// needFunc says which fields SQL over some fields needs (fhirflat.Need or
// fhirflat.NeedAll).
type needFunc func(*fhirflat.Schema, []*fhirflat.Field) fhirflat.Bits

func (c *Compiler) run(ctx context.Context, st *engine.Store, q *Query, base string, need needFunc) (*Result, error) {
	at, err := st.SyncAt(ctx)
	if err != nil {
		return nil, err
	}
	if testHookAfterSync != nil {
		testHookAfterSync()
	}
	if err := c.resolveTerms(ctx, st, q); err != nil {
		return nil, err
	}
	// compiled after Sync, for the layouts the merged writes grew
	plan, err := c.compile(q, base, st.Layout)
	if err != nil {
		return nil, err
	}
	var incl []Include
	incl = append(incl, q.Include...)
	incl = append(incl, q.RevInclude...)
	b := &builder{c: c, fields: plan.Fields, base: base, need: need}
	if err := ensure(ctx, st, c.b, plan.Fields, need); err != nil {
		return nil, err
	}
	res := &Result{Total: -1, Count: q.Count, Offset: q.Offset, Snapshot: at}
	if res.Count == 0 && q.Summary != "count" {
		res.Count = DefaultCount
	}
	if res.Count > MaxCount {
		res.Count = MaxCount
	}
	if q.Summary == "count" {
		res.Count = 0
	}
	table := "main." + fhirflat.QuoteIdent(fhirflat.TableName(q.Type))
	if !q.Snapshot.IsZero() {
		res.Snapshot = q.Snapshot
		table = snapshot(q.Type, q.Snapshot)
	}
	if err := take(ctx, st, q, plan, table, res); err != nil {
		return nil, err
	}
	if q.Snapshot.IsZero() && st.ChangedAfter(q.Type, at) {
		// A write stamped after the instant was merged (by another search
		// or the merger) before this page was read, and may be on it: the
		// page is read again as of the instant, as the next pages will be.
		if err := take(ctx, st, q, plan, snapshot(q.Type, at), res); err != nil {
			return nil, err
		}
	}
	if len(incl) > 0 && len(res.Matches) > 0 {
		if res.Included, err = b.includes(ctx, st, q, res.Matches); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// testHookAfterSync, when set by a test, runs between the Sync of a search
// and its queries.
var testHookAfterSync func()

// take reads a page of matches of a plan from a table (or a snapshot of
// it) into res, and the total unless the page tells it.
func take(ctx context.Context, st *engine.Store, q *Query, plan *Plan, table string, res *Result) error {
	res.Matches, res.More, res.Total = nil, false, -1
	if res.Count > 0 {
		args := append(plan.Args[:len(plan.Args):len(plan.Args)], res.Count+1, q.Offset)
		rows, err := page(ctx, st, q.Type, table, plan, args)
		if err != nil {
			return err
		}
		if len(rows) > res.Count {
			res.More, rows = true, rows[:res.Count]
		}
		res.Matches = rows
	}
	switch {
	case q.Total == "none":
	case res.Count > 0 && !res.More && (len(res.Matches) > 0 || q.Offset == 0):
		// the page holds the last match: the total is known
		res.Total = q.Offset + len(res.Matches)
	default:
		stmt, err := st.Prepared(ctx, fmt.Sprintf("SELECT count(*) FROM %s AS r WHERE %s", table, plan.Where))
		if err != nil {
			return fmt.Errorf("search count: %w", err)
		}
		if err := stmt.QueryRowContext(ctx, plan.Args...).Scan(&res.Total); err != nil {
			return fmt.Errorf("search count: %w", err)
		}
	}
	return nil
}

// page reads a page of matches: the ids and versions from SQL, the
// resources from the store's copy for reads by id (DuckDB fetches a row
// column by column, which costs milliseconds per resource at a million
// rows), or from the tables when the copy does not hold those versions.
func page(ctx context.Context, st *engine.Store, typ, table string, plan *Plan, args []any) ([]*engine.Resource, error) {
	stmt, err := st.Prepared(ctx, fmt.Sprintf("SELECT r.id, r.version_id FROM %s AS r WHERE %s ORDER BY %s LIMIT ? OFFSET ?", table, plan.Where, plan.Order))
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	rows, err := stmt.QueryContext(ctx, args...)
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	var ids []string
	var versions []int64
	for rows.Next() {
		var id string
		var v int64
		if err := rows.Scan(&id, &v); err != nil {
			rows.Close()
			return nil, fmt.Errorf("search: %w", err)
		}
		ids, versions = append(ids, id), append(versions, v)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	if out, ok := st.CurrentVersions(typ, ids, versions); ok {
		return out, nil
	}
	sql := fmt.Sprintf("SELECT to_json(r)::VARCHAR FROM %s AS r WHERE %s ORDER BY %s LIMIT ? OFFSET ?", table, plan.Where, plan.Order)
	return queryRows(ctx, st, typ, sql, args, true)
}

// ensure adds the columns a search reads to the tables that lack them.
func ensure(ctx context.Context, st *engine.Store, fb *fhirflat.Builder, fields map[string][]*fhirflat.Field, need needFunc) error {
	for typ, fs := range fields {
		s, err := fb.Schema(typ)
		if err != nil {
			return err
		}
		if err := st.EnsureColumns(ctx, typ, need(s, fs)); err != nil {
			return err
		}
	}
	return nil
}

// queryRows runs a query giving rows as JSON; prepared says the query's
// text recurs (its values are arguments) and is worth keeping prepared.
func queryRows(ctx context.Context, st *engine.Store, typ, query string, args []any, prepared bool) ([]*engine.Resource, error) {
	var rows *sql.Rows
	var err error
	if prepared {
		var stmt *sql.Stmt
		if stmt, err = st.Prepared(ctx, query); err == nil {
			rows, err = stmt.QueryContext(ctx, args...)
		}
	} else {
		rows, err = st.DB().QueryContext(ctx, query, args...)
	}
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	defer rows.Close()
	var out []*engine.Resource
	for rows.Next() {
		var row string
		if err := rows.Scan(&row); err != nil {
			return nil, fmt.Errorf("search: %w", err)
		}
		r, err := st.RowResource(typ, row)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// includes resolves _include and _revinclude (with :iterate) for a page.
func (b *builder) includes(ctx context.Context, st *engine.Store, q *Query, matches []*engine.Resource) ([]*engine.Resource, error) {
	seen := map[string]bool{}
	for _, m := range matches {
		seen[m.Type+"/"+m.ID] = true
	}
	var included []*engine.Resource
	frontier := matches
	for round := 0; round < 4 && len(frontier) > 0; round++ {
		var next []*engine.Resource
		add := func(r *engine.Resource) {
			k := r.Type + "/" + r.ID
			if !seen[k] && len(included) < maxIncluded {
				seen[k] = true
				included = append(included, r)
				next = append(next, r)
			}
		}
		byType := map[string][]string{}
		for _, r := range frontier {
			byType[r.Type] = append(byType[r.Type], r.ID)
		}
		for _, inc := range q.Include {
			if round > 0 && !inc.Iterate {
				continue
			}
			for _, src := range includeSources(inc, byType) {
				for _, p := range b.includeParams(src, inc) {
					refs, err := b.referencesOf(ctx, st, src, p, byType[src])
					if err != nil {
						return nil, err
					}
					for _, ref := range refs {
						typ, id, _ := strings.Cut(ref, "/")
						if inc.Target != "" && typ != inc.Target {
							continue
						}
						if !b.c.m.IsResource(typ) || seen[ref] {
							continue
						}
						r, err := st.Read(ctx, typ, id)
						if err != nil {
							continue // a dangling reference includes nothing
						}
						add(r)
					}
				}
			}
		}
		for _, inc := range q.RevInclude {
			if round > 0 && !inc.Iterate {
				continue
			}
			var targets []string
			for typ, ids := range byType {
				if inc.Target != "" && inc.Target != typ {
					continue
				}
				for _, id := range ids {
					targets = append(targets, typ+"/"+id)
				}
			}
			if len(targets) == 0 || inc.Source == "" {
				continue
			}
			for _, p := range b.includeParams(inc.Source, inc) {
				rs, err := b.referencing(ctx, st, inc.Source, p, targets)
				if err != nil {
					return nil, err
				}
				for _, r := range rs {
					add(r)
				}
			}
		}
		frontier = next
	}
	return included, nil
}

func includeSources(inc Include, byType map[string][]string) []string {
	if inc.Source != "" {
		if _, ok := byType[inc.Source]; ok {
			return []string{inc.Source}
		}
		return nil
	}
	var out []string
	for t := range byType {
		out = append(out, t)
	}
	return out
}

// includeParams are the reference parameters an include follows.
func (b *builder) includeParams(src string, inc Include) []*r4.SearchParam {
	if !inc.All {
		return []*r4.SearchParam{inc.Param}
	}
	var out []*r4.SearchParam
	for _, p := range b.c.m.ParamsFor(src) {
		if p.Type == "reference" && p.ExpressionFor(src) != "" {
			out = append(out, p)
		}
	}
	return out
}

// referencesOf lists the Type/id references of a parameter on resources.
func (b *builder) referencesOf(ctx context.Context, st *engine.Store, typ string, p *r4.SearchParam, ids []string) ([]string, error) {
	refs, err := b.refList(typ, p, "r")
	if err != nil {
		return nil, nil // a parameter with no SQL form includes nothing
	}
	if err := ensure(ctx, st, b.c.b, b.fields, b.need); err != nil {
		return nil, err
	}
	marks := strings.TrimSuffix(strings.Repeat("?,", len(ids)), ",")
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	sql := fmt.Sprintf("SELECT DISTINCT unnest(%s) FROM main.%s AS r WHERE r.id IN (%s)", refs, fhirflat.QuoteIdent(fhirflat.TableName(typ)), marks)
	rows, err := st.DB().QueryContext(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("_include: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s *string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		if s != nil {
			out = append(out, *s)
		}
	}
	return out, rows.Err()
}

// referencing lists the resources of typ whose parameter p points to one
// of targets (Type/id).
func (b *builder) referencing(ctx context.Context, st *engine.Store, typ string, p *r4.SearchParam, targets []string) ([]*engine.Resource, error) {
	refs, err := b.refList(typ, p, "r")
	if err != nil {
		return nil, nil
	}
	if err := ensure(ctx, st, b.c.b, b.fields, b.need); err != nil {
		return nil, err
	}
	marks := strings.TrimSuffix(strings.Repeat("?,", len(targets)), ",")
	args := make([]any, len(targets))
	for i, t := range targets {
		args[i] = t
	}
	sql := fmt.Sprintf("SELECT to_json(r)::VARCHAR FROM main.%s AS r WHERE list_has_any(%s, [%s]) ORDER BY r.id LIMIT %d",
		fhirflat.QuoteIdent(fhirflat.TableName(typ)), refs, marks, maxIncluded)
	return queryRows(ctx, st, typ, sql, args, false)
}

// snapshot is a type's resources as they were at an instant: the current
// rows written by then, and for the resources written again (or deleted)
// since, the version from history that was current then. Only those
// resources' history is read: their ids are the rows written after the
// instant, few, at the end of the tables.
func snapshot(typ string, at time.Time) string {
	table := "main." + fhirflat.QuoteIdent(fhirflat.TableName(typ))
	history := "main." + fhirflat.QuoteIdent(fhirflat.HistoryTable(typ))
	t := "'" + at.Format(time.RFC3339Nano) + "'::TIMESTAMPTZ"
	return fmt.Sprintf(`(SELECT * FROM %[1]s WHERE last_updated <= %[3]s
UNION ALL BY NAME
SELECT * EXCLUDE (deleted) FROM (
  SELECT * FROM %[2]s WHERE last_updated <= %[3]s AND id IN (
    SELECT id FROM %[1]s WHERE last_updated > %[3]s UNION ALL SELECT id FROM %[2]s WHERE last_updated > %[3]s)
  QUALIFY row_number() OVER (PARTITION BY id ORDER BY version_id DESC) = 1)
WHERE NOT deleted)`, table, history, t)
}
