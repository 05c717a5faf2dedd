package sqlserver

import (
	"sort"
	"strconv"
	"strings"

	ast "github.com/dolthub/vitess/go/vt/sqlparser"
)

// fn translates a call with translated arguments.
type fn func(t *translator, args []texpr) (texpr, error)

// rename calls the DuckDB function name with the same arguments; n is the
// allowed argument counts (none: any).
func rename(name string, n ...int) fn {
	return func(t *translator, args []texpr) (texpr, error) {
		if len(n) > 0 && !contains(n, len(args)) {
			return texpr{}, errArgs(name, len(args))
		}
		return call(name, args...), nil
	}
}

func contains(ns []int, n int) bool {
	for _, x := range ns {
		if x == n {
			return true
		}
	}
	return false
}

func errArgs(name string, n int) error {
	return errSyntax("Incorrect parameter count in the call to native function '%s' (%d given)", name, n)
}

func call(name string, args ...texpr) texpr {
	parts := make([]string, len(args))
	for i, a := range args {
		parts[i] = a.sql
	}
	return plain(name + "(" + strings.Join(parts, ", ") + ")")
}

// strCall calls a string function, passing nested values as JSON text.
func strCall(name string, n ...int) fn {
	return func(t *translator, args []texpr) (texpr, error) {
		if len(n) > 0 && !contains(n, len(args)) {
			return texpr{}, errArgs(name, len(args))
		}
		parts := make([]string, len(args))
		for i, a := range args {
			parts[i] = strArg(a)
		}
		return plain(name + "(" + strings.Join(parts, ", ") + ")"), nil
	}
}

// dateCall applies a DuckDB function to the argument coerced to TIMESTAMP.
func dateCall(format string) fn {
	return func(t *translator, args []texpr) (texpr, error) {
		if len(args) != 1 {
			return texpr{}, errArgs(format, len(args))
		}
		return plain(strings.ReplaceAll(format, "%s", asTimestamp(args[0]))), nil
	}
}

func constant(sql string) fn {
	return func(t *translator, args []texpr) (texpr, error) {
		if len(args) != 0 {
			return texpr{}, errArgs(sql, len(args))
		}
		return plain(sql), nil
	}
}

// functions is the allow-list of scalar functions, keyed by MySQL name.
var functions map[string]fn

// aggregates may take DISTINCT and OVER; windows need OVER.
var aggregates = map[string]string{
	"count": "count", "sum": "sum", "avg": "avg", "min": "min", "max": "max",
	"std": "stddev_pop", "stddev": "stddev_pop", "stddev_pop": "stddev_pop", "stddev_samp": "stddev_samp",
	"variance": "var_pop", "var_pop": "var_pop", "var_samp": "var_samp",
	"bit_and": "bit_and", "bit_or": "bit_or", "bit_xor": "bit_xor", "any_value": "any_value",
	"json_arrayagg": "json_group_array", "json_objectagg": "json_group_object",
}

var windows = map[string]string{
	"row_number": "row_number", "rank": "rank", "dense_rank": "dense_rank", "percent_rank": "percent_rank",
	"cume_dist": "cume_dist", "ntile": "ntile", "lag": "lag", "lead": "lead",
	"first_value": "first_value", "last_value": "last_value", "nth_value": "nth_value",
}

