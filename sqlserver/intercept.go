package sqlserver

import (
	"context"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"github.com/dolthub/go-mysql-server/sql/types"
	"strconv"
	"strings"

	"github.com/dolthub/go-mysql-server/server"
	gms "github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/vitess/go/mysql"
	"github.com/dolthub/vitess/go/sqltypes"
	querypb "github.com/dolthub/vitess/go/vt/proto/query"
	ast "github.com/dolthub/vitess/go/vt/sqlparser"
	"github.com/shopspring/decimal"
)

// interceptor sits in front of GMS's handler. Every statement is parsed
// and classified here first: data queries are translated and run by
// DuckDB, writes and unsafe statements are refused, and the rest (SHOW,
// USE, SET, @@variables, information_schema) goes on to GMS.
type interceptor struct {
	srv *Server
}

var _ server.Interceptor = (*interceptor)(nil)

func (i *interceptor) Priority() int { return 0 }

func (i *interceptor) Query(ctx context.Context, chain server.Chain, c *mysql.Conn, query string, cb func(*sqltypes.Result, bool) error) error {
	_, err := i.query(ctx, chain, c, query, cb, false)
	return err
}

func (i *interceptor) MultiQuery(ctx context.Context, chain server.Chain, c *mysql.Conn, query string, cb func(*sqltypes.Result, bool) error) (string, error) {
	return i.query(ctx, chain, c, query, cb, true)
}

func (i *interceptor) ParsedQuery(chain server.Chain, c *mysql.Conn, query string, _ ast.Statement, cb func(*sqltypes.Result, bool) error) error {
	return i.Query(context.Background(), chain, c, query, cb)
}

// parsed is one statement read off the wire, with its session context.
type parsed struct {
	ctx       *gms.Context
	stmt      ast.Statement
	remainder string
}

func (i *interceptor) parse(ctx context.Context, c *mysql.Conn, query string, multi bool) (parsed, error) {
	sqlCtx, err := i.srv.sm.NewContextWithQuery(ctx, c, query)
	if err != nil {
		return parsed{}, err
	}
	stmt, rem, err := parseFirst(sqlCtx, query, multi, gms.LoadSqlMode(sqlCtx).ParserOptions())
	if err != nil {
		return parsed{ctx: sqlCtx}, err
	}
	return parsed{ctx: sqlCtx, stmt: stmt, remainder: rem}, nil
}

func (i *interceptor) query(ctx context.Context, chain server.Chain, c *mysql.Conn, query string, cb func(*sqltypes.Result, bool) error, multi bool) (string, error) {
	pq, err := i.parse(ctx, c, query, multi)
	if err != nil {
		if err == ast.ErrEmpty {
			return i.passOn(ctx, chain, c, query, cb, multi)
		}
		return "", mysql.NewSQLError(mysql.ERParseError, mysql.SSClientError, "%s", err.Error())
	}
	p, err := i.srv.classify(pq.ctx, pq.stmt)
	if err != nil {
		return "", err
	}
	if p.route == routeGMS {
		if k, ok := pq.stmt.(*ast.Kill); ok {
			if err := i.checkKill(pq.ctx, k); err != nil {
				return "", err
			}
		}
		if !assignsUserVariables(pq.stmt) {
			return i.passOn(ctx, chain, c, query, cb, multi)
		}
		// Hold GMS's answer (an OK packet) until the sizes are checked.
		type held struct {
			r    *sqltypes.Result
			more bool
		}
		var results []held
		rem, err := i.passOn(ctx, chain, c, query, func(r *sqltypes.Result, more bool) error {
			results = append(results, held{r, more})
			return nil
		}, multi)
		if err == nil {
			err = checkUserVariables(pq.ctx, pq.stmt)
		}
		if err != nil {
			return rem, err
		}
		for _, h := range results {
			if err := cb(h.r, h.more); err != nil {
				return rem, err
			}
		}
		return rem, nil
	}
	more := pq.remainder != ""
	err = i.srv.runData(pq.ctx, c, p, query, nil, func(r *sqltypes.Result) error { return cb(r, more) })
	return pq.remainder, err
}

