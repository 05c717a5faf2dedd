package fhirflat

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/fhirlake/fhirlake/internal/fhirgen"
	"github.com/fhirlake/fhirlake/internal/fixtures"
)

// roundTrip stores resources in a real DuckDB file through json_transform
// and reads every one back from the typed columns with to_json.
func roundTrip(t *testing.T, resources []fixtures.Resource) {
	t.Helper()
	connector, err := duckdb.NewConnector(filepath.Join(t.TempDir(), "rt.duckdb"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer connector.Close()
	db := sql.OpenDB(connector)
	defer db.Close()
	if _, err := db.Exec("SET TimeZone = 'UTC'"); err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	for _, q := range Macros {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}

	nz := Default().NewNormalizer(Strict)
	type stored struct {
		schema  *Schema
		rows    []string
		ids     []string
		present Bits
	}
	byType := map[string]*stored{}
	orig := map[string][]byte{}
	for _, r := range resources {
		row, err := nz.Normalize(r.JSON)
		if err != nil {
			t.Fatalf("%s: %v", r.Source, err)
		}
		key := row.Type + "/" + row.ID
		if _, dup := orig[key]; dup {
			continue
		}
		orig[key] = r.JSON
		st := byType[row.Type]
		if st == nil {
			st = &stored{schema: row.Schema, present: NewBits(row.Schema)}
			byType[row.Type] = st
		}
		st.present.Or(row.Present)
		st.rows = append(st.rows, string(row.JSON))
		st.ids = append(st.ids, row.ID)
	}
	now := time.Now()
	for rt, st := range byType {
		s := st.schema
		if _, err := db.Exec(s.CreateTable("", false)); err != nil {
			t.Fatalf("%s: %v", rt, err)
		}
		layout := NewLayout(s)
		for _, q := range layout.Grow(st.present, QuoteIdent(s.Table)) {
			if _, err := db.Exec(q); err != nil {
				t.Fatalf("%s: %s: %v", rt, q, err)
			}
		}
		if _, err := db.Exec("CREATE TEMP TABLE src (id VARCHAR, version_id BIGINT, last_updated TIMESTAMPTZ, row VARCHAR)"); err != nil {
			t.Fatal(err)
		}
		conn, err := db.Conn(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		err = conn.Raw(func(dc any) error {
			app, err := duckdb.NewAppenderFromConn(dc.(driver.Conn), "", "src")
			if err != nil {
				return err
			}
			for i := range st.rows {
				if err := app.AppendRow(st.ids[i], int64(1), now, st.rows[i]); err != nil {
					return err
				}
			}
			return app.Close()
		})
		conn.Close()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec("INSERT INTO " + QuoteIdent(s.Table) + " BY NAME " + layout.RowsSQL("src p")); err != nil {
			t.Fatalf("%s: insert: %v", rt, err)
		}
		// The table DuckDB built from the walk's DDL has the walk's types.
		cols, err := db.Query("SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = ? ORDER BY column_index", s.Table)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for cols.Next() {
			var name, typ string
			cols.Scan(&name, &typ)
			got = append(got, name+" "+strings.ReplaceAll(typ, `"`, ""))
		}
		cols.Close()
		want := []string{"id VARCHAR", "version_id BIGINT", "last_updated TIMESTAMP WITH TIME ZONE"}
		for _, n := range layout.Root {
			want = append(want, n.Field.Name+" "+duckTypeName(n.sqlType()))
			if n.Key {
				want = append(want, KeyColumn(n.Field)+" BIGINT")
				checkKeys(t, db, s.Table, n)
			}
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s: table columns differ from the layout:\n got %v\nwant %v", rt, got, want)
		}
		if _, err := db.Exec("DROP TABLE src"); err != nil {
			t.Fatal(err)
		}
	}
	checked := 0
	var dn Denormalizer
	for rt, st := range byType {
		s := st.schema
		res, err := db.Query(fmt.Sprintf("SELECT to_json(t)::VARCHAR FROM %s t", QuoteIdent(s.Table)))
		if err != nil {
			t.Fatal(err)
		}
		for res.Next() {
			var row string
			if err := res.Scan(&row); err != nil {
				t.Fatal(err)
			}
			out, _, err := dn.Denormalize(nil, s, []byte(row), SystemFields{})
			if err != nil {
				t.Fatalf("%s: %v\nrow: %.500s", rt, err, row)
			}
			var head struct{ ID string }
			_ = json.Unmarshal(out, &head)
			if diff := jsonDiff(orig[rt+"/"+head.ID], out); diff != "" {
				t.Errorf("%s/%s round trip: %s\nout: %.600s", rt, head.ID, diff, out)
			}
			checked++
		}
		res.Close()
	}
	if checked != len(orig) {
		t.Errorf("read back %d resources, stored %d", checked, len(orig))
	}
	t.Logf("%d resources of %d types round-tripped", checked, len(byType))
}

// checkKeys compares a key column with RefKey of the reference strings.
func checkKeys(t *testing.T, db *sql.DB, table string, n *Node) {
	t.Helper()
	hasRef := false
	for _, c := range n.Children {
		hasRef = hasRef || c.Field.Name == "reference"
	}
	ref := "NULL::VARCHAR"
	if hasRef {
		ref = QuoteIdent(n.Field.Name) + ".reference"
	}
	rows, err := db.Query(fmt.Sprintf("SELECT %s, %s FROM %s", ref, QuoteIdent(KeyColumn(n.Field)), QuoteIdent(table)))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var r *string
		var k *int64
		if err := rows.Scan(&r, &k); err != nil {
			t.Fatal(err)
		}
		switch {
		case r == nil && k != nil:
			t.Errorf("%s.%s: key %d without a reference", table, KeyColumn(n.Field), *k)
		case r != nil && k == nil:
			t.Errorf("%s.%s: no key for %q", table, KeyColumn(n.Field), *r)
		case r != nil && *k != RefKey(*r):
			t.Errorf("%s.%s: key %d of %q is not RefKey's %d", table, KeyColumn(n.Field), *k, *r, RefKey(*r))
		}
	}
}

// duckTypeName spells a type as duckdb_columns() does (which quotes only
// reserved words; FHIR names have no quotes, so quotes are dropped).
func duckTypeName(t string) string {
	return strings.ReplaceAll(strings.ReplaceAll(t, "TIMESTAMPTZ", "TIMESTAMP WITH TIME ZONE"), `"`, "")
}

// jsonDiff compares two resources as JSON values, ignoring the server-set
// meta.versionId and meta.lastUpdated; it returns "" when they are equal.
func jsonDiff(want, got []byte) string {
	var a, b map[string]any
	if err := json.Unmarshal(want, &a); err != nil {
		return "want: " + err.Error()
	}
	if err := json.Unmarshal(got, &b); err != nil {
		return "got invalid JSON: " + err.Error()
	}
	for _, m := range []map[string]any{a, b} {
		if meta, ok := m["meta"].(map[string]any); ok {
			delete(meta, "versionId")
			delete(meta, "lastUpdated")
			if len(meta) == 0 {
				delete(m, "meta")
			}
		}
	}
	return diffValue("", a, b)
}

func diffValue(path string, a, b any) string {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok {
			return fmt.Sprintf("%s: want object, got %T", path, b)
		}
		keys := map[string]bool{}
		for k := range x {
			keys[k] = true
		}
		for k := range y {
			keys[k] = true
		}
		sorted := make([]string, 0, len(keys))
		for k := range keys {
			sorted = append(sorted, k)
		}
		sort.Strings(sorted)
		for _, k := range sorted {
			if d := diffValue(path+"."+k, x[k], y[k]); d != "" {
				return d
			}
		}
		return ""
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return fmt.Sprintf("%s: want %v, got %v", path, a, b)
		}
		for i := range x {
			if d := diffValue(fmt.Sprintf("%s[%d]", path, i), x[i], y[i]); d != "" {
				return d
			}
		}
		return ""
	}
	if !reflect.DeepEqual(a, b) {
		return fmt.Sprintf("%s: want %#v, got %#v", path, a, b)
	}
	return ""
}

