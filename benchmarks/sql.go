package main

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/fhirlake/fhirlake/server"
	"github.com/fhirlake/fhirlake/sqlserver"
	"github.com/fhirlake/fhirlake/sqlserver/gmsbaseline"
)

// duckStore is a data store's DuckDB as sqlserver.Translate needs it.
type duckStore struct {
	id string
	db *sql.DB
}

func (s duckStore) ID() string   { return s.id }
func (s duckStore) Name() string { return s.id }
func (s duckStore) DB() *sql.DB  { return s.db }

// timeQuery runs a query, reads every row and returns how long it took.
func timeQuery(ctx context.Context, db *sql.DB, query string) (time.Duration, error) {
	start := time.Now()
	rows, err := db.QueryContext(ctx, query)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	for rows.Next() {
	}
	return time.Since(start), rows.Err()
}

// medianOf durations.
func medianOf(d []time.Duration) time.Duration {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

// sqlRuns is how many times each query is timed on each path.
const sqlRuns = 9

// gmsTimeout bounds each query in go-mysql-server's row engine.
const gmsTimeout = 30 * time.Second

// benchSQL runs the ten population-health queries over the MySQL wire
// (go-sql-driver/mysql against the server), the same queries translated
// and run directly in DuckDB on the same file, and in go-mysql-server's own
// row engine over the same rows loaded into its memory backend.
func benchSQL(ctx context.Context, s *server.Server, datastore string, gms bool) (*Section, error) {
	cfg := mysql.NewConfig()
	cfg.User, cfg.Passwd = s.Credentials.AccessKeyID, s.Credentials.SecretAccessKey
	cfg.Net, cfg.Addr, cfg.DBName = "tcp", s.MySQLAddr, datastore
	wire, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		return nil, err
	}
	defer wire.Close()
	st, err := s.Engine.Store(ctx, datastore)
	if err != nil {
		return nil, err
	}
	store := duckStore{datastore, st.DB()}
	var base *gmsbaseline.Baseline
	var loadTime time.Duration
	if gms {
		start := time.Now()
		// the columns the ten queries read
		tables := map[string][]string{
			"patient":           {"id", "gender", "birthDate", "deceasedDateTime"},
			"condition":         {"id", "code", "subject"},
			"observation":       {"id", "code", "subject", "effectiveDateTime", "valueQuantity", "valueCodeableConcept", "component"},
			"encounter":         {"id", "class", "period", "subject"},
			"medicationrequest": {"id", "medicationCodeableConcept", "subject"},
			"immunization":      {"id", "patient", "occurrenceDateTime", "vaccineCode", "status"},
		}
		if base, err = gmsbaseline.Load(ctx, store.db, datastore, tables); err != nil {
			return nil, fmt.Errorf("load into go-mysql-server: %w", err)
		}
		loadTime = time.Since(start)
	}
	sec := &Section{
		Title: "SQL: ten population-health queries (MySQL wire vs DuckDB directly vs go-mysql-server's engine)",
		Setup: []string{
			"fhirlake: the MySQL-dialect text sent over the MySQL protocol by go-sql-driver/mysql on loopback, translated, run by DuckDB, every row read by the client",
			"baseline 1: the translated SQL run directly in DuckDB on the same database (database/sql, duckdb-go), every row read",
			fmt.Sprintf("each figure is the median of %d runs after one warm-up run, the two paths alternating", sqlRuns),
		},
	}
	if gms {
		sec.Setup = append(sec.Setup, fmt.Sprintf("baseline 2: the MySQL text in go-mysql-server's own row engine over the same rows in its memory backend (the columns the queries read, loaded in %.0f s; one run per query, cut at %v)", loadTime.Seconds(), gmsTimeout))
	}
	var ratios, speedups []float64
	for _, q := range sqlserver.PopulationQueries() {
		duckSQL, err := sqlserver.Translate(ctx, store, q.SQL)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", q.Name, err)
		}
		var w, d []time.Duration
		for i := range sqlRuns + 1 { // the first run of each path warms it up
			tw, err := timeQuery(ctx, wire, q.SQL)
			if err != nil {
				return nil, fmt.Errorf("%s over the wire: %w", q.Name, err)
			}
			td, err := timeQuery(ctx, store.db, duckSQL)
			if err != nil {
				return nil, fmt.Errorf("%s in DuckDB: %w", q.Name, err)
			}
			if i > 0 {
				w, d = append(w, tw), append(d, td)
			}
		}
		mw, md := medianOf(w), medianOf(d)
		ratios = append(ratios, float64(mw)/float64(md))
		sec.Results = append(sec.Results, Result{What: q.Name + ": wire vs DuckDB", Ours: ms(mw), Unit: "ms", Baseline: "DuckDB directly", Base: ms(md), Target: "ratio ≤ 1.3 (median)"})
		if base == nil {
			continue
		}
		gctx, cancel := context.WithTimeout(ctx, gmsTimeout)
		start := time.Now()
		_, _, err = base.Query(gctx, q.SQL)
		g := time.Since(start)
		cancel()
		switch {
		case err != nil && gctx.Err() != nil:
			sec.Notes = append(sec.Notes, fmt.Sprintf("%s: go-mysql-server's engine did not finish within %v; the speed-up below is a lower bound", q.Name, gmsTimeout))
		case err != nil:
			sec.Notes = append(sec.Notes, fmt.Sprintf("%s: go-mysql-server's engine failed: %v", q.Name, err))
			continue
		}
		speedups = append(speedups, float64(g)/float64(mw))
		sec.Results = append(sec.Results, Result{What: q.Name + ": wire vs go-mysql-server", Ours: ms(mw), Unit: "ms", Baseline: "go-mysql-server row engine", Base: ms(g)})
	}
	sort.Float64s(ratios)
	sec.Results = append(sec.Results, Result{What: "median ratio wire / DuckDB over the ten queries", Ours: median(ratios), Unit: "×", Target: "≤ 1.3"})
	if len(speedups) > 0 {
		sort.Float64s(speedups)
		sec.Results = append(sec.Results, Result{What: fmt.Sprintf("median speed-up over go-mysql-server's engine (%d queries)", len(speedups)), Ours: median(speedups), Unit: "×", HigherIsBetter: true})
	}
	return sec, nil
}

// median of sorted values.
func median(v []float64) float64 {
	n := len(v)
	if n%2 == 1 {
		return v[n/2]
	}
	return (v[n/2-1] + v[n/2]) / 2
}