func (i *interceptor) passOn(ctx context.Context, chain server.Chain, c *mysql.Conn, query string, cb func(*sqltypes.Result, bool) error, multi bool) (string, error) {
	// The timeout holds for what GMS evaluates too (SLEEP, BENCHMARK,
	// information_schema joins).
	if d := i.srv.cfg.QueryTimeout; d > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, d)
		defer cancel()
	}
	if multi {
		return chain.ComMultiQuery(ctx, c, query, cb)
	}
	return "", chain.ComQuery(ctx, c, query, cb)
}

func (i *interceptor) Prepare(ctx context.Context, chain server.Chain, c *mysql.Conn, query string, prepare *mysql.PrepareData) ([]*querypb.Field, error) {
	pq, err := i.parse(ctx, c, query, false)
	if err != nil {
		return nil, mysql.NewSQLError(mysql.ERParseError, mysql.SSClientError, "%s", err.Error())
	}
	p, err := i.srv.classify(pq.ctx, pq.stmt)
	if err != nil {
		return nil, err
	}
	if p.route == routeGMS {
		if _, ok := pq.stmt.(*ast.Kill); ok {
			return nil, errNotSupported("KILL as a prepared statement")
		}
		return chain.ComPrepare(ctx, c, query, prepare)
	}
	return i.srv.describeData(pq.ctx, p)
}

func (i *interceptor) StmtExecute(ctx context.Context, chain server.Chain, c *mysql.Conn, prepare *mysql.PrepareData, cb func(*sqltypes.Result) error) error {
	pq, err := i.parse(ctx, c, prepare.PrepareStmt, false)
	if err != nil {
		return mysql.NewSQLError(mysql.ERParseError, mysql.SSClientError, "%s", err.Error())
	}
	p, err := i.srv.classify(pq.ctx, pq.stmt)
	if err != nil {
		return err
	}
	if p.route == routeGMS {
		return chain.ComStmtExecute(ctx, c, prepare, cb)
	}
	params := prepare.BindVars
	if params == nil {
		params = map[string]*querypb.BindVariable{}
	}
	return i.srv.runData(pq.ctx, c, p, prepare.PrepareStmt, params, cb)
}

// maxUserVariable bounds the size of a user variable's value. Statements
// GMS evaluates can otherwise grow one without limit in the server's heap
// (SET @x = CONCAT(@x, @x), repeated).
const maxUserVariable = 16 << 20

// assignsUserVariables: SET @x = ... and SELECT ... INTO @x.
func assignsUserVariables(stmt ast.Statement) bool {
	switch s := stmt.(type) {
	case *ast.Set:
		return true
	case *ast.Select:
		return s.Into != nil && len(s.Into.Variables) > 0
	case *ast.SetOp:
		return s.Into != nil && len(s.Into.Variables) > 0
	}
	return false
}

// checkUserVariables clears, and reports, user variables that stmt made
// larger than maxUserVariable.
func checkUserVariables(ctx *gms.Context, stmt ast.Statement) error {
	names := map[string]bool{}
	_ = ast.Walk(func(node ast.SQLNode) (bool, error) {
		if c, ok := node.(*ast.ColName); ok {
			if n := c.Name.String(); strings.HasPrefix(n, "@") && !strings.HasPrefix(n, "@@") {
				names[strings.TrimPrefix(n, "@")] = true
			}
		}
		return true, nil
	}, stmt)
	switch s := stmt.(type) {
	case *ast.Set:
		for _, e := range s.Exprs {
			if e.Name != nil {
				names[strings.TrimPrefix(e.Name.Name.String(), "@")] = true
			}
		}
	case *ast.Select:
		if s.Into != nil {
			for _, v := range s.Into.Variables {
				names[strings.TrimPrefix(v.String(), "@")] = true
			}
		}
	}
	for name := range names {
		_, v, err := ctx.Session.GetUserVariable(ctx, name)
		if err != nil {
			continue
		}
		n := 0
		switch x := v.(type) {
		case string:
			n = len(x)
		case []byte:
			n = len(x)
		}
		if n > maxUserVariable {
			_ = ctx.Session.SetUserVariable(ctx, name, nil, types.Null)
			return mysql.NewSQLError(mysql.ERNetPacketTooLarge, "08S01",
				"user variable @%s would hold %d bytes, more than the %d allowed; it was reset to NULL", name, n, maxUserVariable)
		}
	}
	return nil
}

