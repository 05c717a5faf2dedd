package fhirsql

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/fhirlake/fhirlake/fhirflat"
)

// testTime is the last_updated of every loaded resource.
var testTime = time.Date(2024, 5, 6, 7, 8, 9, 123000000, time.UTC)

// openDB opens an in-memory DuckDB with the session settings and macros
// the store has.
func openDB(t testing.TB) *sql.DB {
	t.Helper()
	connector, err := duckdb.NewConnector("", nil)
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(connector)
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close(); connector.Close() })
	if _, err := db.Exec("SET TimeZone = 'UTC'"); err != nil {
		t.Fatal(err)
	}
	for _, q := range fhirflat.Macros { // the key columns' fhir_ref_key
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	return db
}

// loaded says how a resource was stored.
type loaded struct {
	Type, ID string
	// Minimal: it failed Strict validation and was stored at Minimal.
	Minimal string
}

// load stores resources (FHIR JSON) in their tables as fhirflat lays
// them out, through json_transform as the store does. Resources without an
// id get "noid-N". Each gets version 1, last updated at testTime.
func load(t testing.TB, db *sql.DB, b *fhirflat.Builder, resources [][]byte) []loaded {
	t.Helper()
	strict := b.NewNormalizer(fhirflat.Strict)
	minimal := b.NewNormalizer(fhirflat.Minimal)
	type table struct {
		schema   *fhirflat.Schema
		ids      []string
		rows     []string
		seen     map[string]bool
		versions []int64
	}
	tables := map[string]*table{}
	var order []string
	var out []loaded
	for i, raw := range resources {
		l := loaded{}
		row, err := strict.Normalize(raw)
		if err != nil {
			l.Minimal = err.Error()
			if row, err = minimal.Normalize(raw); err != nil {
				t.Fatalf("resource %d does not load even at Minimal: %v\n%s", i, err, raw)
			}
		}
		l.Type, l.ID = row.Type, row.ID
		if l.ID == "" {
			l.ID = "noid-" + strconv.Itoa(i)
		}
		tb := tables[row.Type]
		if tb == nil {
			tb = &table{schema: row.Schema, seen: map[string]bool{}}
			tables[row.Type] = tb
			order = append(order, row.Type)
		}
		if tb.seen[l.ID] {
			continue
		}
		tb.seen[l.ID] = true
		tb.ids = append(tb.ids, l.ID)
		tb.rows = append(tb.rows, string(row.JSON))
		out = append(out, l)
	}
	for _, rt := range order {
		tb := tables[rt]
		if err := insertRows(db, tb.schema, tb.ids, tb.rows); err != nil {
			t.Fatalf("%s: %v", rt, err)
		}
	}
	return out
}

// insertRows stores rows in a table with every column of the full layout,
// so any compiled SQL binds (the engine instead adds the columns compiled
// SQL names; see engine.Store.EnsureColumns).
func insertRows(db *sql.DB, s *fhirflat.Schema, ids, rows []string) error {
	if _, err := db.Exec(s.CreateTable("", false)); err != nil {
		return err
	}
	full := s.FullLayout()
	for _, q := range fhirflat.NewLayout(s).Grow(fullBits(s), fhirflat.QuoteIdent(s.Table)) {
		if _, err := db.Exec(q); err != nil {
			return err
		}
	}
	if _, err := db.Exec("CREATE TEMP TABLE src (id VARCHAR, version_id BIGINT, last_updated TIMESTAMPTZ, row VARCHAR)"); err != nil {
		return err
	}
	defer db.Exec("DROP TABLE src")
	conn, err := db.Conn(context.Background())
	if err != nil {
		return err
	}
	err = conn.Raw(func(dc any) error {
		app, err := duckdb.NewAppenderFromConn(dc.(driver.Conn), "", "src")
		if err != nil {
			return err
		}
		for i := range rows {
			if err := app.AppendRow(ids[i], int64(1), testTime, rows[i]); err != nil {
				return errors.Join(err, app.Close())
			}
		}
		return app.Close()
	})
	conn.Close()
	if err != nil {
		return err
	}
	_, err = db.Exec("INSERT INTO " + fhirflat.QuoteIdent(s.Table) + " BY NAME " + full.RowsSQL("src p"))
	return err
}

func fullBits(s *fhirflat.Schema) fhirflat.Bits {
	b := fhirflat.NewBits(s)
	for _, f := range s.BySeq {
		b.Set(f.Seq)
	}
	return b
}

// queryJSON runs a query and returns its column names and rows, each
// value as JSON would hold it: strings, json.Number, bool, []any,
// map[string]any (STRUCTs), decoded JSON; instants as FHIR instants.
func queryJSON(db *sql.DB, q string) ([]string, [][]any, error) {
	rows, err := db.Query(q)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, nil, err
	}
	types, err := rows.ColumnTypes()
	if err != nil {
		return nil, nil, err
	}
	var out [][]any
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, nil, err
		}
		for i, v := range vals {
			vals[i] = jsonValueOf(v, types[i].DatabaseTypeName() == "JSON")
		}
		out = append(out, vals)
	}
	return cols, out, rows.Err()
}

// jsonValueOf converts a scanned DuckDB value to its JSON form.
func jsonValueOf(v any, isJSON bool) any {
	switch x := v.(type) {
	case nil:
		return nil
	case string:
		if isJSON {
			var d any
			dec := json.NewDecoder(strings.NewReader(x))
			dec.UseNumber()
			if dec.Decode(&d) == nil {
				return d
			}
		}
		return x
	case int8, int16, int32, int64, uint8, uint16, uint32, uint64, int:
		return json.Number(fmt.Sprint(x))
	case float32:
		return json.Number(strconv.FormatFloat(float64(x), 'g', -1, 32))
	case float64:
		return json.Number(strconv.FormatFloat(x, 'g', -1, 64))
	case time.Time:
		return fhirflat.FormatInstant(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = jsonValueOf(e, false)
		}
		return out
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			if e == nil || k == fhirflat.PrimitiveExtField {
				continue
			}
			out[k] = jsonValueOf(e, false)
		}
		return out
	}
	return v
}

// tableLayouts grows test tables the way the engine does: only the columns
// compiled SQL says it reads (SQLExpr.Fields, ViewSQL.Fields). A column the
// SQL reads but does not report then fails to bind.
type tableLayouts struct {
	db      *sql.DB
	layouts map[string]*fhirflat.Layout
}

func newTableLayouts(db *sql.DB) *tableLayouts {
	return &tableLayouts{db: db, layouts: map[string]*fhirflat.Layout{}}
}

// ensure creates the type's table if needed and adds the columns fields need.
func (tl *tableLayouts) ensure(s *fhirflat.Schema, fields []*fhirflat.Field) error {
	l := tl.layouts[s.ResourceType]
	if l == nil {
		if _, err := tl.db.Exec(s.CreateTable("", false)); err != nil {
			return err
		}
		l = fhirflat.NewLayout(s)
		tl.layouts[s.ResourceType] = l
	}
	for _, q := range l.Grow(fhirflat.Need(s, fields), fhirflat.QuoteIdent(s.Table)) {
		if _, err := tl.db.Exec(q); err != nil {
			return err
		}
	}
	return nil
}
