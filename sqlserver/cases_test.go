package sqlserver

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"math"
	"math/big"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/duckdb/duckdb-go/v2"
)

// queryCase is one case of testdata/cases.txt.
type queryCase struct {
	name    string
	query   string
	oracle  string     // DuckDB SQL giving the expected rows
	rows    [][]string // expected rows
	columns []string   // expected column names
	errCode uint16
	ordered bool
}

func loadCases(t testing.TB) []queryCase {
	t.Helper()
	f, err := os.Open("testdata/cases.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var cases []queryCase
	var cur *queryCase
	section := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "#") && cur == nil:
		case strings.HasPrefix(line, "=== "):
			cases = append(cases, queryCase{name: strings.TrimPrefix(line, "=== ")})
			cur, section = &cases[len(cases)-1], "query"
		case strings.HasPrefix(line, "--- "):
			f := strings.Fields(strings.TrimPrefix(line, "--- "))
			section = f[0]
			cur.ordered = len(f) > 1 && f[1] == "ordered"
			if section == "error" {
				n, err := strconv.Atoi(f[1])
				if err != nil {
					t.Fatalf("case %s: bad error code", cur.name)
				}
				cur.errCode = uint16(n)
			}
		case strings.TrimSpace(line) == "" || cur == nil:
		case section == "query":
			cur.query = strings.TrimSpace(cur.query + "\n" + line)
		case section == "duckdb":
			cur.oracle = strings.TrimSpace(cur.oracle + "\n" + line)
		case section == "rows":
			cur.rows = append(cur.rows, strings.Split(line, "\t"))
		case section == "columns":
			cur.columns = strings.Split(line, "\t")
		}
	}
	if len(cases) < 40 {
		t.Fatalf("only %d cases read", len(cases))
	}
	return cases
}

// result is what a client got: column names and rows as text.
type result struct {
	columns []string
	rows    [][]string
	errCode uint16
	err     error
}

// textOf formats a value read directly from DuckDB as MySQL text.
func textOf(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case *big.Int:
		return x.String()
	case duckdb.Decimal:
		return x.String()
	case time.Time:
		if x.Hour() == 0 && x.Minute() == 0 && x.Second() == 0 && x.Nanosecond() == 0 {
			return x.Format("2006-01-02")
		}
	}
	b, ok, err := appendValue(nil, v, 0)
	if err != nil || !ok {
		return fmt.Sprint(v)
	}
	return string(b)
}

func oracleRows(t testing.TB, db *sql.DB, q string) [][]string {
	t.Helper()
	rows, err := db.Query(q)
	if err != nil {
		t.Fatalf("oracle %q: %v", q, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out [][]string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		row := make([]string, len(vals))
		for i, v := range vals {
			row[i] = textOf(v)
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// sameCell compares two cells as text, numbers numerically, and
// datetimes with or without a zero time part.
func sameCell(a, b string) bool {
	if a == b {
		return true
	}
	fa, ea := strconv.ParseFloat(a, 64)
	fb, eb := strconv.ParseFloat(b, 64)
	if ea == nil && eb == nil {
		return math.Abs(fa-fb) <= 1e-9*math.Max(1, math.Abs(fa))
	}
	trim := func(s string) string {
		s = strings.TrimSuffix(s, ".000000")
		return strings.TrimSuffix(s, " 00:00:00")
	}
	return trim(a) == trim(b)
}

func sortRows(rows [][]string) {
	sort.Slice(rows, func(i, j int) bool {
		return strings.Join(rows[i], "\x00") < strings.Join(rows[j], "\x00")
	})
}

// check compares what a client got with the case's expectation.
func (c queryCase) check(t *testing.T, db *sql.DB, got result) {
	t.Helper()
	if c.errCode != 0 {
		if got.err == nil {
			t.Fatalf("got rows %v, want error %d", got.rows, c.errCode)
		}
		if got.errCode != c.errCode {
			t.Fatalf("got error %v (code %d), want code %d", got.err, got.errCode, c.errCode)
		}
		return
	}
	if got.err != nil {
		t.Fatalf("error: %v", got.err)
	}
	if c.columns != nil {
		if strings.Join(got.columns, "\t") != strings.Join(c.columns, "\t") {
			t.Fatalf("columns %q, want %q", got.columns, c.columns)
		}
		return
	}
	want := c.rows
	if c.oracle != "" {
		want = oracleRows(t, db, c.oracle)
	}
	have := got.rows
	if !c.ordered {
		sortRows(want)
		sortRows(have)
	}
	if len(want) == 0 && c.oracle != "" {
		t.Fatalf("oracle returned no rows: the case tests nothing")
	}
	if len(have) != len(want) {
		t.Fatalf("%d rows, want %d\ngot:  %v\nwant: %v", len(have), len(want), clipRows(have), clipRows(want))
	}
	for i := range want {
		if len(have[i]) != len(want[i]) {
			t.Fatalf("row %d has %d columns, want %d", i, len(have[i]), len(want[i]))
		}
		for j := range want[i] {
			if !sameCell(have[i][j], want[i][j]) {
				t.Fatalf("row %d column %d = %q, want %q\ngot:  %v\nwant: %v", i, j, have[i][j], want[i][j], clipRows(have), clipRows(want))
			}
		}
	}
}

func clipRows(r [][]string) [][]string {
	if len(r) > 5 {
		return r[:5]
	}
	return r
}

// TestCasesInProcess runs every case through Execute, the API the CLI and
// the console use.
func TestCasesInProcess(t *testing.T) {
	st := newTestStore(t, "s1", "demo", true)
	other := newTestStore(t, "s2", "other", false)
	_ = other
	for _, c := range loadCases(t) {
		t.Run(c.name, func(t *testing.T) {
			var got result
			cols, rows, err := Execute(context.Background(), st, c.query)
			if err != nil {
				got.err, got.errCode = err, sqlErrorCode(err)
			} else {
				defer rows.Close()
				for _, col := range cols {
					got.columns = append(got.columns, col.Name)
				}
				for rows.Next() {
					row := make([]string, len(cols))
					for i, v := range rows.Values() {
						row[i] = textOf(v)
					}
					got.rows = append(got.rows, row)
				}
				if err := rows.Err(); err != nil {
					got.err, got.errCode = err, sqlErrorCode(queryError(context.Background(), err))
				}
			}
			c.check(t, st.db, got)
		})
	}
}