func init() {
	functions = map[string]fn{
		// control flow
		"if": func(t *translator, a []texpr) (texpr, error) {
			if len(a) != 3 {
				return texpr{}, errArgs("IF", len(a))
			}
			return plain("CASE WHEN " + a[0].sql + " THEN " + a[1].sql + " ELSE " + a[2].sql + " END"), nil
		},
		"ifnull":   rename("coalesce", 2),
		"coalesce": rename("coalesce"),
		"nullif":   rename("nullif", 2),
		"isnull": func(t *translator, a []texpr) (texpr, error) {
			if len(a) != 1 {
				return texpr{}, errArgs("ISNULL", len(a))
			}
			return plain("(" + a[0].sql + " IS NULL)"), nil
		},
		"greatest": rename("greatest"),
		"least":    rename("least"),

		// strings
		"concat": func(t *translator, a []texpr) (texpr, error) {
			if len(a) == 0 {
				return texpr{}, errArgs("CONCAT", 0)
			}
			parts := make([]string, len(a))
			for i, x := range a {
				parts[i] = "CAST(" + strArg(x) + " AS VARCHAR)"
			}
			return plain("(" + strings.Join(parts, " || ") + ")"), nil
		},
		"concat_ws":        strCall("concat_ws"),
		"length":           strCall("strlen", 1),
		"octet_length":     strCall("strlen", 1),
		"char_length":      strCall("length", 1),
		"character_length": strCall("length", 1),
		"upper":            strCall("upper", 1),
		"ucase":            strCall("upper", 1),
		"lower":            strCall("lower", 1),
		"lcase":            strCall("lower", 1),
		"left":             strCall("left", 2),
		"right":            strCall("right", 2),
		"substring":        fnSubstring,
		"substr":           fnSubstring,
		"mid":              fnSubstring,
		"trim":             strCall("trim", 1),
		"ltrim":            strCall("ltrim", 1),
		"rtrim":            strCall("rtrim", 1),
		"replace":          strCall("replace", 3),
		"reverse":          strCall("reverse", 1),
		"repeat":           strCall("repeat", 2),
		"lpad":             strCall("lpad", 3),
		"rpad":             strCall("rpad", 3),
		"instr":            strCall("instr", 2),
		"ascii":            strCall("ascii", 1),
		"ord":              strCall("ascii", 1),
		"hex":              rename("hex", 1),
		"unhex":            rename("unhex", 1),
		"md5":              strCall("md5", 1),
		"sha1":             strCall("sha1", 1),
		"sha":              strCall("sha1", 1),
		"space": func(t *translator, a []texpr) (texpr, error) {
			if len(a) != 1 {
				return texpr{}, errArgs("SPACE", len(a))
			}
			return plain("repeat(' ', CAST(" + a[0].sql + " AS BIGINT))"), nil
		},
		"locate": func(t *translator, a []texpr) (texpr, error) {
			switch len(a) {
			case 2:
				return plain("instr(" + strArg(a[1]) + ", " + strArg(a[0]) + ")"), nil
			case 3:
				s := "substring(" + strArg(a[1]) + ", " + a[2].sql + ")"
				i := "instr(" + s + ", " + strArg(a[0]) + ")"
				return plain("CASE WHEN " + i + " = 0 THEN 0 ELSE " + i + " + " + a[2].sql + " - 1 END"), nil
			}
			return texpr{}, errArgs("LOCATE", len(a))
		},
		"strcmp": func(t *translator, a []texpr) (texpr, error) {
			if len(a) != 2 {
				return texpr{}, errArgs("STRCMP", len(a))
			}
			return plain("CASE WHEN " + a[0].sql + " < " + a[1].sql + " THEN -1 WHEN " + a[0].sql + " > " + a[1].sql + " THEN 1 WHEN " + a[0].sql + " = " + a[1].sql + " THEN 0 END"), nil
		},
		"find_in_set": func(t *translator, a []texpr) (texpr, error) {
			if len(a) != 2 {
				return texpr{}, errArgs("FIND_IN_SET", len(a))
			}
			return plain("coalesce(list_position(string_split(" + a[1].sql + ", ','), " + a[0].sql + "), 0)"), nil
		},
		"substring_index": func(t *translator, a []texpr) (texpr, error) {
			if len(a) != 3 {
				return texpr{}, errArgs("SUBSTRING_INDEX", len(a))
			}
			parts := "string_split(" + strArg(a[0]) + ", " + a[1].sql + ")"
			n := a[2].sql
			return plain("CASE WHEN " + n + " >= 0 THEN array_to_string(" + parts + "[1:" + n + "], " + a[1].sql + ") ELSE array_to_string(" + parts + "[" + n + ":], " + a[1].sql + ") END"), nil
		},
		"format": func(t *translator, a []texpr) (texpr, error) {
			if len(a) < 2 || len(a) > 3 {
				return texpr{}, errArgs("FORMAT", len(a))
			}
			d, err := strconv.Atoi(strings.Trim(a[1].sql, "()"))
			if err != nil || d < 0 || d > 30 {
				return texpr{}, errNotSupported("FORMAT with a non-constant number of decimals")
			}
			return plain("format('{:,." + strconv.Itoa(d) + "f}', CAST(" + a[0].sql + " AS DOUBLE))"), nil
		},
		"to_base64": func(t *translator, a []texpr) (texpr, error) {
			if len(a) != 1 {
				return texpr{}, errArgs("TO_BASE64", len(a))
			}
			return plain("to_base64(CAST(" + strArg(a[0]) + " AS BLOB))"), nil
		},
		"from_base64": rename("from_base64", 1),
		"sha2": func(t *translator, a []texpr) (texpr, error) {
			if len(a) != 2 {
				return texpr{}, errArgs("SHA2", len(a))
			}
			if n := strings.Trim(a[1].sql, "()"); n != "256" && n != "0" {
				return texpr{}, errNotSupported("SHA2 with %s bits (only 256)", n)
			}
			return plain("sha256(" + strArg(a[0]) + ")"), nil
		},

		// numbers
		"abs": rename("abs", 1), "ceil": rename("ceil", 1), "ceiling": rename("ceil", 1),
		"floor": rename("floor", 1), "sqrt": rename("sqrt", 1), "exp": rename("exp", 1),
		"ln": rename("ln", 1), "log10": rename("log10", 1), "log2": rename("log2", 1),
		"sign": rename("sign", 1), "pi": rename("pi", 0), "rand": rename("random", 0),
		"pow": rename("pow", 2), "power": rename("pow", 2), "degrees": rename("degrees", 1),
		"radians": rename("radians", 1), "sin": rename("sin", 1), "cos": rename("cos", 1),
		"tan": rename("tan", 1), "asin": rename("asin", 1), "acos": rename("acos", 1),
		"atan": rename("atan", 1), "atan2": rename("atan2", 2), "cot": rename("cot", 1),
		"bit_count": rename("bit_count", 1),
		"round": func(t *translator, a []texpr) (texpr, error) {
			switch len(a) {
			case 1:
				return call("round", a[0]), nil
			case 2:
				return plain("round(" + a[0].sql + ", CAST(" + a[1].sql + " AS INTEGER))"), nil
			}
			return texpr{}, errArgs("ROUND", len(a))
		},
		"truncate": func(t *translator, a []texpr) (texpr, error) {
			if len(a) != 2 {
				return texpr{}, errArgs("TRUNCATE", len(a))
			}
			p := "pow(10, " + a[1].sql + ")"
			return plain("(trunc(" + a[0].sql + " * " + p + ") / " + p + ")"), nil
		},
		"mod": func(t *translator, a []texpr) (texpr, error) {
			if len(a) != 2 {
				return texpr{}, errArgs("MOD", len(a))
			}
			return plain("(" + a[0].sql + " % " + a[1].sql + ")"), nil
		},
		"log": func(t *translator, a []texpr) (texpr, error) {
			switch len(a) {
			case 1:
				return call("ln", a[0]), nil // MySQL LOG(x) is the natural logarithm
			case 2:
				return plain("(ln(" + a[1].sql + ") / ln(" + a[0].sql + "))"), nil
			}
			return texpr{}, errArgs("LOG", len(a))
		},

		// dates and times
		"now":               constant("CAST(now() AS TIMESTAMP)"),
		"current_timestamp": constant("CAST(now() AS TIMESTAMP)"),
		"localtime":         constant("CAST(now() AS TIMESTAMP)"),
		"localtimestamp":    constant("CAST(now() AS TIMESTAMP)"),
		"sysdate":           constant("CAST(now() AS TIMESTAMP)"),
		"curdate":           constant("current_date"),
		"current_date":      constant("current_date"),
		"curtime":           constant("CAST(now() AS TIME)"),
		"current_time":      constant("CAST(now() AS TIME)"),
		"utc_timestamp":     constant("CAST(timezone('UTC', now()) AS TIMESTAMP)"),
		"utc_date":          constant("CAST(timezone('UTC', now()) AS DATE)"),
		"year":              dateCall("year(%s)"),
		"month":             dateCall("month(%s)"),
		"day":               dateCall("day(%s)"),
		"dayofmonth":        dateCall("day(%s)"),
		"hour":              dateCall("hour(%s)"),
		"minute":            dateCall("minute(%s)"),
		"second":            dateCall("second(%s)"),
		"microsecond":       dateCall("(microsecond(%s) % 1000000)"),
		"quarter":           dateCall("quarter(%s)"),
		"dayofyear":         dateCall("dayofyear(%s)"),
		"dayofweek":         dateCall("(dayofweek(%s) + 1)"),
		"weekday":           dateCall("(isodow(%s) - 1)"),
		"weekofyear":        dateCall("week(%s)"),
		"monthname":         dateCall("monthname(%s)"),
		"dayname":           dateCall("dayname(%s)"),
		"last_day":          dateCall("last_day(%s)"),
		"time":              dateCall("CAST(%s AS TIME)"),
		"timestamp":         dateCall("%s"),
		"date": func(t *translator, a []texpr) (texpr, error) {
			if len(a) != 1 {
				return texpr{}, errArgs("DATE", len(a))
			}
			return texpr{sql: asDate(a[0]), typ: &duckType{Name: "DATE"}}, nil
		},
		"week": func(t *translator, a []texpr) (texpr, error) {
			if len(a) == 1 || (len(a) == 2 && strings.Trim(a[1].sql, "()") == "0") {
				return plain("CAST(strftime(" + asTimestamp(a[0]) + ", '%U') AS INTEGER)"), nil
			}
			if len(a) == 2 && strings.Trim(a[1].sql, "()") == "3" {
				return plain("week(" + asTimestamp(a[0]) + ")"), nil
			}
			return texpr{}, errNotSupported("WEEK with a mode other than 0 or 3")
		},
		"datediff": func(t *translator, a []texpr) (texpr, error) {
			if len(a) != 2 {
				return texpr{}, errArgs("DATEDIFF", len(a))
			}
			return plain("date_diff('day', " + asDate(a[1]) + ", " + asDate(a[0]) + ")"), nil
		},
		"date_format": func(t *translator, a []texpr) (texpr, error) {
			if len(a) != 2 {
				return texpr{}, errArgs("DATE_FORMAT", len(a))
			}
			f, err := strftimeFormat(a[1])
			if err != nil {
				return texpr{}, err
			}
			return plain("strftime(" + asTimestamp(a[0]) + ", " + f + ")"), nil
		},
		"str_to_date": func(t *translator, a []texpr) (texpr, error) {
			if len(a) != 2 {
				return texpr{}, errArgs("STR_TO_DATE", len(a))
			}
			f, err := strftimeFormat(a[1])
			if err != nil {
				return texpr{}, err
			}
			return texpr{sql: "try_strptime(" + strArg(a[0]) + ", " + f + ")", typ: &duckType{Name: "TIMESTAMP"}}, nil
		},
		"unix_timestamp": func(t *translator, a []texpr) (texpr, error) {
			switch len(a) {
			case 0:
				return plain("CAST(epoch(now()) AS BIGINT)"), nil
			case 1:
				return plain("epoch(" + asTimestamp(a[0]) + ")"), nil
			}
			return texpr{}, errArgs("UNIX_TIMESTAMP", len(a))
		},
		"from_unixtime": func(t *translator, a []texpr) (texpr, error) {
			if len(a) != 1 {
				return texpr{}, errArgs("FROM_UNIXTIME", len(a))
			}
			return plain("CAST(to_timestamp(" + a[0].sql + ") AS TIMESTAMP)"), nil
		},
		"convert_tz": func(t *translator, a []texpr) (texpr, error) {
			if len(a) != 3 {
				return texpr{}, errArgs("CONVERT_TZ", len(a))
			}
			return plain("timezone(" + a[2].sql + ", timezone(" + a[1].sql + ", " + asTimestamp(a[0]) + "))"), nil
		},
		"date_add": dateAdd("+"), "adddate": dateAdd("+"),
		"date_sub": dateAdd("-"), "subdate": dateAdd("-"),

		// FHIR: a simple-valued extension by URL (fhirflat/macros.go)
		"fhir_extension": rename("fhir_extension", 2),

		// JSON
		"json_extract": func(t *translator, a []texpr) (texpr, error) {
			if len(a) != 2 {
				return texpr{}, errNotSupported("JSON_EXTRACT with %d arguments (one path only)", len(a))
			}
			return jsonExtract(a[0], a[1], false)
		},
		"json_unquote": func(t *translator, a []texpr) (texpr, error) {
			if len(a) != 1 {
				return texpr{}, errArgs("JSON_UNQUOTE", len(a))
			}
			if a[0].typ != nil && !a[0].typ.nested() {
				return a[0], nil // a scalar taken out of a typed column
			}
			return plain("json_extract_string(" + jsonArg(a[0]) + ", '$')"), nil
		},
		"json_length": func(t *translator, a []texpr) (texpr, error) {
			x := a
			if len(a) == 2 {
				v, err := jsonExtract(a[0], a[1], false)
				if err != nil {
					return texpr{}, err
				}
				x = []texpr{v}
			} else if len(a) != 1 {
				return texpr{}, errArgs("JSON_LENGTH", len(a))
			}
			if x[0].typ != nil && (x[0].typ.Name == "LIST" || x[0].typ.Name == "ARRAY") {
				return plain("len(" + x[0].sql + ")"), nil
			}
			j := jsonArg(x[0])
			return plain("CASE json_type(" + j + ") WHEN 'ARRAY' THEN json_array_length(" + j + ") WHEN 'OBJECT' THEN len(json_keys(" + j + ")) WHEN 'NULL' THEN NULL ELSE 1 END"), nil
		},
		"json_contains": func(t *translator, a []texpr) (texpr, error) {
			switch len(a) {
			case 2:
				return plain("json_contains(" + jsonArg(a[0]) + ", " + jsonArg(a[1]) + ")"), nil
			case 3:
				v, err := jsonExtract(a[0], a[2], false)
				if err != nil {
					return texpr{}, err
				}
				return plain("json_contains(" + jsonArg(v) + ", " + jsonArg(a[1]) + ")"), nil
			}
			return texpr{}, errArgs("JSON_CONTAINS", len(a))
		},
		"json_type": func(t *translator, a []texpr) (texpr, error) {
			if len(a) != 1 {
				return texpr{}, errArgs("JSON_TYPE", len(a))
			}
			return plain("upper(json_type(" + jsonArg(a[0]) + "))"), nil
		},
		"json_keys": func(t *translator, a []texpr) (texpr, error) {
			if len(a) != 1 {
				return texpr{}, errArgs("JSON_KEYS", len(a))
			}
			return texpr{sql: "to_json(json_keys(" + jsonArg(a[0]) + "))", typ: &duckType{Name: "JSON"}}, nil
		},
		"json_valid": func(t *translator, a []texpr) (texpr, error) {
			if len(a) != 1 {
				return texpr{}, errArgs("JSON_VALID", len(a))
			}
			if a[0].typ != nil && a[0].typ.nested() {
				return plain("TRUE"), nil
			}
			return plain("json_valid(" + a[0].sql + ")"), nil
		},
		"json_object": jsonBuild("json_object"),
		"json_array":  jsonBuild("json_array"),
		"json_quote": func(t *translator, a []texpr) (texpr, error) {
			if len(a) != 1 {
				return texpr{}, errArgs("JSON_QUOTE", len(a))
			}
			return texpr{sql: "to_json(CAST(" + a[0].sql + " AS VARCHAR))", typ: &duckType{Name: "JSON"}}, nil
		},

		// misc
		"uuid":           constant("CAST(uuid() AS VARCHAR)"),
		"last_insert_id": constant("0"),
		"row_count":      constant("-1"),
	}
	for _, name := range []string{"database", "schema"} {
		functions[name] = func(t *translator, a []texpr) (texpr, error) {
			if len(a) != 0 {
				return texpr{}, errArgs("DATABASE", len(a))
			}
			return plain(literal(t.sess.DB)), nil
		}
	}
	for _, name := range []string{"user", "current_user", "session_user", "system_user"} {
		functions[name] = func(t *translator, a []texpr) (texpr, error) {
			if len(a) != 0 {
				return texpr{}, errArgs("USER", len(a))
			}
			return plain(literal(t.sess.User + "@%")), nil
		}
	}
	functions["connection_id"] = func(t *translator, a []texpr) (texpr, error) {
		return plain(strconv.FormatUint(uint64(t.sess.ConnID), 10)), nil
	}
	functions["version"] = func(t *translator, a []texpr) (texpr, error) {
		return plain(literal(t.sess.Version)), nil
	}
}

