package sqlserver

import (
	"fmt"
	gms "github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/vitess/go/mysql"
	"strings"

	ast "github.com/dolthub/vitess/go/vt/sqlparser"
)

// route says who answers a statement.
type route int

const (
	// routeGMS: go-mysql-server answers from the catalog and the session
	// (SHOW, DESCRIBE, USE, SET, SELECT @@version, information_schema).
	routeGMS route = iota
	// routeDuck: a query that reads a store's tables; translated and run by DuckDB.
	routeDuck
	// routeExplain: EXPLAIN of a data query, answered by DuckDB.
	routeExplain
)

// systemDBs are answered by GMS; they hold no data.
var systemDBs = map[string]bool{"information_schema": true, "mysql": true, "performance_schema": true, "sys": true}

// deniedFunctions are refused even where GMS evaluates the statement.
var deniedFunctions = map[string]bool{"load_file": true}

// plan is the routing decision for one statement.
type plan struct {
	route route
	// db is the database holding the data tables (routeDuck, routeExplain).
	db  string
	sel ast.SelectStatement
}

// amplifiers build strings far larger than their arguments. GMS evaluates
// them in the server's Go heap without a limit, so that one
// REPEAT('xxxxxxxx', 2000000000) could exhaust the process's memory; they
// are allowed only in data queries, where DuckDB bounds them.
var amplifiers = map[string]bool{"repeat": true, "lpad": true, "rpad": true, "space": true}

// classify decides who runs stmt, given the session's current database. It
// refuses writes, DDL and everything else that is not reading.
func classify(stmt ast.Statement, currentDB string, canon func(string) string) (plan, error) {
	p, err := classifyStatement(stmt, currentDB, canon)
	if err != nil || p.route != routeGMS {
		return p, err
	}
	var amp string
	_ = ast.Walk(func(node ast.SQLNode) (bool, error) {
		if f, ok := node.(*ast.FuncExpr); ok && amplifiers[f.Name.Lowered()] {
			amp = f.Name.String()
		}
		return true, nil
	}, stmt)
	if amp != "" {
		return plan{}, errNotSupported("%s outside a query on a data store's tables", strings.ToUpper(amp))
	}
	return p, nil
}

func classifyStatement(stmt ast.Statement, currentDB string, canon func(string) string) (plan, error) {
	switch s := stmt.(type) {
	case *ast.Select, *ast.SetOp, *ast.ParenSelect:
		return classifySelect(s.(ast.SelectStatement), currentDB, canon)
	case *ast.Explain:
		sel, ok := s.Statement.(ast.SelectStatement)
		if !ok {
			return plan{}, errNotSupported("EXPLAIN of this statement")
		}
		p, err := classifySelect(sel, currentDB, canon)
		if err != nil || p.route == routeGMS {
			return p, err
		}
		p.route = routeExplain
		return p, nil
	case *ast.Show, *ast.Use, *ast.Begin, *ast.Commit, *ast.Rollback:
		return plan{route: routeGMS}, nil
	case *ast.Set:
		for _, e := range s.Exprs {
			switch e.Scope {
			case ast.SetScope_Global, ast.SetScope_Persist, ast.SetScope_PersistOnly:
				return plan{}, errDenied("you need (at least one of) the SUPER or SYSTEM_VARIABLES_ADMIN privilege(s) for this operation: SET %s is not allowed", strings.ToUpper(string(e.Scope)))
			case ast.SetScope_None, ast.SetScope_Session:
				if err := checkSessionVariable(e); err != nil {
					return plan{}, err
				}
			}
		}
		return plan{route: routeGMS}, nil
	case *ast.Kill:
		return plan{route: routeGMS}, nil // the caller checks whose connection it is
	case *ast.Insert:
		return plan{}, errReadOnly("INSERT")
	case *ast.Update:
		return plan{}, errReadOnly("UPDATE")
	case *ast.Delete:
		return plan{}, errReadOnly("DELETE")
	case *ast.DDL, *ast.DBDDL, *ast.AlterTable:
		return plan{}, errReadOnly("DDL")
	case *ast.Load:
		return plan{}, errReadOnly("LOAD DATA")
	case *ast.Prepare, *ast.Execute, *ast.Deallocate:
		return plan{}, errNotSupported("SQL PREPARE/EXECUTE (use the binary protocol's prepared statements)")
	}
	name := statementName(stmt)
	for _, w := range []string{"CREATE", "DROP", "ALTER", "RENAME", "TRUNCATE", "GRANT", "REVOKE"} {
		if strings.HasPrefix(name, w) {
			return plan{}, errReadOnly(name)
		}
	}
	return plan{}, errNotSupported("this statement (%s)", name)
}

