package sqlserver

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// goDriverRows runs q with go-sql-driver/mysql. With prepared set the
// query goes through COM_STMT_PREPARE/EXECUTE (binary protocol).
func goDriverRows(db *sql.DB, q string, prepared bool) result {
	var rows *sql.Rows
	var err error
	if prepared {
		var st *sql.Stmt
		st, err = db.Prepare(q)
		if err == nil {
			defer st.Close()
			rows, err = st.Query()
		}
	} else {
		rows, err = db.Query(q)
	}
	if err != nil {
		return result{err: err, errCode: mysqlCode(err)}
	}
	defer rows.Close()
	var res result
	res.columns, _ = rows.Columns()
	for rows.Next() {
		vals := make([]sql.NullString, len(res.columns))
		ptrs := make([]any, len(vals))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return result{err: err, errCode: mysqlCode(err)}
		}
		row := make([]string, len(vals))
		for i, v := range vals {
			if v.Valid {
				row[i] = v.String
			} else {
				row[i] = "NULL"
			}
		}
		res.rows = append(res.rows, row)
	}
	if err := rows.Err(); err != nil {
		return result{err: err, errCode: mysqlCode(err)}
	}
	return res
}

func TestCasesGoDriverText(t *testing.T) {
	ts := startServer(t, nil)
	db := ts.open(t, "AKIDALICE", "s1")
	for _, c := range loadCases(t) {
		t.Run(c.name, func(t *testing.T) { c.check(t, ts.s1.db, goDriverRows(db, c.query, false)) })
	}
}

func TestCasesGoDriverPrepared(t *testing.T) {
	ts := startServer(t, nil)
	db := ts.open(t, "AKIDALICE", "s1")
	for _, c := range loadCases(t) {
		t.Run(c.name, func(t *testing.T) { c.check(t, ts.s1.db, goDriverRows(db, c.query, true)) })
	}
}

func TestPreparedParameters(t *testing.T) {
	ts := startServer(t, nil)
	db := ts.open(t, "AKIDALICE", "s1")
	var want, got int
	if err := ts.s1.db.QueryRow("SELECT count(*) FROM patient WHERE gender = 'female' AND birthDate < '1990'").Scan(&want); err != nil {
		t.Fatal(err)
	}
	// go-sql-driver sends arguments as COM_STMT_EXECUTE parameters.
	if err := db.QueryRow("SELECT COUNT(*) FROM patient WHERE gender = ? AND birthDate < ?", "female", "1990").Scan(&got); err != nil {
		t.Fatal(err)
	}
	if got != want || want == 0 {
		t.Fatalf("count = %d, want %d", got, want)
	}
	// A parameter cannot inject SQL: it is a value.
	if err := db.QueryRow("SELECT COUNT(*) FROM patient WHERE gender = ?", "x' OR '1'='1").Scan(&got); err != nil || got != 0 {
		t.Fatalf("injection through a parameter: %d, %v", got, err)
	}
}

// TestCasesMySQLCLI runs the cases through the mysql command-line client
// (Debian mariadb-client).
func TestCasesMySQLCLI(t *testing.T) {
	bin, err := exec.LookPath("mysql")
	if err != nil {
		t.Skip("mysql client not installed (apt-get install mariadb-client)")
	}
	ts := startServer(t, nil)
	host, port, _ := strings.Cut(ts.addr, ":")
	for _, c := range loadCases(t) {
		t.Run(c.name, func(t *testing.T) {
			cmd := exec.Command(bin, "-h", host, "-P", port, "-u", "AKIDALICE", "-palice-secret",
				"-D", "s1", "--protocol=tcp", "--batch", "--raw", "--no-auto-rehash", "-e", c.query)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			var res result
			if err := cmd.Run(); err != nil {
				res.err = err
				// ERROR 1146 (42S02) at line 1: ...
				msg := stderr.String()
				if m := cliErrorRE.FindStringSubmatch(msg); m != nil {
					n, _ := strconv.Atoi(m[1])
					res.errCode = uint16(n)
				}
				res.err = &cliError{msg}
			} else {
				lines := strings.Split(strings.TrimSuffix(stdout.String(), "\n"), "\n")
				res.columns = strings.Split(lines[0], "\t")
				for _, l := range lines[1:] {
					res.rows = append(res.rows, strings.Split(l, "\t"))
				}
			}
			c.check(t, ts.s1.db, res)
		})
	}
}

var cliErrorRE = regexp.MustCompile(`(?m)^ERROR (\d+) \(`)

type cliError struct{ msg string }

func (e *cliError) Error() string { return e.msg }

// TestCasesMySQL2 runs the cases through the npm mysql2 driver, both its
// query() (text) and execute() (prepared) paths.
func TestCasesMySQL2(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not installed")
	}
	dir, _ := filepath.Abs("testdata/mysql2")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "mysql2")); err != nil {
		t.Skip("mysql2 not installed: run npm ci in sqlserver/testdata/mysql2")
	}
	ts := startServer(t, nil)
	host, port, _ := strings.Cut(ts.addr, ":")
	cases := loadCases(t)
	var queries []string
	for _, c := range cases {
		queries = append(queries, c.query)
	}
	in, _ := json.Marshal(map[string]any{"host": host, "port": port, "user": "AKIDALICE",
		"password": "alice-secret", "database": "s1", "queries": queries})
	cmd := exec.Command(node, filepath.Join(dir, "run.js"))
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("mysql2 runner: %v\n%s", err, stderr.String())
	}
	var got []struct {
		Mode    string     `json:"mode"`
		Columns []string   `json:"columns"`
		Rows    [][]string `json:"rows"`
		Errno   uint16     `json:"errno"`
		Error   string     `json:"error"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("runner output: %v", err)
	}
	if len(got) != 2*len(cases) {
		t.Fatalf("runner gave %d results for %d cases", len(got), len(cases))
	}
	for i, c := range cases {
		for _, g := range got[2*i : 2*i+2] {
			t.Run(g.Mode+"/"+c.name, func(t *testing.T) {
				res := result{columns: g.Columns, rows: g.Rows, errCode: g.Errno}
				if g.Error != "" {
					res.err = &cliError{g.Error}
				}
				c.check(t, ts.s1.db, res)
			})
		}
	}
}

func TestPreparedParameterInSelectList(t *testing.T) {
	ts := startServer(t, nil)
	db := ts.open(t, "AKIDALICE", "s1")
	var v, id string
	if err := db.QueryRow("SELECT ?, id FROM patient ORDER BY id LIMIT 1", "x").Scan(&v, &id); err != nil || v != "x" || id == "" {
		t.Fatalf("SELECT ?: %q %q %v", v, id, err)
	}
}
