package sqlserver

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	gms "github.com/dolthub/go-mysql-server/sql"
	querypb "github.com/dolthub/vitess/go/vt/proto/query"
	"github.com/duckdb/duckdb-go/v2"
)

// Column is one column of a query result.
type Column struct {
	Name string
	// DuckType is the DuckDB type of the column as DuckDB computed it.
	DuckType string
	// MySQLType is what MySQL clients are told; nested values are JSON.
	MySQLType gms.Type
}

// Rows iterates over a query result. Values are Go values: nil, string,
// []byte, int64 (and the other integer types), float64, bool, time.Time;
// nested values and DECIMALs arrive as their text.
type Rows struct {
	rows  *sql.Rows
	conn  *sql.Conn
	cols  []Column
	kinds []querypb.Type
	vals  []any
	ptrs  []any
	done  func()
	err   error
}

func (r *Rows) Columns() []Column { return r.cols }

// Next advances to the next row.
func (r *Rows) Next() bool {
	if r.err != nil || r.rows == nil {
		return false
	}
	if !r.rows.Next() {
		return false
	}
	if err := r.rows.Scan(r.ptrs...); err != nil {
		r.err = err
		return false
	}
	return true
}

// Text returns column i of the current row as MySQL clients get it
// (JSON text for nested values); ok is false for NULL.
func (r *Rows) Text(i int) (string, bool, error) {
	b, ok, err := appendValue(nil, r.vals[i], r.kinds[i])
	return string(b), ok, err
}

// Values returns the current row; the slice is reused by Next.
func (r *Rows) Values() []any { return r.vals }

// Err is the error that ended iteration, if any.
func (r *Rows) Err() error {
	if r.err != nil {
		return r.err
	}
	if r.rows != nil {
		return r.rows.Err()
	}
	return nil
}

// Close releases the result and its DuckDB connection.
func (r *Rows) Close() error {
	var err error
	if r.rows != nil {
		err = r.rows.Close()
		r.rows = nil
	}
	if r.conn != nil {
		err = errors.Join(err, r.conn.Close())
		r.conn = nil
	}
	if r.done != nil {
		r.done()
		r.done = nil
	}
	return err
}

// describe prepares q in DuckDB without running it and returns its result
// columns (for COM_STMT_PREPARE).
func describe(ctx context.Context, conn *sql.Conn, q string, explain bool) ([]string, []*duckType, error) {
	var names []string
	var typs []*duckType
	err := conn.Raw(func(dc any) error {
		pc, ok := dc.(driver.ConnPrepareContext)
		if !ok {
			return fmt.Errorf("store connection is %T, not DuckDB", dc)
		}
		st, n, t, err := prepareQuery(ctx, pc, q, explain)
		if err != nil {
			return err
		}
		names, typs = n, t
		return st.Close()
	})
	return names, typs, err
}

// fromTypeInfo converts duckdb-go's type description to a duckType.
func fromTypeInfo(info duckdb.TypeInfo, depth int) *duckType {
	if info == nil || depth > maxTypeDepth {
		return &duckType{Name: "VARCHAR"}
	}
	if info.Alias() == "JSON" {
		return &duckType{Name: "JSON"}
	}
	switch d := info.Details().(type) {
	case *duckdb.DecimalDetails:
		return &duckType{Name: "DECIMAL", Width: int(d.Width), Scale: int(d.Scale)}
	case *duckdb.ListDetails:
		return &duckType{Name: "LIST", Elem: fromTypeInfo(d.Child, depth+1)}
	case *duckdb.ArrayDetails:
		return &duckType{Name: "ARRAY", Elem: fromTypeInfo(d.Child, depth+1), Size: int(d.Size)}
	case *duckdb.MapDetails:
		return &duckType{Name: "MAP", Key: fromTypeInfo(d.Key, depth+1), Elem: fromTypeInfo(d.Value, depth+1)}
	case *duckdb.StructDetails:
		t := &duckType{Name: "STRUCT"}
		for _, e := range d.Entries {
			t.Fields = append(t.Fields, duckField{Name: e.Name(), Type: fromTypeInfo(e.Info(), depth+1)})
		}
		return t
	case *duckdb.UnionDetails:
		return &duckType{Name: "UNION"}
	case *duckdb.EnumDetails:
		return &duckType{Name: "ENUM"}
	}
	name := typeNames[info.InternalType()]
	if name == "" {
		name = "VARCHAR"
	}
	return &duckType{Name: name}
}

var typeNames = map[duckdb.Type]string{
	duckdb.TYPE_BOOLEAN: "BOOLEAN", duckdb.TYPE_TINYINT: "TINYINT", duckdb.TYPE_SMALLINT: "SMALLINT",
	duckdb.TYPE_INTEGER: "INTEGER", duckdb.TYPE_BIGINT: "BIGINT", duckdb.TYPE_UTINYINT: "UTINYINT",
	duckdb.TYPE_USMALLINT: "USMALLINT", duckdb.TYPE_UINTEGER: "UINTEGER", duckdb.TYPE_UBIGINT: "UBIGINT",
	duckdb.TYPE_FLOAT: "FLOAT", duckdb.TYPE_DOUBLE: "DOUBLE", duckdb.TYPE_TIMESTAMP: "TIMESTAMP",
	duckdb.TYPE_DATE: "DATE", duckdb.TYPE_TIME: "TIME", duckdb.TYPE_INTERVAL: "INTERVAL",
	duckdb.TYPE_HUGEINT: "HUGEINT", duckdb.TYPE_UHUGEINT: "UHUGEINT", duckdb.TYPE_VARCHAR: "VARCHAR",
	duckdb.TYPE_BLOB: "BLOB", duckdb.TYPE_TIMESTAMP_S: "TIMESTAMP_S", duckdb.TYPE_TIMESTAMP_MS: "TIMESTAMP_MS",
	duckdb.TYPE_TIMESTAMP_NS: "TIMESTAMP_NS", duckdb.TYPE_UUID: "UUID", duckdb.TYPE_BIT: "BIT",
	duckdb.TYPE_TIME_TZ: "TIME WITH TIME ZONE", duckdb.TYPE_TIMESTAMP_TZ: "TIMESTAMP WITH TIME ZONE",
}

