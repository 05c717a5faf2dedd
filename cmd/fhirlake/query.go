package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/spf13/cobra"

	"github.com/fhirlake/fhirlake/sqlserver"
)

func queryCommand() *cobra.Command {
	var cf clientFlags
	var datastore string
	var limit int
	cmd := &cobra.Command{
		Use:   "query --datastore ID \"SQL\"",
		Short: "Run a MySQL-dialect SQL query against a data store of a running server",
		Long: `Run one SQL query (MySQL dialect, read-only, executed by DuckDB) against a
data store, through the server's SQL endpoint; the same SQL the MySQL
protocol accepts. --output table (default), csv or json.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if datastore == "" {
				return fmt.Errorf("--datastore is required")
			}
			res, err := runQuery(cmd.Context(), &cf, datastore, args[0], limit)
			if err != nil {
				return err
			}
			return printResult(cmd.OutOrStdout(), cf.output, res)
		},
	}
	cf.register(cmd)
	cmd.Flags().StringVar(&datastore, "datastore", "", "data store id (or name)")
	cmd.Flags().IntVar(&limit, "limit", 10000, "at most this many rows")
	return cmd
}

func runQuery(ctx context.Context, cf *clientFlags, datastore, query string, limit int) (*sqlserver.HTTPResult, error) {
	hc, err := cf.httpClient()
	if err != nil {
		return nil, err
	}
	creds, err := cf.credentials()
	if err != nil {
		return nil, err
	}
	u := strings.TrimRight(cf.endpoint, "/") + "/datastore/" + url.PathEscape(datastore) + "/sql?limit=" + fmt.Sprint(limit)
	body := []byte(query)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "text/plain; charset=utf-8")
	sum := sha256.Sum256(body)
	hash := hex.EncodeToString(sum[:])
	req.Header.Set("X-Amz-Content-Sha256", hash)
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hash, "healthlake", cf.region, time.Now()); err != nil {
		return nil, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		var e sqlserver.HTTPError
		if json.Unmarshal(out, &e) == nil && e.Error.Message != "" {
			return nil, fmt.Errorf("ERROR %d (%s): %s", e.Error.Code, e.Error.SQLState, e.Error.Message)
		}
		return nil, fmt.Errorf("HTTP %d: %s", resp.StatusCode, strings.TrimSpace(string(out)))
	}
	var res sqlserver.HTTPResult
	dec := json.NewDecoder(bytes.NewReader(out))
	dec.UseNumber()
	if err := dec.Decode(&res); err != nil {
		return nil, fmt.Errorf("reading the result: %w", err)
	}
	return &res, nil
}

func cell(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case string:
		return x
	case json.Number:
		return x.String()
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func printResult(w io.Writer, format string, res *sqlserver.HTTPResult) error {
	switch format {
	case "table", "":
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for i, c := range res.Columns {
			if i > 0 {
				fmt.Fprint(tw, "\t")
			}
			fmt.Fprint(tw, c.Name)
		}
		fmt.Fprintln(tw)
		for _, row := range res.Rows {
			for i, v := range row {
				if i > 0 {
					fmt.Fprint(tw, "\t")
				}
				fmt.Fprint(tw, strings.ReplaceAll(cell(v), "\t", " "))
			}
			fmt.Fprintln(tw)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		fmt.Fprintf(w, "(%d rows%s)\n", len(res.Rows), map[bool]string{true: ", truncated", false: ""}[res.Truncated])
		return nil
	case "csv":
		cw := csv.NewWriter(w)
		head := make([]string, len(res.Columns))
		for i, c := range res.Columns {
			head[i] = c.Name
		}
		cw.Write(head)
		for _, row := range res.Rows {
			rec := make([]string, len(row))
			for i, v := range row {
				if v != nil {
					rec[i] = cell(v)
				}
			}
			cw.Write(rec)
		}
		cw.Flush()
		return cw.Error()
	case "json":
		out := make([]map[string]any, 0, len(res.Rows))
		for _, row := range res.Rows {
			m := map[string]any{}
			for i, c := range res.Columns {
				m[c.Name] = row[i]
			}
			out = append(out, m)
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	return fmt.Errorf("--output must be table, csv or json, not %q", format)
}
