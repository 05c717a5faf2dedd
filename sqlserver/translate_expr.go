package sqlserver

import (
	"strconv"
	"strings"

	ast "github.com/dolthub/vitess/go/vt/sqlparser"
)

func plain(sql string) texpr { return texpr{sql: sql} }

func (t *translator) expr(e ast.Expr) (texpr, error) {
	switch x := e.(type) {
	case *ast.AndExpr:
		return t.binary(x.Left, "AND", x.Right)
	case *ast.OrExpr:
		return t.binary(x.Left, "OR", x.Right)
	case *ast.XorExpr:
		l, err := t.expr(x.Left)
		if err != nil {
			return texpr{}, err
		}
		r, err := t.expr(x.Right)
		if err != nil {
			return texpr{}, err
		}
		return plain("(CAST(" + l.sql + " AS BOOLEAN) <> CAST(" + r.sql + " AS BOOLEAN))"), nil
	case *ast.NotExpr:
		in, err := t.expr(x.Expr)
		if err != nil {
			return texpr{}, err
		}
		return plain("(NOT " + in.sql + ")"), nil
	case *ast.ParenExpr:
		in, err := t.expr(x.Expr)
		if err != nil {
			return texpr{}, err
		}
		in.sql = "(" + in.sql + ")"
		return in, nil
	case *ast.ComparisonExpr:
		return t.comparison(x)
	case *ast.RangeCond:
		l, err := t.expr(x.Left)
		if err != nil {
			return texpr{}, err
		}
		from, err := t.expr(x.From)
		if err != nil {
			return texpr{}, err
		}
		to, err := t.expr(x.To)
		if err != nil {
			return texpr{}, err
		}
		op := "BETWEEN"
		if x.Operator == ast.NotBetweenStr {
			op = "NOT BETWEEN"
		}
		return plain("(" + l.sql + " " + op + " " + from.sql + " AND " + to.sql + ")"), nil
	case *ast.IsExpr:
		in, err := t.expr(x.Expr)
		if err != nil {
			return texpr{}, err
		}
		switch x.Operator {
		case ast.IsNullStr, ast.IsNotNullStr, ast.IsTrueStr, ast.IsNotTrueStr, ast.IsFalseStr, ast.IsNotFalseStr:
			return plain("(" + in.sql + " " + strings.ToUpper(x.Operator) + ")"), nil
		}
		return texpr{}, errNotSupported("IS %s", x.Operator)
	case *ast.ExistsExpr:
		sq, err := t.subquery(x.Subquery.Select)
		if err != nil {
			return texpr{}, err
		}
		return plain("(EXISTS (" + sq + "))"), nil
	case *ast.Subquery:
		sq, err := t.subquery(x.Select)
		if err != nil {
			return texpr{}, err
		}
		return plain("(" + sq + ")"), nil
	case *ast.SQLVal:
		return t.sqlVal(x)
	case *ast.NullVal:
		return plain("NULL"), nil
	case ast.BoolVal:
		if x {
			return plain("TRUE"), nil
		}
		return plain("FALSE"), nil
	case ast.ValTuple:
		parts, err := t.exprList(ast.Exprs(x))
		if err != nil {
			return texpr{}, err
		}
		return plain("(" + strings.Join(parts, ", ") + ")"), nil
	case *ast.ColName:
		return t.column(x)
	case *ast.BinaryExpr:
		return t.binaryExpr(x)
	case *ast.UnaryExpr:
		in, err := t.expr(x.Expr)
		if err != nil {
			return texpr{}, err
		}
		switch x.Operator {
		case ast.UMinusStr:
			return plain("(- " + in.sql + ")"), nil
		case ast.UPlusStr:
			return in, nil
		case ast.TildaStr:
			return plain("(~ " + in.sql + ")"), nil
		case ast.BangStr:
			return plain("(NOT " + in.sql + ")"), nil
		}
		// BINARY x and charset introducers (_utf8mb4 'x') keep the value.
		if x.Operator == ast.BinaryStr || strings.HasPrefix(x.Operator, "_") {
			return in, nil
		}
		return texpr{}, errNotSupported("operator %s", x.Operator)
	case *ast.IntervalExpr:
		return t.interval(x)
	case *ast.CollateExpr:
		return t.expr(x.Expr) // strings compare as in DuckDB (binary)
	case *ast.FuncExpr:
		return t.funcExpr(x)
	case *ast.TimestampFuncExpr:
		return t.timestampFunc(x)
	case *ast.ExtractFuncExpr:
		in, err := t.expr(x.Expr)
		if err != nil {
			return texpr{}, err
		}
		return datePart(x.Unit, in)
	case *ast.CaseExpr:
		return t.caseExpr(x)
	case *ast.ConvertExpr:
		in, err := t.expr(x.Expr)
		if err != nil {
			return texpr{}, err
		}
		return convert(in, x.Type)
	case *ast.ConvertUsingExpr:
		in, err := t.expr(x.Expr)
		if err != nil {
			return texpr{}, err
		}
		return texpr{sql: "CAST(" + strArg(in) + " AS VARCHAR)", typ: &duckType{Name: "VARCHAR"}}, nil
	case *ast.SubstrExpr:
		var in texpr
		var err error
		if x.Name != nil {
			in, err = t.column(x.Name)
		} else {
			in, err = t.sqlVal(x.StrVal)
		}
		if err != nil {
			return texpr{}, err
		}
		args := []texpr{in}
		for _, a := range []ast.Expr{x.From, x.To} {
			if a == nil {
				continue
			}
			v, err := t.expr(a)
			if err != nil {
				return texpr{}, err
			}
			args = append(args, v)
		}
		return fnSubstring(t, args)
	case *ast.TrimExpr:
		s, err := t.expr(x.Str)
		if err != nil {
			return texpr{}, err
		}
		fn := map[string]string{"b": "trim", "l": "ltrim", "t": "rtrim", "": "trim"}[strings.ToLower(x.Dir)]
		if fn == "" {
			return texpr{}, errNotSupported("TRIM %s", x.Dir)
		}
		if x.Pattern == nil {
			return plain(fn + "(" + strArg(s) + ")"), nil
		}
		p, err := t.expr(x.Pattern)
		if err != nil {
			return texpr{}, err
		}
		return plain(fn + "(" + strArg(s) + ", " + p.sql + ")"), nil
	case *ast.CharExpr:
		parts := make([]string, 0, len(x.Exprs))
		for _, se := range x.Exprs {
			ae, ok := se.(*ast.AliasedExpr)
			if !ok {
				return texpr{}, errSyntax("CHAR takes expressions")
			}
			v, err := t.expr(ae.Expr)
			if err != nil {
				return texpr{}, err
			}
			parts = append(parts, "chr(CAST("+v.sql+" AS INTEGER))")
		}
		return plain("(" + strings.Join(parts, " || ") + ")"), nil
	case *ast.GroupConcatExpr:
		return t.groupConcat(x)
	case *ast.MatchExpr:
		return texpr{}, errNotSupported("MATCH ... AGAINST")
	case *ast.ValuesFuncExpr:
		return texpr{}, errNotSupported("VALUES()")
	case *ast.Default:
		return texpr{}, errNotSupported("DEFAULT")
	case ast.ListArg:
		return texpr{}, errNotSupported("list arguments")
	}
	return texpr{}, errNotSupported("expression %T", e)
}