// stream executes translated DuckDB SQL on one connection of the store,
// calling head once with the columns and row for every row (the slice is
// reused). It prepares the query once: the prepared statement tells the
// columns, and runs as is unless some column must be converted.
func stream(ctx context.Context, db *sql.DB, q string, explain bool, head func([]Column) error, row func([]driver.Value) error) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("connect to store: %w", err)
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		pc, ok := dc.(driver.ConnPrepareContext)
		if !ok {
			return fmt.Errorf("store connection is %T, not DuckDB", dc)
		}
		st, names, typs, err := prepareQuery(ctx, pc, q, explain)
		if err != nil {
			return err
		}
		if final := transportSQL(q, names, typs, explain); final != q {
			st.Close()
			if st, _, _, err = prepareQuery(ctx, pc, final, explain); err != nil {
				return err
			}
		}
		defer st.Close()
		cols := columnsOf(names, typs)
		if err := head(cols); err != nil {
			return err
		}
		rows, err := st.QueryContext(ctx, nil)
		if err != nil {
			return err
		}
		defer rows.Close()
		dest := make([]driver.Value, len(cols))
		for {
			if err := rows.Next(dest); err != nil {
				if err == io.EOF {
					return nil
				}
				return err
			}
			if err := row(dest); err != nil {
				return err
			}
		}
	})
}

// prepareQuery prepares q and checks that DuckDB sees a query.
func prepareQuery(ctx context.Context, pc driver.ConnPrepareContext, q string, explain bool) (*duckdb.Stmt, []string, []*duckType, error) {
	ds, err := pc.PrepareContext(ctx, q)
	if err != nil {
		return nil, nil, nil, err
	}
	st, ok := ds.(*duckdb.Stmt)
	if !ok {
		ds.Close()
		return nil, nil, nil, fmt.Errorf("store statement is %T, not DuckDB", ds)
	}
	names, typs, err := statementColumns(st, explain)
	if err != nil {
		st.Close()
		return nil, nil, nil, err
	}
	return st, names, typs, nil
}

func statementColumns(st *duckdb.Stmt, explain bool) ([]string, []*duckType, error) {
	kind, err := st.StatementType()
	if err != nil {
		return nil, nil, err
	}
	want := duckdb.STATEMENT_TYPE_SELECT
	if explain {
		want = duckdb.STATEMENT_TYPE_EXPLAIN
	}
	if kind != want {
		return nil, nil, errDenied("only queries are allowed (DuckDB statement type %d)", kind)
	}
	n, err := st.ColumnCount()
	if err != nil {
		return nil, nil, err
	}
	names := make([]string, n)
	typs := make([]*duckType, n)
	for i := 0; i < n; i++ {
		if names[i], err = st.ColumnName(i); err != nil {
			return nil, nil, err
		}
		info, err := st.ColumnTypeInfo(i)
		if err != nil {
			return nil, nil, err
		}
		typs[i] = fromTypeInfo(info, 0)
	}
	return names, typs, nil
}

// transportSQL wraps q so that DuckDB converts nested and exotic columns to
// the text clients get; q itself when nothing needs converting.
func transportSQL(q string, names []string, typs []*duckType, explain bool) string {
	if explain {
		return q
	}
	wrap := make([]string, len(typs))
	needed := false
	for i, dt := range typs {
		col := "#" + strconv.Itoa(i+1)
		if f := dt.transport(); f != "" {
			needed = true
			col = fmt.Sprintf(f, col)
		}
		wrap[i] = col + " AS " + quoteIdent(names[i])
	}
	if !needed {
		return q
	}
	return "SELECT " + strings.Join(wrap, ", ") + " FROM (" + q + ") AS _q"
}

func columnsOf(names []string, typs []*duckType) []Column {
	cols := make([]Column, len(names))
	for i, dt := range typs {
		cols[i] = Column{Name: names[i], DuckType: dt.String(), MySQLType: dt.mysqlType()}
	}
	return cols
}

// run executes translated DuckDB SQL on one connection of the store and
// returns its rows, for Execute's iterator.
func run(ctx context.Context, db *sql.DB, q string, explain bool) (*Rows, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("connect to store: %w", err)
	}
	names, typs, err := describe(ctx, conn, q, explain)
	if err != nil {
		conn.Close()
		return nil, err
	}
	rows, err := conn.QueryContext(ctx, transportSQL(q, names, typs, explain))
	if err != nil {
		conn.Close()
		return nil, err
	}
	r := &Rows{rows: rows, conn: conn, cols: columnsOf(names, typs)}
	for _, c := range r.cols {
		r.kinds = append(r.kinds, c.MySQLType.Type())
	}
	r.vals = make([]any, len(typs))
	r.ptrs = make([]any, len(typs))
	for i := range r.vals {
		r.ptrs[i] = &r.vals[i]
	}
	return r, nil
}