// checkKill lets a user kill only their own connections and queries.
func (i *interceptor) checkKill(ctx *gms.Context, k *ast.Kill) error {
	v, ok := k.ConnID.(*ast.SQLVal)
	if !ok {
		return errSyntax("KILL needs a connection id")
	}
	id, err := strconv.ParseUint(string(v.Val), 10, 32)
	if err != nil {
		return errSyntax("KILL needs a connection id")
	}
	user := ctx.Session.Client().User
	found, mine := false, false
	_ = i.srv.sm.Iter(func(s gms.Session) (bool, error) {
		if s.ID() == uint32(id) {
			found, mine = true, s.Client().User == user
			return true, nil
		}
		return false, nil
	})
	if !found {
		return mysql.NewSQLError(mysql.ERNoSuchThread, mysql.SSUnknownSQLState, "Unknown thread id: %d", id)
	}
	if !mine {
		return mysql.NewSQLError(mysql.ERKillDenied, mysql.SSUnknownSQLState, "You are not owner of thread %d", id)
	}
	return nil
}

// classify routes a statement for the session.
func (s *Server) classify(ctx *gms.Context, stmt ast.Statement) (plan, error) {
	stores := (&provider{srv: s}).visible(ctx)
	canon := func(name string) string {
		if st, ok := resolveStore(stores, name); ok {
			return st.ID()
		}
		return name
	}
	return classify(stmt, ctx.GetCurrentDatabase(), canon)
}

// prepareData resolves the plan's store and translates the query.
func (s *Server) prepareData(ctx *gms.Context, p plan, params map[string]*querypb.BindVariable, nullParams bool) (Store, string, error) {
	stores := (&provider{srv: s}).visible(ctx)
	st, ok := resolveStore(stores, p.db)
	if !ok {
		return nil, "", errBadDB(p.db)
	}
	if err := syncStore(ctx, st); err != nil {
		return nil, "", queryError(ctx, err)
	}
	schema, err := s.schemas.get(ctx, st)
	if err != nil {
		return nil, "", queryError(ctx, err)
	}
	tr := &translator{
		schema: schema,
		dbName: p.db,
		isDB: func(name string) bool {
			other, ok := resolveStore(stores, name)
			return ok && other.ID() == st.ID()
		},
		sess:       s.sessionInfo(ctx),
		params:     params,
		nullParams: nullParams,
	}
	q, err := tr.statement(p.sel)
	if err != nil {
		return nil, "", err
	}
	if p.route == routeExplain {
		q = "EXPLAIN " + q
	}
	return st, q, nil
}

func (s *Server) sessionInfo(ctx *gms.Context) sessionInfo {
	sess := ctx.Session
	return sessionInfo{
		DB:      ctx.GetCurrentDatabase(),
		User:    sess.Client().User,
		ConnID:  sess.ID(),
		Version: ServerVersion,
		UserVar: func(name string) (any, bool) {
			_, v, err := sess.GetUserVariable(ctx, name)
			if err != nil {
				return nil, false
			}
			return plainValue(v), true
		},
		SysVar: func(name string) (any, bool) {
			v, err := sess.GetSessionVariable(ctx, name)
			if err != nil {
				return nil, false
			}
			return plainValue(v), true
		},
	}
}