// FunctionNames lists the MySQL functions data queries may call.
func FunctionNames() []string {
	var names []string
	for n := range functions {
		names = append(names, n)
	}
	for n := range aggregates {
		names = append(names, n)
	}
	for n := range windows {
		names = append(names, n)
	}
	names = append(names, "group_concat")
	sort.Strings(names)
	return names
}

func fnSubstring(t *translator, a []texpr) (texpr, error) {
	if len(a) != 2 && len(a) != 3 {
		return texpr{}, errArgs("SUBSTRING", len(a))
	}
	parts := []string{strArg(a[0])}
	for _, x := range a[1:] {
		parts = append(parts, "CAST("+x.sql+" AS BIGINT)")
	}
	return plain("substring(" + strings.Join(parts, ", ") + ")"), nil
}

func jsonBuild(name string) fn {
	return func(t *translator, a []texpr) (texpr, error) {
		parts := make([]string, len(a))
		for i, x := range a {
			if x.typ != nil && x.typ.nested() && x.typ.Name != "JSON" {
				parts[i] = "to_json(" + x.sql + ")"
			} else {
				parts[i] = x.sql
			}
		}
		return texpr{sql: name + "(" + strings.Join(parts, ", ") + ")", typ: &duckType{Name: "JSON"}}, nil
	}
}

