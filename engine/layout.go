package engine

import (
	"fmt"
	"os"
	"path/filepath"
)

// Layout is the one place that knows where things live under the data
// directory. Nothing else builds paths into it.
//
//	<dir>/catalog.duckdb           data stores, tags, jobs
//	<dir>/stores/<id>.duckdb       one DuckDB database per data store
//	<dir>/stores/<id>.docs/        its copy of current versions for reads by id
//	<dir>/stores/<id>.writes/      its log of writes not yet merged (writelog.go)
//	<dir>/staging/<id>/            files a store's DuckDB may read (bulk loads);
//	                               the only directory its SQL can touch
//	<dir>/staging/<id>/jobs/<job>/ an import job's work files (package ingest)
//	<dir>/credentials, <dir>/tls/  written by the auth and tlscert packages
type Layout struct{ Dir string }

// Catalog is the catalog database file.
func (l Layout) Catalog() string { return filepath.Join(l.Dir, "catalog.duckdb") }

// StoresDir holds the data store databases.
func (l Layout) StoresDir() string { return filepath.Join(l.Dir, "stores") }

// Store is the database file of one data store.
func (l Layout) Store(id string) string { return filepath.Join(l.StoresDir(), id+".duckdb") }

// Staging is the directory of files a store's database reads (bulk import
// chunks); DuckDB's file access is confined to it.
func (l Layout) Staging(id string) string { return filepath.Join(l.Dir, "staging", id) }

// StoreFiles are every file DuckDB may keep for a store's database, and
// the store's copy for reads by id.
func (l Layout) StoreFiles(id string) []string {
	p := l.Store(id)
	return []string{p, p + ".wal", p + ".tmp", docsDir(p), writesDir(p)}
}

// JobDir holds the work files of a running import job of a store (its file
// list, chunks in the making), inside the store's staging directory so the
// store's database may read them; it is removed when the job ends.
func (l Layout) JobDir(datastoreID, jobID string) string {
	return filepath.Join(l.Staging(datastoreID), "jobs", jobID)
}

// Ensure creates the directories with owner-only permissions.
func (l Layout) Ensure() error {
	for _, d := range []string{l.Dir, l.StoresDir()} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return fmt.Errorf("create %s: %w", d, err)
		}
		if err := os.Chmod(d, 0o700); err != nil {
			return fmt.Errorf("chmod %s: %w", d, err)
		}
	}
	return nil
}