func (t *translator) exprList(es ast.Exprs) ([]string, error) {
	out := make([]string, len(es))
	for i, e := range es {
		v, err := t.expr(e)
		if err != nil {
			return nil, err
		}
		out[i] = v.sql
	}
	return out, nil
}

func (t *translator) binary(l ast.Expr, op string, r ast.Expr) (texpr, error) {
	a, err := t.expr(l)
	if err != nil {
		return texpr{}, err
	}
	b, err := t.expr(r)
	if err != nil {
		return texpr{}, err
	}
	return plain("(" + a.sql + " " + op + " " + b.sql + ")"), nil
}

func (t *translator) sqlVal(v *ast.SQLVal) (texpr, error) {
	switch v.Type {
	case ast.StrVal:
		s := string(v.Val)
		return texpr{sql: quoteString(s), lit: &s}, nil
	case ast.IntVal:
		if _, err := strconv.ParseInt(string(v.Val), 10, 64); err != nil {
			if _, err := strconv.ParseUint(string(v.Val), 10, 64); err != nil {
				// Larger than 64 bits: MySQL treats it as DECIMAL.
				if strings.Trim(string(v.Val), "0123456789") != "" {
					return texpr{}, errSyntax("bad number %q", v.Val)
				}
			}
		}
		return plain(string(v.Val)), nil
	case ast.FloatVal:
		if _, err := strconv.ParseFloat(string(v.Val), 64); err != nil {
			return texpr{}, errSyntax("bad number %q", v.Val)
		}
		return plain(string(v.Val)), nil
	case ast.HexNum: // 0x41
		n, err := strconv.ParseUint(strings.TrimPrefix(strings.ToLower(string(v.Val)), "0x"), 16, 64)
		if err != nil {
			return texpr{}, errSyntax("bad hexadecimal number %q", v.Val)
		}
		return plain(strconv.FormatUint(n, 10)), nil
	case ast.HexVal: // X'41'
		h := string(v.Val)
		if strings.Trim(strings.ToLower(h), "0123456789abcdef") != "" {
			return texpr{}, errSyntax("bad hexadecimal literal %q", h)
		}
		return plain("unhex(" + quoteString(h) + ")"), nil
	case ast.BitVal: // b'101'
		n, err := strconv.ParseUint(string(v.Val), 2, 64)
		if err != nil {
			return texpr{}, errSyntax("bad bit literal %q", v.Val)
		}
		return plain(strconv.FormatUint(n, 10)), nil
	case ast.ValArg: // ? placeholder, named :v1, :v2, ...
		name := strings.TrimPrefix(string(v.Val), ":")
		if t.nullParams {
			return plain("NULL"), nil
		}
		if t.params == nil {
			n, err := strconv.Atoi(strings.TrimPrefix(name, "v"))
			if err != nil {
				return texpr{}, errSyntax("bad placeholder %q", v.Val)
			}
			return plain("$" + strconv.Itoa(n)), nil
		}
		bv, ok := t.params[name]
		if !ok {
			return texpr{}, errSyntax("no value for placeholder %s", name)
		}
		s, err := bindLiteral(bv)
		if err != nil {
			return texpr{}, errSyntax("%v", err)
		}
		return plain(s), nil
	}
	return texpr{}, errNotSupported("literal of type %d", v.Type)
}

