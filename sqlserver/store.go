// Package sqlserver serves the data stores over the MySQL wire protocol.
//
// go-mysql-server (GMS) owns the protocol, sessions, variables, SHOW,
// DESCRIBE and information_schema, through a catalog that mirrors each
// store's DuckDB schema `main`. Every statement that reads data is parsed,
// translated from MySQL dialect to DuckDB SQL and executed by DuckDB; GMS's
// row engine never scans a data table.
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