// dateAdd translates DATE_ADD(d, INTERVAL n unit) and DATE_ADD(d, days).
func dateAdd(op string) fn {
	return func(t *translator, a []texpr) (texpr, error) {
		if len(a) != 2 {
			return texpr{}, errArgs("DATE_ADD", len(a))
		}
		iv := a[1].sql
		if !strings.HasPrefix(iv, "(INTERVAL ") {
			iv = "(INTERVAL 1 DAY * CAST(" + iv + " AS BIGINT))"
		}
		return texpr{sql: "(" + asTimestamp(a[0]) + " " + op + " " + iv + ")", typ: &duckType{Name: "TIMESTAMP"}}, nil
	}
}

var datePartUnits = map[string]string{
	"microsecond": "(microsecond(%s) % 1000000)", "second": "second(%s)", "minute": "minute(%s)",
	"hour": "hour(%s)", "day": "day(%s)", "week": "CAST(strftime(%s, '%U') AS INTEGER)",
	"month": "month(%s)", "quarter": "quarter(%s)", "year": "year(%s)",
	"year_month": "(year(%s) * 100 + month(%s))",
}

func datePart(unit string, e texpr) (texpr, error) {
	f, ok := datePartUnits[strings.ToLower(unit)]
	if !ok {
		return texpr{}, errNotSupported("EXTRACT(%s ...)", unit)
	}
	return plain(strings.ReplaceAll(f, "%s", asTimestamp(e))), nil
}