// column translates a column reference, or a @user / @@system variable.
func (t *translator) column(c *ast.ColName) (texpr, error) {
	name := c.Name.String()
	if strings.HasPrefix(name, "@@") {
		v := strings.TrimPrefix(name, "@@")
		for _, p := range []string{"session.", "global.", "local."} {
			if len(v) > len(p) && strings.EqualFold(v[:len(p)], p) {
				v = v[len(p):]
			}
		}
		if t.sess.SysVar != nil {
			if val, ok := t.sess.SysVar(v); ok {
				return plain(literal(val)), nil
			}
		}
		return texpr{}, errSyntax("Unknown system variable '%s'", v)
	}
	if strings.HasPrefix(name, "@") {
		if t.sess.UserVar != nil {
			if val, ok := t.sess.UserVar(strings.TrimPrefix(name, "@")); ok {
				return plain(literal(val)), nil
			}
		}
		return plain("NULL"), nil // MySQL: an unset user variable is NULL
	}
	q := c.Qualifier
	if db := q.DbQualifier.String(); db != "" && !t.isDB(db) {
		return texpr{}, errCrossDB(db)
	}
	qual := q.Name.String()
	out := quoteIdent(name)
	if qual != "" {
		out = quoteIdent(qual) + "." + out
	}
	return texpr{sql: out, typ: t.columnType(qual, name)}, nil
}

