package sqlserver

import "database/sql"

// Store is one data store as SQL sees it.
type Store interface {
	ID() string
	Name() string
	// DB is the store's DuckDB (database/sql, duckdb-go). sqlserver only
	// reads through it.
	DB() *sql.DB
}

// Catalog lists the stores SQL can see: the ACTIVE ones.
type Catalog interface {
	Stores() []Store
}