func (t *translator) timestampFunc(x *ast.TimestampFuncExpr) (texpr, error) {
	a, err := t.expr(x.Expr1)
	if err != nil {
		return texpr{}, err
	}
	b, err := t.expr(x.Expr2)
	if err != nil {
		return texpr{}, err
	}
	unit, ok := intervalUnits[strings.ToLower(x.Unit)]
	if !ok {
		return texpr{}, errNotSupported("%s unit %s", x.Name, x.Unit)
	}
	switch strings.ToLower(x.Name) {
	case "timestampdiff":
		// date_sub counts whole units, as TIMESTAMPDIFF does (ages in years).
		return plain("date_sub('" + strings.ToLower(unit) + "', " + asTimestamp(a) + ", " + asTimestamp(b) + ")"), nil
	case "timestampadd":
		n := "CAST(" + a.sql + " AS BIGINT)"
		if unit == "QUARTER" {
			return plain("(" + asTimestamp(b) + " + INTERVAL 3 MONTH * " + n + ")"), nil
		}
		return plain("(" + asTimestamp(b) + " + INTERVAL 1 " + unit + " * " + n + ")"), nil
	}
	return texpr{}, errNoFunction(x.Name)
}

// strftimeFormat converts a constant MySQL date format to strftime's.
func strftimeFormat(f texpr) (string, error) {
	if f.lit == nil {
		return "", errNotSupported("a date format that is not a constant string")
	}
	var b strings.Builder
	s := *f.lit
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '%' || i+1 == len(s) {
			b.WriteByte(c)
			continue
		}
		i++
		r, ok := mysqlDateFormat[s[i]]
		if !ok {
			if s[i] == 'D' || s[i] == 'X' || s[i] == 'x' {
				return "", errNotSupported("date format %%%c", s[i])
			}
			b.WriteByte(s[i]) // MySQL prints an unknown %c as c
			continue
		}
		b.WriteString(r)
	}
	return quoteString(b.String()), nil
}

