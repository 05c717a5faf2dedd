package sqlserver

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/dolthub/vitess/go/mysql"
)

// Errors are MySQL errors with the codes MySQL itself uses, so that clients
// and BI tools show and handle them as they would from MySQL.

func errReadOnly(what string) error {
	return mysql.NewSQLError(mysql.EROptionPreventsStatement, mysql.SSUnknownSQLState,
		"The MySQL server is running with the --read-only option so it cannot execute this statement (%s): fhirlake SQL is read-only", what)
}

func errNotSupported(format string, args ...any) error {
	return mysql.NewSQLError(mysql.ERNotSupportedYet, mysql.SSClientError,
		"This version of MySQL doesn't yet support '%s'", fmt.Sprintf(format, args...))
}

func errNoFunction(name string) error {
	return mysql.NewSQLError(mysql.ERSPDoesNotExist, mysql.SSClientError,
		"FUNCTION %s does not exist (fhirlake SQL allows only listed functions)", name)
}

func errNoTable(db, table string) error {
	return mysql.NewSQLError(mysql.ERNoSuchTable, mysql.SSUnknownTable, "Table '%s.%s' doesn't exist", db, table)
}

func errBadDB(db string) error {
	return mysql.NewSQLError(mysql.ERBadDb, mysql.SSClientError, "Unknown database '%s'", db)
}

func errNoDB() error {
	return mysql.NewSQLError(mysql.ERNoDb, mysql.SSNoDB, "No database selected")
}

func errDenied(format string, args ...any) error {
	return mysql.NewSQLError(mysql.ERSpecifiedAccessDenied, mysql.SSClientError,
		"Access denied; %s", fmt.Sprintf(format, args...))
}

func errSyntax(format string, args ...any) error {
	return mysql.NewSQLError(mysql.ERParseError, mysql.SSClientError, "%s", fmt.Sprintf(format, args...))
}

var (
	errInterrupted = mysql.NewSQLError(mysql.ERQueryInterrupted, mysql.SSQueryInterrupted, "Query execution was interrupted")
	errTimeout     = mysql.NewSQLError(mysql.ERQueryTimeout, mysql.SSUnknownSQLState,
		"Query execution was interrupted, maximum statement execution time exceeded")
)

// errMemory reports a query stopped for using more memory than allowed.
func errMemory(limit int64) error {
	return mysql.NewSQLError(mysql.EROutOfResources, mysql.SSUnknownSQLState,
		"Out of memory: the query used more than %d bytes and was stopped", limit)
}

// queryError turns an error from executing a query into a MySQL error,
// once, at the edge.
func queryError(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	var se *mysql.SQLError
	if errors.As(err, &se) {
		return se
	}
	switch cause := context.Cause(ctx); {
	case errors.Is(cause, errTimeout):
		return errTimeout
	case cause != nil && errors.As(cause, &se):
		return se
	case ctx.Err() != nil || errors.Is(err, context.Canceled) || strings.Contains(err.Error(), "INTERRUPT"):
		return errInterrupted
	}
	msg := err.Error()
	if strings.Contains(msg, "Out of Memory") {
		return mysql.NewSQLError(mysql.EROutOfResources, mysql.SSUnknownSQLState, "Out of memory: %s", msg)
	}
	return mysql.NewSQLError(mysql.ERUnknownError, mysql.SSUnknownSQLState, "%s", msg)
}

// sqlErrorCode is the MySQL error number of err, or 0.
func sqlErrorCode(err error) uint16 {
	var se *mysql.SQLError
	if errors.As(err, &se) {
		return uint16(se.Number())
	}
	return 0
}