// checkSessionVariable refuses SET of names that are not MySQL system
// variables (DuckDB settings such as memory_limit among them) with MySQL's
// own error, before GMS sees them.
func checkSessionVariable(e *ast.SetVarExpr) error {
	if e.Name == nil {
		return nil
	}
	name := strings.ToLower(e.Name.Name.String())
	switch name {
	case "names", "charset", "character set", "character_set", ast.TransactionStr:
		return nil
	}
	if strings.HasPrefix(name, "@") {
		return nil
	}
	if _, _, ok := gms.SystemVariables.GetGlobal(name); !ok {
		return mysql.NewSQLError(mysql.ERUnknownSystemVariable, mysql.SSUnknownSQLState, "Unknown system variable '%s'", name)
	}
	return nil
}

func statementName(stmt ast.Statement) string {
	return strings.ToUpper(strings.TrimPrefix(fmt.Sprintf("%T", stmt), "*sqlparser."))
}

// classifySelect looks at every table a SELECT reads.
// canon maps a database name to the store it names (id or alias), so that
// two names of one store count as one.
func classifySelect(sel ast.SelectStatement, currentDB string, canon func(string) string) (plan, error) {
	ctes := map[string]bool{}
	var refs []ast.TableName
	var denied, tableFunc string
	var into *ast.Into
	_ = ast.Walk(func(node ast.SQLNode) (bool, error) {
		switch n := node.(type) {
		case *ast.With:
			if n != nil {
				for _, c := range n.Ctes {
					ctes[strings.ToLower(c.As.String())] = true
				}
			}
		case *ast.AliasedTableExpr:
			if tn, ok := n.Expr.(ast.TableName); ok {
				refs = append(refs, tn)
			}
		case *ast.TableFuncExpr:
			tableFunc = n.Name
		case *ast.FuncExpr:
			if deniedFunctions[n.Name.Lowered()] {
				denied = n.Name.String()
			}
		case *ast.Select:
			if n.Into != nil {
				into = n.Into
			}
		case *ast.SetOp:
			if n.Into != nil {
				into = n.Into
			}
		}
		return true, nil
	}, sel)
	if denied != "" {
		return plan{}, errNoFunction(denied)
	}
	if tableFunc != "" {
		return plan{}, errNotSupported("table functions (%s)", tableFunc)
	}
	if into != nil && (into.Outfile != "" || into.Dumpfile != "") {
		return plan{}, errDenied("SELECT ... INTO OUTFILE/DUMPFILE writes files and is not allowed")
	}
	var dataDB string
	system := false
	for _, r := range refs {
		db := r.DbQualifier.String()
		if db == "" {
			if ctes[strings.ToLower(r.Name.String())] {
				continue
			}
			if currentDB == "" {
				return plan{}, errNoDB()
			}
			db = currentDB
		}
		if systemDBs[strings.ToLower(db)] {
			system = true
			continue
		}
		if dataDB != "" && canon(dataDB) != canon(db) {
			return plan{}, errDenied("a query reads one data store: it names '%s' and '%s'", dataDB, db)
		}
		dataDB = db
	}
	switch {
	case dataDB == "":
		return plan{route: routeGMS}, nil
	case system:
		return plan{}, errNotSupported("a query that joins data tables with %s tables", "information_schema")
	case into != nil:
		return plan{}, errNotSupported("SELECT ... INTO over data tables")
	}
	return plan{route: routeDuck, db: dataDB, sel: sel}, nil
}
