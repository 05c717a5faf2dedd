package sqlserver

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestHardenedStore: sqlserver works on a store hardened as DuckDBHardening
// says, the engine can still export into its directory, and DuckDB itself
// refuses file access and setting changes.
func TestHardenedStore(t *testing.T) {
	ts := startServer(t, func(c *Config) { c.QueryMemory = 256 << 20 })
	exportDir := t.TempDir()
	for _, s := range append([]string{"SET memory_limit = '2GB'", "SET temp_directory = '" + t.TempDir() + "'"}, DuckDBHardening([]string{exportDir})...) {
		if _, err := ts.s1.db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	db := ts.open(t, "AKIDALICE", "s1")
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM patient WHERE name->>'$[0].family' IS NOT NULL").Scan(&n); err != nil || n != 20 {
		t.Fatalf("query on the hardened store: %d %v", n, err)
	}
	if err := db.QueryRow("SELECT COUNT(*) FROM `condition`").Scan(&n); err != nil {
		t.Fatal(err)
	}
	// The engine's export still writes where it is allowed to.
	out := filepath.Join(exportDir, "patient.parquet")
	if _, err := ts.s1.db.Exec("COPY patient TO '" + out + "' (FORMAT parquet)"); err != nil {
		t.Fatalf("export into the allowed directory: %v", err)
	}
	if _, err := os.Stat(out); err != nil {
		t.Fatal(err)
	}
	// Anything else touching files or settings fails inside DuckDB too.
	for _, q := range []string{
		"COPY patient TO '" + filepath.Join(t.TempDir(), "x.csv") + "'",
		"SELECT * FROM read_text('/etc/passwd')",
		"ATTACH '" + filepath.Join(t.TempDir(), "x.duckdb") + "' AS x",
		"INSTALL httpfs",
		"SET enable_external_access = true",
		"SET memory_limit = '100GB'",
	} {
		if _, err := ts.s1.db.Exec(q); err == nil {
			t.Errorf("DuckDB accepted %q on a hardened store", q)
		} else if !strings.Contains(err.Error(), "disabled by configuration") && !strings.Contains(err.Error(), "locked") {
			t.Errorf("%q failed for another reason: %v", q, err)
		}
	}
}