// columnType finds the DuckDB type of a column of a store table in scope.
func (t *translator) columnType(qual, name string) *duckType {
	for s := t.scope; s != nil; s = s.parent {
		var found *duckType
		n := 0
		for _, it := range s.items {
			if qual != "" && it.alias != strings.ToLower(qual) {
				continue
			}
			if it.table == nil {
				if qual != "" {
					return nil // a derived table: type unknown
				}
				continue
			}
			if col, ok := it.table.column(name); ok {
				found = col.Type
				n++
			}
		}
		if n == 1 {
			return found
		}
		if n > 1 || (qual != "" && len(s.items) > 0 && hasAlias(s.items, qual)) {
			return nil
		}
	}
	return nil
}

func hasAlias(items []fromItem, alias string) bool {
	for _, it := range items {
		if it.alias == strings.ToLower(alias) {
			return true
		}
	}
	return false
}

func (t *translator) comparison(x *ast.ComparisonExpr) (texpr, error) {
	l, err := t.expr(x.Left)
	if err != nil {
		return texpr{}, err
	}
	r, err := t.expr(x.Right)
	if err != nil {
		return texpr{}, err
	}
	switch x.Operator {
	case ast.EqualStr, ast.LessThanStr, ast.GreaterThanStr, ast.LessEqualStr, ast.GreaterEqualStr:
		return plain("(" + l.sql + " " + x.Operator + " " + r.sql + ")"), nil
	case ast.NotEqualStr, "<>":
		return plain("(" + l.sql + " <> " + r.sql + ")"), nil
	case ast.NullSafeEqualStr:
		return plain("(" + l.sql + " IS NOT DISTINCT FROM " + r.sql + ")"), nil
	case ast.InStr:
		return plain("(" + l.sql + " IN " + parenthesize(r.sql) + ")"), nil
	case ast.NotInStr:
		return plain("(" + l.sql + " NOT IN " + parenthesize(r.sql) + ")"), nil
	case ast.LikeStr, ast.NotLikeStr:
		op := "LIKE"
		if x.Operator == ast.NotLikeStr {
			op = "NOT LIKE"
		}
		esc := ""
		if x.Escape != nil {
			e, err := t.expr(x.Escape)
			if err != nil {
				return texpr{}, err
			}
			esc = " ESCAPE " + e.sql
		} else if r.lit == nil || strings.Contains(*r.lit, `\`) {
			esc = ` ESCAPE '\'` // MySQL's default escape character
		}
		return plain("(" + strArg(l) + " " + op + " " + r.sql + esc + ")"), nil
	case ast.RegexpStr:
		return plain("regexp_matches(" + strArg(l) + ", " + r.sql + ")"), nil
	case ast.NotRegexpStr:
		return plain("(NOT regexp_matches(" + strArg(l) + ", " + r.sql + "))"), nil
	}
	return texpr{}, errNotSupported("operator %s", x.Operator)
}

func parenthesize(s string) string {
	if strings.HasPrefix(s, "(") && strings.HasSuffix(s, ")") {
		return s
	}
	return "(" + s + ")"
}

func (t *translator) binaryExpr(x *ast.BinaryExpr) (texpr, error) {
	if x.Operator == ast.JSONExtractOp || x.Operator == ast.JSONUnquoteExtractOp {
		l, err := t.expr(x.Left)
		if err != nil {
			return texpr{}, err
		}
		p, err := t.expr(x.Right)
		if err != nil {
			return texpr{}, err
		}
		return jsonExtract(l, p, x.Operator == ast.JSONUnquoteExtractOp)
	}
	// Date arithmetic: d + INTERVAL n unit.
	if iv, ok := x.Right.(*ast.IntervalExpr); ok && (x.Operator == ast.PlusStr || x.Operator == ast.MinusStr) {
		d, err := t.expr(x.Left)
		if err != nil {
			return texpr{}, err
		}
		i, err := t.interval(iv)
		if err != nil {
			return texpr{}, err
		}
		return texpr{sql: "(" + asTimestamp(d) + " " + x.Operator + " " + i.sql + ")", typ: &duckType{Name: "TIMESTAMP"}}, nil
	}
	if iv, ok := x.Left.(*ast.IntervalExpr); ok && x.Operator == ast.PlusStr {
		d, err := t.expr(x.Right)
		if err != nil {
			return texpr{}, err
		}
		i, err := t.interval(iv)
		if err != nil {
			return texpr{}, err
		}
		return texpr{sql: "(" + asTimestamp(d) + " + " + i.sql + ")", typ: &duckType{Name: "TIMESTAMP"}}, nil
	}
	l, err := t.expr(x.Left)
	if err != nil {
		return texpr{}, err
	}
	r, err := t.expr(x.Right)
	if err != nil {
		return texpr{}, err
	}
	switch x.Operator {
	case ast.PlusStr, ast.MinusStr, ast.MultStr, ast.ModStr, ast.BitAndStr, ast.BitOrStr, ast.ShiftLeftStr, ast.ShiftRightStr:
		return plain("(" + l.sql + " " + x.Operator + " " + r.sql + ")"), nil
	case ast.DivStr:
		// MySQL: x / 0 is NULL.
		return plain("(" + l.sql + " / nullif(" + r.sql + ", 0))"), nil
	case ast.IntDivStr:
		return plain("(" + l.sql + " // nullif(" + r.sql + ", 0))"), nil
	case ast.BitXorStr:
		return plain("xor(" + l.sql + ", " + r.sql + ")"), nil
	}
	return texpr{}, errNotSupported("operator %s", x.Operator)
}