// plainValue turns GMS's DECIMAL values into numbers for literal().
func plainValue(v any) any {
	if d, ok := v.(decimal.Decimal); ok {
		return json.Number(d.String())
	}
	return v
}

// describeData answers COM_STMT_PREPARE for a data query: the result
// columns as DuckDB would return them.
func (s *Server) describeData(ctx *gms.Context, p plan) ([]*querypb.Field, error) {
	st, q, err := s.prepareData(ctx, p, nil, false)
	if err != nil {
		return nil, err
	}
	conn, err := st.DB().Conn(ctx)
	if err != nil {
		return nil, queryError(ctx, err)
	}
	defer conn.Close()
	names, typs, err := describe(ctx, conn, q, p.route == routeExplain)
	if err != nil {
		// DuckDB may not type a result that depends on a parameter
		// (SELECT ?): describe it with NULL for every parameter instead.
		// The execution sends the real columns anyway.
		_, nq, nerr := s.prepareData(ctx, p, nil, true)
		if nerr != nil {
			return nil, nerr
		}
		if names, typs, err = describe(ctx, conn, nq, p.route == routeExplain); err != nil {
			return nil, queryError(ctx, err)
		}
	}
	fields := make([]*querypb.Field, len(names))
	for i := range names {
		fields[i] = field(ctx, names[i], "", typs[i].mysqlType())
	}
	return fields, nil
}

// rowBatch is how many rows go to the client per callback.
const rowBatch = 256

// runData runs a data query in DuckDB and streams the rows to the client.
// The query is registered in GMS's process list, so KILL QUERY cancels it.
func (s *Server) runData(ctx *gms.Context, c *mysql.Conn, p plan, query string, params map[string]*querypb.BindVariable, send func(*sqltypes.Result) error) error {
	st, q, err := s.prepareData(ctx, p, params, false)
	if err != nil {
		return err
	}
	qctx, err := ctx.ProcessList.BeginQuery(ctx, query)
	if err != nil {
		return queryError(ctx, err)
	}
	defer ctx.ProcessList.EndQuery(qctx)

	runCtx, cancel := context.WithCancelCause(qctx)
	defer cancel(nil)
	if s.cfg.QueryTimeout > 0 {
		var stopTimer context.CancelFunc
		runCtx, stopTimer = context.WithTimeoutCause(runCtx, s.cfg.QueryTimeout, errTimeout)
		defer stopTimer()
	}
	stop := s.memory.watch(runCtx, st.DB(), cancel)
	defer stop()

	var fields []*querypb.Field
	var kinds []querypb.Type
	var res *sqltypes.Result
	sent := false
	head := func(cols []Column) error {
		for _, col := range cols {
			fields = append(fields, field(ctx, col.Name, "", col.MySQLType))
			kinds = append(kinds, col.MySQLType.Type())
		}
		res = &sqltypes.Result{Fields: fields}
		return nil
	}
	var buf []byte
	row := func(vals []driver.Value) error {
		out := make([]sqltypes.Value, len(vals))
		// One buffer per row; each value is a slice of it (earlier slices
		// keep their bytes if append moves the buffer).
		buf = make([]byte, 0, max(64, cap(buf)))
		for i, v := range vals {
			start := len(buf)
			var ok bool
			var err error
			buf, ok, err = appendValue(buf, v, kinds[i])
			if err != nil {
				return fmt.Errorf("column %s: %w", fields[i].Name, err)
			}
			if ok {
				out[i] = sqltypes.MakeTrusted(kinds[i], buf[start:len(buf):len(buf)])
			}
		}
		res.Rows = append(res.Rows, out)
		if len(res.Rows) == rowBatch {
			if err := send(res); err != nil {
				return err
			}
			sent = true
			res = &sqltypes.Result{Fields: fields}
		}
		return nil
	}
	if err := stream(runCtx, st.DB(), q, p.route == routeExplain, head, row); err != nil {
		return queryError(runCtx, err)
	}
	if len(res.Rows) > 0 || !sent {
		return send(res)
	}
	return nil
}
