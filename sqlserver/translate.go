package sqlserver

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/dolthub/vitess/go/sqltypes"
	querypb "github.com/dolthub/vitess/go/vt/proto/query"
	ast "github.com/dolthub/vitess/go/vt/sqlparser"
)

// Translation turns a parsed MySQL SELECT into DuckDB SQL over one store.
// It is confined by construction: a table is either one of the store's
// tables and views in schema `main` or a CTE/derived table of the query,
// every function is looked up in an allow-list, and there are no table
// functions, so no file, network or extension function can be reached.

// sessionInfo is what translation needs from the MySQL session.
type sessionInfo struct {
	DB      string // current database, as the client named it
	User    string
	ConnID  uint32
	Version string
	// UserVar and SysVar read @x and @@x; ok is false for unknown names.
	UserVar func(name string) (any, bool)
	SysVar  func(name string) (any, bool)
}

type translator struct {
	schema *storeSchema
	dbName string            // the store's database name, as the client named it
	isDB   func(string) bool // reports whether a qualifier names this store
	sess   sessionInfo
	// params are the values of ? placeholders (:v1, :v2, ...); nil while
	// preparing, when placeholders become DuckDB parameters.
	params map[string]*querypb.BindVariable
	// nullParams renders every placeholder as NULL (to describe a
	// prepared statement's columns when DuckDB cannot type a parameter).
	nullParams bool
	scope      *scope
}

// scope is one SELECT's FROM clause, for resolving column types.
type scope struct {
	parent *scope
	items  []fromItem
	ctes   map[string]bool
}

type fromItem struct {
	alias string     // lower-case name the query refers to it by
	table *tableInfo // nil for derived tables and CTEs
}

// texpr is a translated expression: DuckDB SQL and, when known, its DuckDB
// type (column references, JSON paths over typed columns, CASTs).
type texpr struct {
	sql string
	typ *duckType
	// lit holds the value of a string literal, for arguments that must be
	// constant (formats, JSON paths, units).
	lit *string
}

func (t *translator) isCTE(name string) bool {
	for s := t.scope; s != nil; s = s.parent {
		if s.ctes[strings.ToLower(name)] {
			return true
		}
	}
	return false
}

// statement translates a SELECT, UNION or parenthesised SELECT.
func (t *translator) statement(st ast.SelectStatement) (string, error) {
	switch s := st.(type) {
	case *ast.Select:
		return t.selectStmt(s)
	case *ast.SetOp:
		return t.setOp(s)
	case *ast.ParenSelect:
		inner, err := t.statement(s.Select)
		if err != nil {
			return "", err
		}
		return "(" + inner + ")", nil
	}
	return "", errNotSupported("statement %T", st)
}

