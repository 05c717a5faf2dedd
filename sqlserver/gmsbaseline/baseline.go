// Package gmsbaseline is the benchmark baseline for sqlserver: the same rows
// loaded into go-mysql-server's own in-memory backend, queried by GMS's row
// engine in MySQL dialect. sqlserver never runs queries this way; the
// benchmark reports how much faster DuckDB execution is.
package gmsbaseline

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	sqle "github.com/dolthub/go-mysql-server"
	"github.com/dolthub/go-mysql-server/memory"
	gms "github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
)

// Baseline is one database in GMS's memory backend.
type Baseline struct {
	name   string
	pro    *memory.DbProvider
	engine *sqle.Engine
}

// Load copies tables of a DuckDB database's schema main into a GMS memory
// database named name. Nested values (STRUCT, LIST, MAP, JSON) become JSON
// documents, as MySQL clients of sqlserver see them. tables maps the
// tables to copy to the columns to copy (nil: every column); a nil map
// copies every table whole.
func Load(ctx context.Context, duck *sql.DB, name string, tables map[string][]string) (*Baseline, error) {
	db := memory.NewDatabase(name)
	pro := memory.NewDBProvider(db)
	b := &Baseline{name: name, pro: pro, engine: sqle.NewDefault(pro)}
	if tables == nil {
		tables = map[string][]string{}
		rows, err := duck.QueryContext(ctx, `SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' AND database_name = current_database() ORDER BY 1`)
		if err != nil {
			return nil, fmt.Errorf("list tables: %w", err)
		}
		for rows.Next() {
			var t string
			if err := rows.Scan(&t); err != nil {
				rows.Close()
				return nil, err
			}
			tables[t] = nil
		}
		rows.Close()
	}
	gctx := b.context(ctx)
	for t, cols := range tables {
		if err := b.loadTable(ctx, gctx, db, duck, t, cols); err != nil {
			return nil, fmt.Errorf("load %s: %w", t, err)
		}
	}
	return b, nil
}

func (b *Baseline) context(ctx context.Context) *gms.Context {
	sess := memory.NewSession(gms.NewBaseSession(), b.pro)
	c := gms.NewContext(ctx, gms.WithSession(sess))
	c.SetCurrentDatabase(b.name)
	return c
}

type column struct {
	name, duckType string
	typ            gms.Type
	json           bool
}

func mysqlType(duckType string) (gms.Type, bool) {
	t := strings.ToUpper(duckType)
	switch {
	case strings.HasPrefix(t, "STRUCT") || strings.HasPrefix(t, "MAP") || strings.HasPrefix(t, "UNION") ||
		strings.HasSuffix(t, "]") || t == "JSON":
		return types.JSON, true
	case t == "BIGINT":
		return types.Int64, false
	case t == "INTEGER":
		return types.Int32, false
	case t == "SMALLINT":
		return types.Int16, false
	case t == "DOUBLE":
		return types.Float64, false
	case t == "FLOAT":
		return types.Float32, false
	case t == "BOOLEAN":
		return types.Boolean, false
	case t == "DATE":
		return types.Date, false
	case strings.HasPrefix(t, "TIMESTAMP"):
		return types.DatetimeMaxPrecision, false
	}
	return types.LongText, false
}

func (b *Baseline) loadTable(ctx context.Context, gctx *gms.Context, db *memory.Database, duck *sql.DB, name string, only []string) error {
	rows, err := duck.QueryContext(ctx, `SELECT column_name, data_type FROM duckdb_columns()
		WHERE schema_name = 'main' AND database_name = current_database() AND table_name = ? ORDER BY column_index`, name)
	if err != nil {
		return err
	}
	var cols []column
	for rows.Next() {
		var c column
		if err := rows.Scan(&c.name, &c.duckType); err != nil {
			rows.Close()
			return err
		}
		if len(only) > 0 && !slices.Contains(only, c.name) {
			continue
		}
		c.typ, c.json = mysqlType(c.duckType)
		cols = append(cols, c)
	}
	rows.Close()
	if len(cols) == 0 {
		return fmt.Errorf("no such table")
	}
	var sch gms.Schema
	var sel []string
	for _, c := range cols {
		sch = append(sch, &gms.Column{Name: c.name, Type: c.typ, Nullable: true, Source: name})
		q := `"` + strings.ReplaceAll(c.name, `"`, `""`) + `"`
		switch {
		case c.json && strings.ToUpper(c.duckType) == "JSON":
			q = "CAST(" + q + " AS VARCHAR)"
		case c.json:
			q = "CAST(to_json(" + q + ") AS VARCHAR)"
		case strings.HasPrefix(strings.ToUpper(c.duckType), "TIMESTAMP"):
			q = "CAST(" + q + " AS TIMESTAMP)"
		}
		sel = append(sel, q)
	}
	table := memory.NewTable(db, name, gms.NewPrimaryKeySchema(sch), db.GetForeignKeyCollection())
	db.AddTable(name, table)
	data, err := duck.QueryContext(ctx, "SELECT "+strings.Join(sel, ", ")+` FROM main."`+strings.ReplaceAll(name, `"`, `""`)+`"`)
	if err != nil {
		return err
	}
	defer data.Close()
	// One inserter for the whole table: Table.Insert opens and closes one
	// per row, which costs time proportional to the table.
	ins := table.Inserter(gctx)
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for data.Next() {
		if err := data.Scan(ptrs...); err != nil {
			return err
		}
		row := make(gms.Row, len(cols))
		for i, v := range vals {
			if v == nil {
				continue
			}
			if cols[i].json {
				var doc any
				if err := json.Unmarshal([]byte(v.(string)), &doc); err != nil {
					return fmt.Errorf("column %s: %w", cols[i].name, err)
				}
				row[i] = types.JSONDocument{Val: doc}
				continue
			}
			if t, ok := v.(time.Time); ok {
				v = t.UTC()
			}
			cv, _, err := cols[i].typ.Convert(gctx, v)
			if err != nil {
				return fmt.Errorf("column %s: %w", cols[i].name, err)
			}
			row[i] = cv
		}
		if err := ins.Insert(gctx, row); err != nil {
			ins.Close(gctx)
			return err
		}
	}
	if err := data.Err(); err != nil {
		ins.Close(gctx)
		return err
	}
	if err := ins.StatementComplete(gctx); err != nil {
		ins.Close(gctx)
		return err
	}
	return ins.Close(gctx)
}

// Query runs a MySQL-dialect query in GMS's row engine and returns all rows.
func (b *Baseline) Query(ctx context.Context, q string) ([]string, [][]any, error) {
	gctx := b.context(ctx)
	sch, iter, _, err := b.engine.Query(gctx, q)
	if err != nil {
		return nil, nil, err
	}
	rows, err := gms.RowIterToRows(gctx, iter)
	if err != nil {
		return nil, nil, err
	}
	names := make([]string, len(sch))
	for i, c := range sch {
		names[i] = c.Name
	}
	out := make([][]any, len(rows))
	for i, r := range rows {
		out[i] = []any(r)
	}
	return names, out, nil
}