func (t *translator) caseExpr(x *ast.CaseExpr) (texpr, error) {
	var b strings.Builder
	b.WriteString("CASE")
	if x.Expr != nil {
		e, err := t.expr(x.Expr)
		if err != nil {
			return texpr{}, err
		}
		b.WriteString(" " + e.sql)
	}
	for _, w := range x.Whens {
		c, err := t.expr(w.Cond)
		if err != nil {
			return texpr{}, err
		}
		v, err := t.expr(w.Val)
		if err != nil {
			return texpr{}, err
		}
		b.WriteString(" WHEN " + c.sql + " THEN " + v.sql)
	}
	if x.Else != nil {
		e, err := t.expr(x.Else)
		if err != nil {
			return texpr{}, err
		}
		b.WriteString(" ELSE " + e.sql)
	}
	b.WriteString(" END")
	return plain(b.String()), nil
}

// intervalUnits maps MySQL interval units to DuckDB ones (QUARTER is 3 months).
var intervalUnits = map[string]string{
	"microsecond": "MICROSECOND", "second": "SECOND", "minute": "MINUTE", "hour": "HOUR",
	"day": "DAY", "week": "WEEK", "month": "MONTH", "year": "YEAR", "quarter": "QUARTER",
}

func (t *translator) interval(x *ast.IntervalExpr) (texpr, error) {
	n, err := t.expr(x.Expr)
	if err != nil {
		return texpr{}, err
	}
	unit, ok := intervalUnits[strings.ToLower(x.Unit)]
	if !ok {
		return texpr{}, errNotSupported("INTERVAL unit %s", x.Unit)
	}
	if unit == "QUARTER" {
		return plain("(INTERVAL 3 MONTH * CAST(" + n.sql + " AS BIGINT))"), nil
	}
	return plain("(INTERVAL 1 " + unit + " * CAST(" + n.sql + " AS BIGINT))"), nil
}

// strArg is an expression used as a string: nested values are JSON text,
// as MySQL clients see them.
func strArg(e texpr) string {
	if e.typ != nil && e.typ.nested() {
		if e.typ.Name == "JSON" {
			return "CAST(" + e.sql + " AS VARCHAR)"
		}
		return "CAST(to_json(" + e.sql + ") AS VARCHAR)"
	}
	return e.sql
}

// asTimestamp coerces a value to TIMESTAMP as MySQL coerces strings to
// DATETIME: FHIR dates and dateTimes are text; invalid text becomes NULL.
func asTimestamp(e texpr) string {
	if e.typ != nil {
		switch e.typ.Name {
		case "TIMESTAMP", "DATETIME":
			return e.sql
		case "DATE", "TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ":
			return "CAST(" + e.sql + " AS TIMESTAMP)"
		}
	}
	return "TRY_CAST(" + e.sql + " AS TIMESTAMP)"
}

// asDate coerces a value to DATE.
func asDate(e texpr) string {
	if e.typ != nil && e.typ.Name == "DATE" {
		return e.sql
	}
	return "CAST(" + asTimestamp(e) + " AS DATE)"
}
