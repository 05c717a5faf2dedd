package sqlserver

import (
	"context"
	"database/sql"
)

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

// Syncer is implemented by stores whose writes reach their tables in the
// background: Sync returns once every acknowledged write is in the tables.
// It is called before a data query is translated and run, so SQL sees
// every write acknowledged before the query.
type Syncer interface {
	Sync(ctx context.Context) error
}

// syncStore makes a store's acknowledged writes visible, when it needs to.
func syncStore(ctx context.Context, st Store) error {
	if s, ok := st.(Syncer); ok {
		return s.Sync(ctx)
	}
	return nil
}
