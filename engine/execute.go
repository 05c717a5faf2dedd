package engine

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"
	"unsafe"

	bindings "github.com/duckdb/duckdb-go-bindings"
	duckdb "github.com/duckdb/duckdb-go/v2"
)

// execWaiting runs a statement as database/sql's ExecContext does, but
// its thread sleeps while DuckDB's other threads hold every task of the
// statement. duckdb-go executes with duckdb_execute_pending, whose loop
// asks for a task again at once (PendingQueryResult::ExecuteInternal): on
// two cores, that spinning took about 15% of an import's CPU samples,
// taken from the Go workers checking the next chunk. Here the thread
// sleeps 20 µs, doubling up to 1 ms, while no task is free. Measured with
// ingestbench 1M, eight alternating pairs: 28.6 CPU-s against 30.8 (mean),
// spin 1% of the samples instead of 15%
// (benchmarks/results/2026-11-27-amd-2core-ingest-scale.md).
//
// It returns the rows the statement changed. Errors of the execution are
// *duckdb.Error, as duckdb-go's.
func execWaiting(ctx context.Context, conn *sql.Conn, query string) (int64, error) {
	var changed int64
	err := conn.Raw(func(dc any) error {
		raw, err := rawConnection(dc)
		if err != nil {
			return err
		}
		changed, err = execPending(ctx, raw, query)
		return err
	})
	if errors.Is(err, errNoRawConnection) {
		// a duckdb-go that keeps its connection elsewhere: spin
		res, err := conn.ExecContext(ctx, query)
		if err != nil {
			return 0, err
		}
		return res.RowsAffected()
	}
	return changed, err
}

const minTaskWait, maxTaskWait = 20 * time.Microsecond, time.Millisecond

func execPending(ctx context.Context, raw bindings.Connection, query string) (int64, error) {
	var stmt bindings.PreparedStatement
	defer bindings.DestroyPrepare(&stmt)
	if bindings.Prepare(raw, query, &stmt) == bindings.StateError {
		msg := bindings.PrepareError(stmt)
		return 0, &duckdb.Error{Type: errorType(msg), Msg: msg}
	}
	var pending bindings.PendingResult
	defer bindings.DestroyPending(&pending)
	if bindings.PendingPrepared(stmt, &pending) == bindings.StateError {
		msg := bindings.PendingError(pending)
		return 0, &duckdb.Error{Type: errorType(msg), Msg: msg}
	}
	interrupted := false
	for wait := minTaskWait; ; {
		state := bindings.PendingExecuteTask(pending)
		if state == bindings.PendingStateResultReady {
			break
		}
		if state == bindings.PendingStateError {
			msg := bindings.PendingError(pending)
			return 0, errors.Join(ctx.Err(), &duckdb.Error{Type: errorType(msg), Msg: msg})
		}
		if ctx.Err() != nil && !interrupted {
			bindings.Interrupt(raw) // the next task ends in an error
			interrupted = true
		}
		if state == bindings.PendingStateNoTasksAvailable {
			time.Sleep(wait)
			wait = min(2*wait, maxTaskWait)
		} else {
			wait = minTaskWait
		}
	}
	var res bindings.Result
	defer bindings.DestroyResult(&res)
	if bindings.ExecutePending(pending, &res) == bindings.StateError {
		err := &duckdb.Error{Type: duckdb.ErrorType(bindings.ResultErrorType(&res)), Msg: bindings.ResultError(&res)}
		return 0, errors.Join(ctx.Err(), err)
	}
	return int64(bindings.RowsChanged(&res)), nil
}

// errorType is the type of a DuckDB error message ("Conversion Error:
// ..."), for the messages the C API gives without one; the types the
// engine tells apart, and a few more.
func errorType(msg string) duckdb.ErrorType {
	prefix, _, _ := strings.Cut(msg, ": ")
	switch prefix {
	case "Out of Memory Error":
		return duckdb.ErrorTypeOutOfMemory
	case "Conversion Error":
		return duckdb.ErrorTypeConversion
	case "Constraint Error":
		return duckdb.ErrorTypeConstraint
	case "Catalog Error":
		return duckdb.ErrorTypeCatalog
	case "Binder Error":
		return duckdb.ErrorTypeBinder
	case "Parser Error":
		return duckdb.ErrorTypeParser
	case "IO Error":
		return duckdb.ErrorTypeIO
	case "INTERRUPT Error":
		return duckdb.ErrorTypeInterrupt
	case "TransactionContext Error":
		return duckdb.ErrorTypeTransaction
	case "Invalid Input Error":
		return duckdb.ErrorTypeInvalidInput
	}
	return duckdb.ErrorTypeInvalid
}

var errNoRawConnection = errors.New("no C connection in duckdb-go's Conn")

// rawConnection is the C connection of a duckdb-go connection, which
// keeps it in an unexported field (TestRawConnection says whether the
// duckdb-go in go.mod still does).
func rawConnection(dc any) (bindings.Connection, error) {
	c, ok := dc.(*duckdb.Conn)
	if !ok {
		return bindings.Connection{}, fmt.Errorf("%w: %T", errNoRawConnection, dc)
	}
	f := reflect.ValueOf(c).Elem().FieldByName("conn")
	if !f.IsValid() || f.Type() != reflect.TypeFor[bindings.Connection]() {
		return bindings.Connection{}, errNoRawConnection
	}
	return *(*bindings.Connection)(unsafe.Pointer(f.UnsafeAddr())), nil
}
