package sqlserver

import (
	"context"
	"strings"

	ast "github.com/dolthub/vitess/go/vt/sqlparser"
)

// Translate returns the DuckDB SQL that Execute would run for a query:
// what the benchmark runs "directly in DuckDB".
func Translate(ctx context.Context, st Store, query string) (string, error) {
	q, _, err := translateFor(ctx, st, query)
	return q, err
}

// Execute runs one MySQL-dialect query against a store, for the CLI and the
// console's HTTP endpoint: the same translation and confinement as over the
// wire. The caller closes the returned Rows. Statements other than queries
// (SHOW, SET, USE, writes) are refused: they belong to the MySQL protocol.
func Execute(ctx context.Context, st Store, query string) ([]Column, *Rows, error) {
	q, explain, err := translateFor(ctx, st, query)
	if err != nil {
		return nil, nil, err
	}
	rows, err := run(ctx, st.DB(), q, explain)
	if err != nil {
		return nil, nil, queryError(ctx, err)
	}
	return rows.Columns(), rows, nil
}

func translateFor(ctx context.Context, st Store, query string) (string, bool, error) {
	stmt, rest, err := parseFirst(ctx, query, true, ast.ParserOptions{})
	if err != nil {
		if err == ast.ErrEmpty {
			return "", false, errSyntax("Query was empty")
		}
		return "", false, errSyntax("%v", err)
	}
	if rest = strings.Trim(rest, " \t\r\n;"); rest != "" {
		return "", false, errSyntax("one statement at a time: unexpected %q", clip(rest, 40))
	}
	canon := func(name string) string {
		if name == st.ID() || (name != "" && strings.EqualFold(name, st.Name()) && aliasRE.MatchString(name)) {
			return st.ID()
		}
		return name
	}
	p, err := classify(stmt, st.ID(), canon)
	if err != nil {
		return "", false, err
	}
	switch p.route {
	case routeGMS:
		sel, ok := stmt.(ast.SelectStatement)
		if !ok {
			return "", false, errNotSupported("%s outside the MySQL protocol", statementName(stmt))
		}
		p = plan{route: routeDuck, db: st.ID(), sel: sel}
	default:
		if canon(p.db) != st.ID() {
			return "", false, errBadDB(p.db)
		}
	}
	if err := syncStore(ctx, st); err != nil {
		return "", false, queryError(ctx, err)
	}
	schema, err := loadSchema(ctx, st.DB())
	if err != nil {
		return "", false, queryError(ctx, err)
	}
	tr := &translator{
		schema: schema,
		dbName: st.ID(),
		isDB:   func(name string) bool { return canon(name) == st.ID() },
		sess:   sessionInfo{DB: st.ID(), Version: ServerVersion},
	}
	q, err := tr.statement(p.sel)
	if err != nil {
		return "", false, err
	}
	if p.route == routeExplain {
		q = "EXPLAIN " + q
	}
	return q, p.route == routeExplain, nil
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}
