package sqlserver

import (
	"context"
	"testing"

	ast "github.com/dolthub/vitess/go/vt/sqlparser"

	"github.com/fhirlake/fhirlake/sqlserver/gmsbaseline"
)

// BenchmarkTranslate measures parsing and translating the population
// queries (the per-query overhead sqlserver adds before DuckDB runs).
func BenchmarkTranslate(b *testing.B) {
	st := newTestStore(b, "s1", "demo", false)
	schema, err := loadSchema(context.Background(), st.db)
	if err != nil {
		b.Fatal(err)
	}
	qs := PopulationQueries()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		q := qs[i%len(qs)]
		stmt, err := ast.Parse(q.SQL)
		if err != nil {
			b.Fatal(err)
		}
		tr := &translator{schema: schema, dbName: "s1", isDB: func(string) bool { return true }}
		if _, err := tr.statement(stmt.(ast.SelectStatement)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPopulation runs each population query three ways on the test
// fixture: over the MySQL wire (go-sql-driver), the translated SQL directly
// in DuckDB, and GMS's row engine on the same rows. The lead's benchmark
// runs the same on >= 1M resources.
func BenchmarkPopulation(b *testing.B) {
	ts := startServer(b, nil)
	db := ts.open(b, "AKIDALICE", "s1")
	ctx := context.Background()
	base, err := gmsbaseline.Load(ctx, ts.s1.db, "s1", nil)
	if err != nil {
		b.Fatal(err)
	}
	for _, q := range PopulationQueries() {
		duckSQL, err := Translate(ctx, ts.s1, q.SQL)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(q.Name+"/wire", func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if r := goDriverRows(db, q.SQL, false); r.err != nil {
					b.Fatal(r.err)
				}
			}
		})
		b.Run(q.Name+"/duckdb", func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				rows, err := ts.s1.db.QueryContext(ctx, duckSQL)
				if err != nil {
					b.Fatal(err)
				}
				for rows.Next() {
				}
				rows.Close()
			}
		})
		b.Run(q.Name+"/gms", func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if _, _, err := base.Query(ctx, q.SQL); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkWireScan streams a whole table with nested columns (JSON text)
// to a client: the per-row cost of the wire path.
func BenchmarkWireScan(b *testing.B) {
	ts := startServer(b, nil)
	db := ts.open(b, "AKIDALICE", "s1")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if r := goDriverRows(db, "SELECT * FROM observation", false); r.err != nil || len(r.rows) != 1793 {
			b.Fatal(r.err, len(r.rows))
		}
	}
	b.ReportMetric(float64(b.N*1793)/b.Elapsed().Seconds(), "rows/s")
}