var mysqlDateFormat = map[byte]string{
	'a': "%a", 'b': "%b", 'c': "%-m", 'd': "%d", 'e': "%-d", 'f': "%f", 'H': "%H", 'h': "%I",
	'I': "%I", 'i': "%M", 'j': "%j", 'k': "%-H", 'l': "%-I", 'M': "%B", 'm': "%m", 'p': "%p",
	'r': "%I:%M:%S %p", 'S': "%S", 's': "%S", 'T': "%H:%M:%S", 'U': "%U", 'u': "%W", 'V': "%V",
	'v': "%V", 'W': "%A", 'w': "%w", 'Y': "%Y", 'y': "%y", '%': "%%",
}

func (t *translator) funcArgs(exprs ast.SelectExprs) ([]texpr, bool, error) {
	var args []texpr
	star := false
	for _, se := range exprs {
		switch a := se.(type) {
		case *ast.StarExpr:
			star = true
		case *ast.AliasedExpr:
			v, err := t.expr(a.Expr)
			if err != nil {
				return nil, false, err
			}
			args = append(args, v)
		default:
			return nil, false, errNotSupported("argument %T", se)
		}
	}
	return args, star, nil
}

func (t *translator) funcExpr(f *ast.FuncExpr) (texpr, error) {
	if !f.Qualifier.IsEmpty() {
		return texpr{}, errNoFunction(f.Qualifier.String() + "." + f.Name.String())
	}
	name := f.Name.Lowered()
	// JSON_UNQUOTE(JSON_EXTRACT(x, p)) is x->>p.
	if name == "json_unquote" && len(f.Exprs) == 1 {
		if ae, ok := f.Exprs[0].(*ast.AliasedExpr); ok {
			if inner, ok := ae.Expr.(*ast.FuncExpr); ok && inner.Name.Lowered() == "json_extract" && len(inner.Exprs) == 2 {
				args, _, err := t.funcArgs(inner.Exprs)
				if err != nil {
					return texpr{}, err
				}
				return jsonExtract(args[0], args[1], true)
			}
		}
	}
	args, star, err := t.funcArgs(f.Exprs)
	if err != nil {
		return texpr{}, err
	}
	if name == "count" && f.Distinct && len(args) > 1 {
		// MySQL's COUNT(DISTINCT a, b) counts distinct rows without NULLs.
		var conds, vals []string
		for _, a := range args {
			conds = append(conds, a.sql+" IS NOT NULL")
			vals = append(vals, a.sql)
		}
		out := "count(DISTINCT CASE WHEN " + strings.Join(conds, " AND ") + " THEN row(" + strings.Join(vals, ", ") + ") END)"
		err := t.over(f, &out)
		return plain(out), err
	}
	if agg, ok := aggregates[name]; ok {
		var b strings.Builder
		b.WriteString(agg + "(")
		if f.Distinct {
			b.WriteString("DISTINCT ")
		}
		if star {
			if name != "count" {
				return texpr{}, errSyntax("%s(*) is not valid", name)
			}
			b.WriteString("*")
		}
		for i, a := range args {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(a.sql)
		}
		b.WriteString(")")
		out := b.String()
		if name == "json_arrayagg" || name == "json_objectagg" {
			return texpr{sql: out, typ: &duckType{Name: "JSON"}}, t.over(f, &out)
		}
		err := t.over(f, &out)
		return plain(out), err
	}
	if w, ok := windows[name]; ok {
		if f.Over == nil {
			return texpr{}, errSyntax("window function %s needs an OVER clause", name)
		}
		out := call(w, args...).sql
		err := t.over(f, &out)
		return plain(out), err
	}
	if star {
		return texpr{}, errSyntax("%s(*) is not valid", name)
	}
	if f.Distinct || f.Over != nil {
		return texpr{}, errSyntax("%s is not an aggregate function", name)
	}
	tr, ok := functions[name]
	if !ok {
		return texpr{}, errNoFunction(f.Name.String())
	}
	return tr(t, args)
}

