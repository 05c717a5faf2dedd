package sqlserver

import (
	"context"
	"fmt"

	gms "github.com/dolthub/go-mysql-server/sql"
	ast "github.com/dolthub/vitess/go/vt/sqlparser"
)

// parseFirst parses the first statement of q (all of q unless multi) and
// returns it with the unparsed rest. The parser panics on some inputs
// (e.g. SELECT”); that becomes a syntax error instead of a dropped
// connection.
func parseFirst(ctx context.Context, q string, multi bool, opts ast.ParserOptions) (stmt ast.Statement, rest string, err error) {
	defer func() {
		if r := recover(); r != nil {
			stmt, rest, err = nil, "", fmt.Errorf("syntax error: the parser failed on this statement (%v)", r)
		}
	}()
	fixed := keepPatternEscapes(q)
	stmt, _, rest, err = gms.GlobalParser.ParseWithOptions(ctx, fixed, ';', multi, opts)
	if err != nil {
		return nil, "", err
	}
	if rest != "" && fixed != q {
		// The rest goes back to the wire layer: cut it from the original
		// text, which ends the same way.
		rest = q[len(q)-len(rest):]
	}
	return stmt, rest, nil
}
