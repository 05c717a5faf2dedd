package views

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/fhirlake/fhirlake/engine"
	"github.com/fhirlake/fhirlake/fhirflat"
)

// Formats of $viewdefinition-run.
var Formats = map[string]string{
	"json":    "application/json",
	"ndjson":  "application/x-ndjson",
	"csv":     "text/csv",
	"parquet": "application/vnd.apache.parquet",
}

// RunStored runs a view over the store's data and writes its rows. limit
// 0 means all rows.
func RunStored(ctx context.Context, st *engine.Store, p *Prepared, format string, limit int, w io.Writer) error {
	if p.SQL == nil {
		return &Error{fmt.Sprintf("the ViewDefinition has no SQL form, so it cannot run over stored data: %v", p.SQLErr)}
	}
	if err := st.Sync(ctx); err != nil {
		return err
	}
	schema, err := st.Builder().Schema(p.View.Resource)
	if err != nil {
		return err
	}
	if err := st.EnsureColumns(ctx, p.View.Resource, fhirflat.Need(schema, p.SQL.Fields)); err != nil {
		return err
	}
	query := p.SQL.SQL
	if limit > 0 {
		query = fmt.Sprintf("SELECT * FROM (%s) LIMIT %d", query, limit)
	}
	if err := checkBinds(ctx, st, query); fhirflat.MissingField(err) {
		// the SQL reads further into a STRUCT than the lean columns hold
		if err := st.EnsureColumns(ctx, p.View.Resource, fhirflat.NeedAll(schema, p.SQL.AllFields)); err != nil {
			return err
		}
	}
	return writeQuery(ctx, st, query, format, w)
}

// RunInline runs a view over resources given with the request (decoded
// JSON), with the Go evaluator.
func RunInline(ctx context.Context, st *engine.Store, p *Prepared, resources []map[string]any, format string, limit int, w io.Writer) error {
	cols := p.View.Columns()
	var rows [][]any
	for _, r := range resources {
		if rt, _ := r["resourceType"].(string); rt != p.View.Resource {
			continue
		}
		rs, err := p.View.Rows(r)
		if err != nil {
			return &Error{err.Error()}
		}
		rows = append(rows, rs...)
		if limit > 0 && len(rows) >= limit {
			rows = rows[:limit]
			break
		}
	}
	switch format {
	case "json", "ndjson":
		bw := bufio.NewWriter(w)
		if format == "json" {
			bw.WriteByte('[')
		}
		for i, row := range rows {
			obj := map[string]any{}
			for j, c := range cols {
				obj[c.Name] = row[j]
			}
			b, err := json.Marshal(obj)
			if err != nil {
				return err
			}
			if i > 0 && format == "json" {
				bw.WriteByte(',')
			}
			bw.Write(b)
			if format == "ndjson" {
				bw.WriteByte('\n')
			}
		}
		if format == "json" {
			bw.WriteByte(']')
		}
		return bw.Flush()
	case "csv":
		cw := csv.NewWriter(w)
		head := make([]string, len(cols))
		for i, c := range cols {
			head[i] = c.Name
		}
		cw.Write(head)
		for _, row := range rows {
			rec := make([]string, len(row))
			for i, v := range row {
				rec[i] = csvCell(v)
			}
			cw.Write(rec)
		}
		cw.Flush()
		return cw.Error()
	case "parquet":
		// the rows go through DuckDB, which writes Parquet
		tmp := filepath.Join(st.StagingDir(), fmt.Sprintf("view-%d.ndjson", time.Now().UnixNano()))
		f, err := os.Create(tmp)
		if err != nil {
			return err
		}
		defer os.Remove(tmp)
		var buf strings.Builder
		if err := RunInline(ctx, st, p, resources, "ndjson", limit, &buf); err != nil {
			f.Close()
			return err
		}
		f.WriteString(buf.String())
		f.Close()
		return writeQuery(ctx, st, fmt.Sprintf("SELECT * FROM read_json(%s, format = 'newline_delimited')", fhirflat.QuoteString(tmp)), "parquet", w)
	}
	return &Error{fmt.Sprintf("_format must be json, ndjson, csv or parquet, not %q", format)}
}

func csvCell(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case json.Number:
		return x.String()
	case bool, float64, int, int64:
		return fmt.Sprint(x)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// writeQuery writes a query's rows in a format: JSON through to_json,
// CSV and Parquet through DuckDB's COPY into the staging directory.
func writeQuery(ctx context.Context, st *engine.Store, query, format string, w io.Writer) error {
	switch format {
	case "json", "ndjson":
		rows, err := st.DB().QueryContext(ctx, "SELECT to_json(v)::VARCHAR FROM ("+query+") AS v")
		if err != nil {
			return fmt.Errorf("run view: %w", err)
		}
		defer rows.Close()
		bw := bufio.NewWriter(w)
		if format == "json" {
			bw.WriteByte('[')
		}
		first := true
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				return err
			}
			if format == "json" && !first {
				bw.WriteByte(',')
			}
			first = false
			bw.WriteString(s)
			if format == "ndjson" {
				bw.WriteByte('\n')
			}
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("run view: %w", err)
		}
		if format == "json" {
			bw.WriteByte(']')
		}
		return bw.Flush()
	case "csv", "parquet":
		tmp := filepath.Join(st.StagingDir(), fmt.Sprintf("view-%d.%s", time.Now().UnixNano(), format))
		defer os.Remove(tmp)
		opts := "FORMAT csv, HEADER true"
		if format == "parquet" {
			opts = "FORMAT parquet, COMPRESSION zstd"
		}
		if _, err := st.DB().ExecContext(ctx, fmt.Sprintf("COPY (%s) TO %s (%s)", query, fhirflat.QuoteString(tmp), opts)); err != nil {
			return fmt.Errorf("run view: %w", err)
		}
		f, err := os.Open(tmp)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = io.Copy(w, f)
		return err
	}
	return &Error{fmt.Sprintf("_format must be json, ndjson, csv or parquet, not %q", format)}
}

// checkBinds prepares query without running it: binding errors show
// before any output is written.
func checkBinds(ctx context.Context, st *engine.Store, query string) error {
	stmt, err := st.DB().PrepareContext(ctx, query)
	if err != nil {
		return err
	}
	return stmt.Close()
}