func (t *translator) over(f *ast.FuncExpr, out *string) error {
	if f.Over == nil {
		return nil
	}
	if f.Over.NameRef.String() != "" && len(f.Over.PartitionBy) == 0 && len(f.Over.OrderBy) == 0 && f.Over.Frame == nil {
		*out += " OVER " + quoteIdent(f.Over.NameRef.String())
		return nil
	}
	def, err := t.windowDef(f.Over)
	if err != nil {
		return err
	}
	*out += " OVER (" + def + ")"
	return nil
}

func (t *translator) windowDef(w *ast.Over) (string, error) {
	var parts []string
	if n := w.NameRef.String(); n != "" {
		parts = append(parts, quoteIdent(n))
	}
	if len(w.PartitionBy) > 0 {
		ps, err := t.exprList(w.PartitionBy)
		if err != nil {
			return "", err
		}
		parts = append(parts, "PARTITION BY "+strings.Join(ps, ", "))
	}
	if len(w.OrderBy) > 0 {
		o, err := t.orderBy(w.OrderBy)
		if err != nil {
			return "", err
		}
		parts = append(parts, strings.TrimSpace(o))
	}
	if w.Frame != nil {
		unit := "RANGE"
		if w.Frame.Unit == ast.RowsUnit {
			unit = "ROWS"
		}
		if w.Frame.Extent == nil || w.Frame.Extent.Start == nil {
			return "", errSyntax("window frame without bounds")
		}
		start, err := t.frameBound(w.Frame.Extent.Start)
		if err != nil {
			return "", err
		}
		if w.Frame.Extent.End == nil {
			parts = append(parts, unit+" "+start)
		} else {
			end, err := t.frameBound(w.Frame.Extent.End)
			if err != nil {
				return "", err
			}
			parts = append(parts, unit+" BETWEEN "+start+" AND "+end)
		}
	}
	return strings.Join(parts, " "), nil
}

func (t *translator) frameBound(b *ast.FrameBound) (string, error) {
	switch b.Type {
	case ast.CurrentRow:
		return "CURRENT ROW", nil
	case ast.UnboundedPreceding:
		return "UNBOUNDED PRECEDING", nil
	case ast.UnboundedFollowing:
		return "UNBOUNDED FOLLOWING", nil
	case ast.ExprPreceding, ast.ExprFollowing:
		e, err := t.expr(b.Expr)
		if err != nil {
			return "", err
		}
		if b.Type == ast.ExprPreceding {
			return e.sql + " PRECEDING", nil
		}
		return e.sql + " FOLLOWING", nil
	}
	return "", errSyntax("bad window frame bound")
}

