package sqlserver

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/dolthub/vitess/go/mysql"
)

// HTTPResult is the JSON answer of the SQL HTTP endpoint.
type HTTPResult struct {
	Columns   []HTTPColumn `json:"columns"`
	Rows      [][]any      `json:"rows"`
	Truncated bool         `json:"truncated,omitempty"` // more rows than the limit
}

// HTTPColumn names a result column and its MySQL type.
type HTTPColumn struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// HTTPError is the JSON answer to a failed query: the MySQL error.
type HTTPError struct {
	Error struct {
		Code     int    `json:"code"`
		SQLState string `json:"sqlState"`
		Message  string `json:"message"`
	} `json:"error"`
}

// ServeQuery answers an HTTP request that carries one MySQL-dialect query
// (the request body, as text or as JSON {"query": "..."}) against a store:
// the SQL endpoint of the console and of `fhirlake query`, with the same
// translation and confinement as the MySQL protocol. The "limit" query
// parameter caps the rows returned (default 10,000).
func ServeQuery(w http.ResponseWriter, r *http.Request, st Store, timeout time.Duration) {
	limit := 10000
	if s := r.URL.Query().Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			writeHTTPError(w, http.StatusBadRequest, errSyntax("limit must be a positive number, not %q", s))
			return
		}
		limit = n
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		writeHTTPError(w, http.StatusBadRequest, errSyntax("could not read the query: %v", err))
		return
	}
	query := string(body)
	if strings.HasPrefix(strings.TrimSpace(query), "{") {
		var q struct {
			Query string `json:"query"`
		}
		if err := json.Unmarshal(body, &q); err != nil {
			writeHTTPError(w, http.StatusBadRequest, errSyntax("the body is neither SQL nor {\"query\": ...}: %v", err))
			return
		}
		query = q.Query
	}
	ctx := r.Context()
	if timeout > 0 {
		var cancel func()
		ctx, cancel = contextWithTimeout(ctx, timeout)
		defer cancel()
	}
	cols, rows, err := Execute(ctx, st, query)
	if err != nil {
		writeHTTPError(w, http.StatusBadRequest, err)
		return
	}
	defer rows.Close()
	res := HTTPResult{Rows: [][]any{}}
	for _, c := range cols {
		res.Columns = append(res.Columns, HTTPColumn{Name: c.Name, Type: c.MySQLType.String()})
	}
	for rows.Next() {
		if len(res.Rows) == limit {
			res.Truncated = true
			break
		}
		row := make([]any, len(cols))
		for i := range cols {
			text, ok, err := rows.Text(i)
			if err != nil {
				writeHTTPError(w, http.StatusInternalServerError, err)
				return
			}
			if !ok {
				continue
			}
			row[i] = jsonValue(text, cols[i])
		}
		res.Rows = append(res.Rows, row)
	}
	if err := rows.Err(); err != nil {
		writeHTTPError(w, http.StatusBadRequest, queryError(ctx, err))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(res)
}

// jsonValue gives a column's text as JSON: numbers as numbers, JSON as
// JSON, everything else as a string.
func jsonValue(text string, c Column) any {
	t := strings.ToUpper(c.MySQLType.String())
	switch {
	case strings.HasPrefix(t, "JSON"):
		if json.Valid([]byte(text)) {
			return json.RawMessage(text)
		}
	case strings.Contains(t, "INT"), strings.HasPrefix(t, "DOUBLE"), strings.HasPrefix(t, "FLOAT"), strings.HasPrefix(t, "DECIMAL"):
		if json.Valid([]byte(text)) {
			return json.Number(text)
		}
	}
	return text
}

func writeHTTPError(w http.ResponseWriter, status int, err error) {
	var out HTTPError
	var se *mysql.SQLError
	if errors.As(err, &se) {
		out.Error.Code, out.Error.SQLState, out.Error.Message = se.Num, se.State, se.Message
	} else {
		out.Error.Code, out.Error.SQLState, out.Error.Message = mysql.ERUnknownError, mysql.SSUnknownSQLState, err.Error()
		status = http.StatusInternalServerError
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(out)
}

func contextWithTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeoutCause(ctx, d, errTimeout)
}