func TestJSONDiffDetectsChanges(t *testing.T) {
	base := `{"resourceType":"Patient","id":"a","meta":{"versionId":"1"},"name":[{"given":["x"]}],"birthDate":"2000"}`
	if d := jsonDiff([]byte(base), []byte(`{"id":"a","resourceType":"Patient","name":[{"given":["x"]}],"birthDate":"2000"}`)); d != "" {
		t.Errorf("equal resources differ: %s", d)
	}
	for _, changed := range []string{
		`{"resourceType":"Patient","id":"a","name":[{"given":["y"]}],"birthDate":"2000"}`,
		`{"resourceType":"Patient","id":"a","name":[{"given":["x"]}]}`,
		`{"resourceType":"Patient","id":"a","name":[{"given":["x"]}],"birthDate":"2000","gender":"male"}`,
		`{"resourceType":"Patient","id":"a","meta":{"source":"s"},"name":[{"given":["x"]}],"birthDate":"2000"}`,
	} {
		if jsonDiff([]byte(base), []byte(changed)) == "" {
			t.Errorf("change not detected: %s", changed)
		}
	}
}

func TestRoundTripBulk(t *testing.T) {
	rs, err := fixtures.Bulk()
	if err != nil {
		t.Fatal(err)
	}
	roundTrip(t, rs)
}

func TestRoundTripBundles(t *testing.T) {
	if testing.Short() {
		t.Skip("bundles round trip in -short mode")
	}
	for _, set := range []string{"bundles-all-modules", "bundles-hiv-notes"} {
		t.Run(set, func(t *testing.T) {
			rs, err := fixtures.BundleEntries(set)
			if err != nil {
				t.Fatal(err)
			}
			roundTrip(t, rs)
		})
	}
}

// TestRoundTripEveryType stores generated examples of every R4 resource
// type, with every element filled in and with random subsets, and reads
// them back from the typed columns.
func TestRoundTripEveryType(t *testing.T) {
	m := Default().Model()
	var rs []fixtures.Resource
	for i, opts := range []fhirgen.Options{{Fill: 1, Depth: 3}, {Fill: 0.5, Depth: 5}, {Fill: 0.2, Depth: 6}} {
		g := fhirgen.New(m, int64(i+1), opts)
		for _, typ := range m.ResourceTypes() {
			js, err := g.Resource(typ)
			if err != nil {
				t.Fatal(err)
			}
			rs = append(rs, fixtures.Resource{Source: fmt.Sprintf("generated %s (fill %.1f)", typ, opts.Fill), Type: typ, JSON: js})
		}
	}
	roundTrip(t, rs)
}