func (t *translator) groupConcat(g *ast.GroupConcatExpr) (texpr, error) {
	args, star, err := t.funcArgs(g.Exprs)
	if err != nil {
		return texpr{}, err
	}
	if star || len(args) == 0 {
		return texpr{}, errSyntax("GROUP_CONCAT needs expressions")
	}
	parts := make([]string, len(args))
	for i, a := range args {
		parts[i] = "CAST(" + strArg(a) + " AS VARCHAR)"
	}
	val := strings.Join(parts, " || ")
	sep := ","
	if !g.Separator.DefaultSeparator || g.Separator.SeparatorString != "" {
		sep = g.Separator.SeparatorString
	}
	distinct := strings.TrimSpace(g.Distinct) != ""
	if distinct && len(g.OrderBy) > 0 {
		// DuckDB orders a DISTINCT aggregate only by its argument: sort the
		// distinct values instead (ordering by the value itself only).
		if len(args) != 1 || len(g.OrderBy) != 1 {
			return texpr{}, errNotSupported("GROUP_CONCAT(DISTINCT ... ORDER BY ...) with more than one expression")
		}
		o, err := t.expr(g.OrderBy[0].Expr)
		if err != nil {
			return texpr{}, err
		}
		if o.sql != args[0].sql {
			return texpr{}, errNotSupported("GROUP_CONCAT(DISTINCT x ORDER BY y) with y other than x")
		}
		dir := "'ASC'"
		if strings.EqualFold(g.OrderBy[0].Direction, ast.DescScr) {
			dir = "'DESC'"
		}
		return plain("array_to_string(list_sort(list_distinct(list(" + args[0].sql + ")), " + dir + "), " + quoteString(sep) + ")"), nil
	}
	var b strings.Builder
	b.WriteString("string_agg(")
	if distinct {
		b.WriteString("DISTINCT ")
	}
	b.WriteString(val + ", " + quoteString(sep))
	if len(g.OrderBy) > 0 {
		o, err := t.orderBy(g.OrderBy)
		if err != nil {
			return texpr{}, err
		}
		b.WriteString(o)
	}
	b.WriteString(")")
	return plain(b.String()), nil
}

// convert translates CAST(x AS type) and CONVERT(x, type). Like MySQL, a
// value that does not convert becomes NULL rather than failing the query.
func convert(in texpr, ct *ast.ConvertType) (texpr, error) {
	if ct == nil {
		return texpr{}, errSyntax("CAST without a type")
	}
	typ := strings.ToLower(strings.TrimSpace(ct.Type))
	arg := func(v *ast.SQLVal) (int, bool) {
		if v == nil {
			return 0, false
		}
		n, err := strconv.Atoi(string(v.Val))
		return n, err == nil
	}
	cast := func(to string) texpr {
		dt, _ := parseDuckType(to)
		return texpr{sql: "TRY_CAST(" + strArg(in) + " AS " + to + ")", typ: dt}
	}
	// MySQL reads the leading integer of a string and 0 when there is none.
	integer := func(to string) texpr {
		v := strArg(in)
		prefix := "TRY_CAST(regexp_extract(CAST(" + v + " AS VARCHAR), '^\\s*([-+]?[0-9]+)', 1) AS " + to + ")"
		return texpr{sql: "CASE WHEN " + v + " IS NULL THEN NULL ELSE coalesce(TRY_CAST(" + v + " AS " + to + "), " + prefix + ", 0) END",
			typ: &duckType{Name: to}}
	}
	switch typ {
	case "signed", "signed integer", "integer", "int", "bigint":
		return integer("BIGINT"), nil
	case "unsigned", "unsigned integer":
		return integer("UBIGINT"), nil
	case "char", "nchar", "varchar", "text":
		out := texpr{sql: "CAST(" + strArg(in) + " AS VARCHAR)", typ: &duckType{Name: "VARCHAR"}}
		if n, ok := arg(ct.Length); ok {
			out.sql = "left(" + out.sql + ", " + strconv.Itoa(n) + ")"
		}
		return out, nil
	case "binary":
		return texpr{sql: "CAST(CAST(" + strArg(in) + " AS VARCHAR) AS BLOB)", typ: &duckType{Name: "BLOB"}}, nil
	case "date":
		return texpr{sql: asDate(in), typ: &duckType{Name: "DATE"}}, nil
	case "datetime", "timestamp":
		return texpr{sql: asTimestamp(in), typ: &duckType{Name: "TIMESTAMP"}}, nil
	case "time":
		return texpr{sql: "TRY_CAST(" + strArg(in) + " AS TIME)", typ: &duckType{Name: "TIME"}}, nil
	case "year":
		return texpr{sql: "year(" + asTimestamp(in) + ")", typ: &duckType{Name: "INTEGER"}}, nil
	case "decimal", "numeric", "dec":
		w, ok := arg(ct.Length)
		if !ok {
			w = 10
		}
		s, _ := arg(ct.Scale)
		if w < 1 || w > 38 || s < 0 || s > w {
			return texpr{}, errNotSupported("DECIMAL(%d,%d) (DuckDB allows a precision up to 38)", w, s)
		}
		return cast("DECIMAL(" + strconv.Itoa(w) + "," + strconv.Itoa(s) + ")"), nil
	case "double", "real", "double precision":
		return cast("DOUBLE"), nil
	case "float":
		return cast("FLOAT"), nil
	case "json":
		if in.typ != nil && in.typ.nested() {
			if in.typ.Name == "JSON" {
				return in, nil
			}
			return texpr{sql: "to_json(" + in.sql + ")", typ: &duckType{Name: "JSON"}}, nil
		}
		return texpr{sql: "TRY_CAST(" + in.sql + " AS JSON)", typ: &duckType{Name: "JSON"}}, nil
	}
	return texpr{}, errNotSupported("CAST AS %s", ct.Type)
}
