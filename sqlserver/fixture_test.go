package sqlserver

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	_ "github.com/duckdb/duckdb-go/v2"
)

// testStore is a store built like the engine builds one: typed nested
// tables in schema main, loaded from the Synthea fixtures in testdata.
type testStore struct {
	id, name string
	db       *sql.DB
}

func (s *testStore) ID() string   { return s.id }
func (s *testStore) Name() string { return s.name }
func (s *testStore) DB() *sql.DB  { return s.db }

type testCatalog struct {
	mu     sync.Mutex
	stores []Store
}

func (c *testCatalog) Stores() []Store {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Store(nil), c.stores...)
}

var fixtureTypes = map[string]string{
	"patient": "Patient", "condition": "Condition", "observation": "Observation",
	"encounter": "Encounter", "medicationrequest": "MedicationRequest", "immunization": "Immunization",
}

// templates are the fixture databases, built once per test binary and
// copied for each test.
var templates struct {
	once sync.Once
	dir  string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if templates.dir != "" {
		os.RemoveAll(templates.dir)
	}
	os.Exit(code)
}

func templateFile(data bool) (string, error) {
	templates.once.Do(func() {
		templates.dir, templates.err = os.MkdirTemp("", "sqlserver-fixture-")
		if templates.err != nil {
			return
		}
		for _, withData := range []bool{false, true} {
			db, err := sql.Open("duckdb", filepath.Join(templates.dir, fmt.Sprintf("data-%v.duckdb", withData)))
			if err != nil {
				templates.err = err
				return
			}
			err = loadFixture(context.Background(), db, withData)
			if err == nil {
				_, err = db.Exec("CHECKPOINT")
			}
			db.Close()
			if err != nil {
				templates.err = err
				return
			}
		}
	})
	return filepath.Join(templates.dir, fmt.Sprintf("data-%v.duckdb", data)), templates.err
}

// newTestStore opens a copy of the fixture store in a temporary DuckDB
// file. With data false the tables are empty.
func newTestStore(t testing.TB, id, name string, data bool) *testStore {
	t.Helper()
	tmpl, err := templateFile(data)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(tmpl)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), id+".duckdb")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("duckdb", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return &testStore{id: id, name: name, db: db}
}

func loadFixture(ctx context.Context, db *sql.DB, data bool) error {
	ddl, err := os.ReadFile("testdata/schema.sql")
	if err != nil {
		return err
	}
	if _, err := db.ExecContext(ctx, string(ddl)); err != nil {
		return fmt.Errorf("schema: %w", err)
	}
	if !data {
		return nil
	}
	for table, typ := range fixtureTypes {
		rows, err := db.QueryContext(ctx, `SELECT column_name, data_type FROM duckdb_columns()
			WHERE schema_name = 'main' AND table_name = ? AND column_name NOT IN ('version_id', 'last_updated')
			ORDER BY column_index`, table)
		if err != nil {
			return err
		}
		var spec []string
		for rows.Next() {
			var name, dt string
			if err := rows.Scan(&name, &dt); err != nil {
				return err
			}
			spec = append(spec, quoteString(name)+": "+quoteString(dt))
		}
		rows.Close()
		q := fmt.Sprintf(`INSERT INTO %s BY NAME SELECT *, 1 AS version_id, TIMESTAMPTZ '2024-05-01 12:00:00+00' AS last_updated
			FROM read_json('testdata/fhir/%s.ndjson.gz', format = 'newline_delimited', columns = {%s})`,
			table, typ, strings.Join(spec, ", "))
		if _, err := db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("load %s: %w", table, err)
		}
	}
	_, err = db.ExecContext(ctx, `INSERT INTO patient_history SELECT *, FALSE FROM patient;
		INSERT INTO search.token_index SELECT 'Patient', id, 'gender', gender FROM patient`)
	return err
}

func TestFixtureLoads(t *testing.T) {
	st := newTestStore(t, "s1", "demo", true)
	for table := range fixtureTypes {
		var n int
		if err := st.db.QueryRow("SELECT count(*) FROM " + table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			t.Errorf("%s is empty", table)
		}
	}
	var family string
	if err := st.db.QueryRow("SELECT name[1].family FROM patient ORDER BY id LIMIT 1").Scan(&family); err != nil || family == "" {
		t.Fatalf("nested name not loaded: %q %v", family, err)
	}
}
