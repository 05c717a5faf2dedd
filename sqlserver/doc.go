// Package sqlserver serves the data stores over the MySQL wire protocol and
// runs MySQL-dialect queries on them with DuckDB.
//
// # Shape
//
//	client ──MySQL wire──▶ vitess listener (auth.go: access key id / secret)
//	                         │
//	                         ▼
//	               interceptor (intercept.go) ── parse (GMS's vitess parser)
//	                         │                    classify (route.go)
//	      ┌──────────────────┼───────────────────────────┐
//	      ▼                  ▼                           ▼
//	  refused            GMS handler                 data query
//	  (errors.go)   SHOW, DESCRIBE, USE, SET,     translate (translate*.go,
//	                @@vars, KILL, information_    jsonpath.go) → DuckDB SQL
//	                schema — from provider.go,    run + stream (execute.go)
//	                which mirrors DuckDB's        in the store's DuckDB,
//	                schema main (schema.go)       registered in GMS's process
//	                                              list (KILL QUERY), with
//	                                              timeout and memory guard
//
// go-mysql-server (GMS) owns the protocol, sessions, variables, SHOW and
// information_schema. Its tables (provider.go) carry schemas only; reading
// their rows fails, so GMS's row engine never executes an analytic query.
// Statements that read a store's tables are translated from the AST and run
// by DuckDB. Statements are classified before GMS sees them: writes, DDL,
// SET GLOBAL, INTO OUTFILE, LOAD_FILE and table functions are refused with
// MySQL error codes, queries joining two stores or a store with
// information_schema are refused.
//
// # Confinement
//
// Translation is the first lock: the output names only the store's tables
// and views in schema main (or the query's own CTEs and derived tables),
// calls only functions in the allow-list (translate_func.go), has no table
// functions, and quotes every identifier and literal. DuckDB then prepares
// the text and must report a SELECT before it runs (execute.go). The second
// lock is DuckDB's own configuration, which the engine owns: see
// DuckDBHardening. DuckDB has no per-query memory limit (memory_limit is per
// database instance), so Config.QueryMemory is enforced by sampling
// duckdb_memory() while a query runs (memory.go).
//
// # Types
//
// Result columns carry MySQL types derived from DuckDB's (mysqltype.go):
// VARCHAR is LONGTEXT (binary collation: comparisons are case-sensitive, as
// in DuckDB), BIGINT/INTEGER/DOUBLE/BOOLEAN/DECIMAL/DATE map to their MySQL
// counterparts, TIMESTAMP(TZ) is DATETIME(6) in UTC, and STRUCT, LIST, MAP
// and JSON are JSON text made by DuckDB's to_json.
//
// # Dialect notes
//
// CONDITION is a reserved word in MySQL: the condition table must be
// written `condition`. JSON paths over typed STRUCT/LIST columns become
// native field and element access (x->>'$.coding[0].code' is
// x.coding[1].code), so they cost no JSON work. SELECTs without tables
// (SELECT 1, SELECT @@version) are evaluated by GMS, with GMS's function
// semantics.
package sqlserver