func (t *translator) with(w *ast.With) (string, error) {
	if w == nil {
		return "", nil
	}
	var b strings.Builder
	b.WriteString("WITH ")
	if w.Recursive {
		b.WriteString("RECURSIVE ")
	}
	for i, c := range w.Ctes {
		name := c.As.String()
		// A CTE is visible to the ones after it (and to itself if recursive).
		t.scope.ctes[strings.ToLower(name)] = true
		sq, ok := c.Expr.(*ast.Subquery)
		if !ok {
			return "", errNotSupported("common table expression %s", name)
		}
		inner, err := t.subquery(sq.Select)
		if err != nil {
			return "", err
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(quoteIdent(name))
		if len(c.Columns) > 0 {
			b.WriteString(columnList(c.Columns))
		}
		b.WriteString(" AS (")
		b.WriteString(inner)
		b.WriteString(")")
	}
	b.WriteString(" ")
	return b.String(), nil
}

func columnList(cols ast.Columns) string {
	parts := make([]string, len(cols))
	for i, c := range cols {
		parts[i] = quoteIdent(c.String())
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// subquery translates a nested SELECT in its own scope.
func (t *translator) subquery(st ast.SelectStatement) (string, error) {
	return t.statement(st)
}

func (t *translator) setOp(s *ast.SetOp) (string, error) {
	if s.Into != nil {
		return "", errNotSupported("SELECT ... INTO")
	}
	t.scope = &scope{parent: t.scope, ctes: map[string]bool{}}
	defer func() { t.scope = t.scope.parent }()
	with, err := t.with(s.With)
	if err != nil {
		return "", err
	}
	left, err := t.statement(s.Left)
	if err != nil {
		return "", err
	}
	right, err := t.statement(s.Right)
	if err != nil {
		return "", err
	}
	var op string
	switch strings.ToLower(s.Type) {
	case "union", "union distinct":
		op = "UNION"
	case "union all":
		op = "UNION ALL"
	case "intersect", "intersect distinct":
		op = "INTERSECT"
	case "intersect all":
		op = "INTERSECT ALL"
	case "except", "except distinct":
		op = "EXCEPT"
	case "except all":
		op = "EXCEPT ALL"
	default:
		return "", errNotSupported("set operation %s", s.Type)
	}
	var b strings.Builder
	b.WriteString(with)
	b.WriteString(left)
	b.WriteString(" " + op + " ")
	b.WriteString(right)
	order, err := t.orderBy(s.OrderBy)
	if err != nil {
		return "", err
	}
	b.WriteString(order)
	limit, err := t.limit(s.Limit)
	if err != nil {
		return "", err
	}
	b.WriteString(limit)
	return b.String(), nil
}

func (t *translator) selectStmt(s *ast.Select) (string, error) {
	if s.Into != nil {
		return "", errNotSupported("SELECT ... INTO")
	}
	t.scope = &scope{parent: t.scope, ctes: map[string]bool{}}
	defer func() { t.scope = t.scope.parent }()

	var b strings.Builder
	with, err := t.with(s.With)
	if err != nil {
		return "", err
	}
	b.WriteString(with)

	// FROM first: it brings the columns into scope.
	var from []string
	for _, te := range s.From {
		f, err := t.tableExpr(te)
		if err != nil {
			return "", err
		}
		from = append(from, f)
	}

	b.WriteString("SELECT ")
	if s.QueryOpts.Distinct {
		b.WriteString("DISTINCT ")
	}
	for i, se := range s.SelectExprs {
		if i > 0 {
			b.WriteString(", ")
		}
		out, err := t.selectExpr(se)
		if err != nil {
			return "", err
		}
		b.WriteString(out)
	}
	if len(from) > 0 {
		b.WriteString(" FROM ")
		b.WriteString(strings.Join(from, ", "))
	}
	if s.Where != nil && s.Where.Expr != nil {
		w, err := t.expr(s.Where.Expr)
		if err != nil {
			return "", err
		}
		b.WriteString(" WHERE " + w.sql)
	}
	if len(s.GroupBy) > 0 {
		parts := make([]string, len(s.GroupBy))
		for i, g := range s.GroupBy {
			e, err := t.expr(g)
			if err != nil {
				return "", err
			}
			parts[i] = e.sql
		}
		b.WriteString(" GROUP BY " + strings.Join(parts, ", "))
	}
	if s.Having != nil && s.Having.Expr != nil {
		h, err := t.expr(s.Having.Expr)
		if err != nil {
			return "", err
		}
		b.WriteString(" HAVING " + h.sql)
	}
	if len(s.Window) > 0 {
		parts := make([]string, len(s.Window))
		for i, w := range s.Window {
			def, err := t.windowDef((*ast.Over)(w))
			if err != nil {
				return "", err
			}
			parts[i] = quoteIdent(w.Name.String()) + " AS (" + def + ")"
		}
		b.WriteString(" WINDOW " + strings.Join(parts, ", "))
	}
	order, err := t.orderBy(s.OrderBy)
	if err != nil {
		return "", err
	}
	b.WriteString(order)
	limit, err := t.limit(s.Limit)
	if err != nil {
		return "", err
	}
	b.WriteString(limit)
	return b.String(), nil
}

// selectExpr translates one item of a select list. Unaliased expressions
// are named as MySQL names them: by their text as written.
func (t *translator) selectExpr(se ast.SelectExpr) (string, error) {
	switch e := se.(type) {
	case *ast.StarExpr:
		if e.TableName.IsEmpty() {
			return "*", nil
		}
		if q := e.TableName.DbQualifier.String(); q != "" && !t.isDB(q) {
			return "", errCrossDB(q)
		}
		return quoteIdent(e.TableName.Name.String()) + ".*", nil
	case *ast.AliasedExpr:
		x, err := t.expr(e.Expr)
		if err != nil {
			return "", err
		}
		name := e.As.String()
		if name == "" {
			if c, ok := e.Expr.(*ast.ColName); ok && !strings.HasPrefix(c.Name.String(), "@") {
				name = c.Name.String()
			} else if v, ok := e.Expr.(*ast.SQLVal); ok && v.Type == ast.StrVal {
				name = string(v.Val) // MySQL names a string literal column by its value
			} else {
				name = strings.TrimSpace(e.InputExpression)
			}
		}
		if name == "" {
			return x.sql, nil
		}
		return x.sql + " AS " + quoteIdent(name), nil
	}
	return "", errNotSupported("select expression %T", se)
}

func (t *translator) orderBy(ob ast.OrderBy) (string, error) {
	if len(ob) == 0 {
		return "", nil
	}
	parts := make([]string, len(ob))
	for i, o := range ob {
		e, err := t.expr(o.Expr)
		if err != nil {
			return "", err
		}
		// MySQL sorts NULLs first ascending and last descending.
		if strings.EqualFold(o.Direction, ast.DescScr) {
			parts[i] = e.sql + " DESC NULLS LAST"
		} else {
			parts[i] = e.sql + " ASC NULLS FIRST"
		}
	}
	return " ORDER BY " + strings.Join(parts, ", "), nil
}

func (t *translator) limit(l *ast.Limit) (string, error) {
	if l == nil {
		return "", nil
	}
	var b strings.Builder
	if l.Rowcount != nil {
		n, err := t.expr(l.Rowcount)
		if err != nil {
			return "", err
		}
		b.WriteString(" LIMIT " + n.sql)
	}
	if l.Offset != nil {
		n, err := t.expr(l.Offset)
		if err != nil {
			return "", err
		}
		b.WriteString(" OFFSET " + n.sql)
	}
	return b.String(), nil
}

func errCrossDB(db string) error {
	return errDenied("a query reads one data store: '%s' is not the data store of this query", db)
}

func (t *translator) tableExpr(te ast.TableExpr) (string, error) {
	switch e := te.(type) {
	case *ast.AliasedTableExpr:
		return t.aliasedTable(e)
	case *ast.ParenTableExpr:
		parts := make([]string, len(e.Exprs))
		for i, x := range e.Exprs {
			p, err := t.tableExpr(x)
			if err != nil {
				return "", err
			}
			parts[i] = p
		}
		return "(" + strings.Join(parts, ", ") + ")", nil
	case *ast.JoinTableExpr:
		return t.join(e)
	case *ast.JSONTableExpr:
		return "", errNotSupported("JSON_TABLE")
	}
	return "", errNotSupported("table expression %T", te)
}

func (t *translator) aliasedTable(e *ast.AliasedTableExpr) (string, error) {
	if len(e.Partitions) > 0 {
		return "", errNotSupported("PARTITION")
	}
	if e.AsOf != nil {
		return "", errNotSupported("AS OF")
	}
	alias := e.As.String()
	switch x := e.Expr.(type) {
	case ast.TableName:
		name := x.Name.String()
		if q := x.DbQualifier.String(); q != "" {
			if !t.isDB(q) {
				return "", errCrossDB(q)
			}
		} else if t.isCTE(name) {
			t.scope.items = append(t.scope.items, fromItem{alias: strings.ToLower(firstNonEmpty(alias, name))})
			out := quoteIdent(name)
			if alias != "" {
				out += " AS " + quoteIdent(alias)
			}
			return out, nil
		}
		if x.SchemaQualifier.String() != "" {
			return "", errNoTable(x.SchemaQualifier.String(), name)
		}
		ti, ok := t.schema.table(name)
		if !ok {
			return "", errNoTable(t.dbName, name)
		}
		t.scope.items = append(t.scope.items, fromItem{alias: strings.ToLower(firstNonEmpty(alias, name)), table: ti})
		return "main." + quoteIdent(ti.Name) + " AS " + quoteIdent(firstNonEmpty(alias, name)), nil
	case *ast.Subquery:
		inner, err := t.subquery(x.Select)
		if err != nil {
			return "", err
		}
		if alias == "" {
			return "", errSyntax("Every derived table must have its own alias")
		}
		t.scope.items = append(t.scope.items, fromItem{alias: strings.ToLower(alias)})
		out := "(" + inner + ") AS " + quoteIdent(alias)
		if len(x.Columns) > 0 {
			out += columnList(x.Columns)
		}
		if e.Lateral {
			out = "LATERAL " + out
		}
		return out, nil
	}
	return "", errNotSupported("table %T", e.Expr)
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func (t *translator) join(e *ast.JoinTableExpr) (string, error) {
	left, err := t.tableExpr(e.LeftExpr)
	if err != nil {
		return "", err
	}
	right, err := t.tableExpr(e.RightExpr)
	if err != nil {
		return "", err
	}
	var kw string
	switch strings.ToLower(e.Join) {
	case "join", "inner join", "straight_join", "cross join":
		kw = "JOIN"
	case "left join", "left outer join":
		kw = "LEFT JOIN"
	case "right join", "right outer join":
		kw = "RIGHT JOIN"
	case "full outer join", "full join":
		kw = "FULL OUTER JOIN"
	case "natural join":
		kw = "NATURAL JOIN"
	case "natural left join", "natural left outer join":
		kw = "NATURAL LEFT JOIN"
	case "natural right join", "natural right outer join":
		kw = "NATURAL RIGHT JOIN"
	default:
		return "", errNotSupported("join %s", e.Join)
	}
	var cond string
	switch {
	case e.Condition.On != nil:
		on, err := t.expr(e.Condition.On)
		if err != nil {
			return "", err
		}
		cond = " ON " + on.sql
	case len(e.Condition.Using) > 0:
		cond = " USING " + columnList(e.Condition.Using)
	case kw == "JOIN":
		kw = "CROSS JOIN" // MySQL's JOIN without a condition
	case strings.HasPrefix(kw, "NATURAL"):
	default:
		return "", errSyntax("%s needs an ON or USING condition", kw)
	}
	return left + " " + kw + " " + right + cond, nil
}

// literal renders a Go value as a DuckDB literal.
func literal(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case string:
		return quoteString(x)
	case []byte:
		return quoteString(string(x))
	case bool:
		if x {
			return "TRUE"
		}
		return "FALSE"
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return fmt.Sprint(x)
	case float32:
		return strconv.FormatFloat(float64(x), 'g', -1, 32)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case json.Number: // a decimal, validated as a number
		if _, err := strconv.ParseFloat(string(x), 64); err == nil {
			return string(x)
		}
		return quoteString(string(x))
	case fmt.Stringer:
		return quoteString(x.String())
	}
	return quoteString(fmt.Sprint(v))
}

// bindLiteral renders a prepared statement's parameter value.
func bindLiteral(bv *querypb.BindVariable) (string, error) {
	if bv == nil {
		return "NULL", nil
	}
	v, err := sqltypes.BindVariableToValue(bv)
	if err != nil {
		return "", fmt.Errorf("parameter: %w", err)
	}
	switch {
	case v.IsNull():
		return "NULL", nil
	case v.IsSigned():
		n, err := strconv.ParseInt(v.ToString(), 10, 64)
		if err != nil {
			return "", fmt.Errorf("parameter %q: %w", v.ToString(), err)
		}
		return strconv.FormatInt(n, 10), nil
	case v.IsUnsigned():
		n, err := strconv.ParseUint(v.ToString(), 10, 64)
		if err != nil {
			return "", fmt.Errorf("parameter %q: %w", v.ToString(), err)
		}
		return strconv.FormatUint(n, 10), nil
	case v.IsFloat() || v.Type() == sqltypes.Decimal:
		f, err := strconv.ParseFloat(v.ToString(), 64)
		if err != nil {
			return "", fmt.Errorf("parameter %q: %w", v.ToString(), err)
		}
		if v.Type() == sqltypes.Decimal {
			return v.ToString(), nil // validated as a number above
		}
		return strconv.FormatFloat(f, 'g', -1, 64), nil
	}
	return quoteString(v.ToString()), nil
}
