package sqlserver

import (
	"context"
	"fmt"
	"github.com/fhirlake/fhirlake/sqlserver/gmsbaseline"
	"os"
	"sort"
	"strconv"
	"testing"
	"time"
)

// scaleStore multiplies the fixture's rows n times (ids and patient
// references get a suffix per copy), for measurements on more data.
func scaleStore(tb testing.TB, st *testStore, n int) {
	tb.Helper()
	refs := map[string][]string{
		"patient": nil, "condition": {"subject"}, "observation": {"subject"}, "encounter": {"subject"},
		"medicationrequest": {"subject"}, "immunization": {"patient"},
	}
	for table, fields := range refs {
		repl := "t.id || '-' || r.n AS id"
		for _, f := range fields {
			repl += fmt.Sprintf(", struct_pack(reference := t.%s.reference || '-' || r.n, type := t.%s.type, display := t.%s.display) AS %s", f, f, f, f)
		}
		q := fmt.Sprintf(`CREATE TABLE big AS SELECT t.* REPLACE (%s) FROM %s t, range(%d) r(n);
			DELETE FROM %s; INSERT INTO %s SELECT * FROM big; DROP TABLE big`, repl, table, n, table, table)
		if _, err := st.db.Exec(q); err != nil {
			tb.Fatalf("scale %s: %v", table, err)
		}
	}
}

// BenchmarkPopulationScaled compares, per population query, the wire path
// with the translated SQL run directly in DuckDB on the fixture scaled
// SQLSERVER_BENCH_SCALE times (skipped when unset), and prints the median
// ratio. The lead's benchmark does the same on >= 1M generated resources.
func BenchmarkPopulationScaled(b *testing.B) {
	n, _ := strconv.Atoi(os.Getenv("SQLSERVER_BENCH_SCALE"))
	if n <= 0 {
		b.Skip("set SQLSERVER_BENCH_SCALE")
	}
	ts := startServer(b, nil)
	scaleStore(b, ts.s1, n)
	db := ts.open(b, "AKIDALICE", "s1")
	ctx := context.Background()
	var resources int
	if err := ts.s1.db.QueryRow(`SELECT (SELECT count(*) FROM patient) + (SELECT count(*) FROM observation) + (SELECT count(*) FROM encounter)
		+ (SELECT count(*) FROM condition) + (SELECT count(*) FROM medicationrequest) + (SELECT count(*) FROM immunization)`).Scan(&resources); err != nil {
		b.Fatal(err)
	}
	const runs = 9
	// medians times a and b, alternating runs so that both see the same
	// machine state.
	medians := func(a, b func()) (time.Duration, time.Duration) {
		var da, db []time.Duration
		for i := 0; i < runs; i++ {
			start := time.Now()
			a()
			da = append(da, time.Since(start))
			start = time.Now()
			b()
			db = append(db, time.Since(start))
		}
		sort.Slice(da, func(i, j int) bool { return da[i] < da[j] })
		sort.Slice(db, func(i, j int) bool { return db[i] < db[j] })
		return da[runs/2], db[runs/2]
	}
	// With SQLSERVER_BENCH_GMS set, the same queries also run in GMS's row
	// engine on the same rows (loading them takes a while).
	var base *gmsbaseline.Baseline
	if os.Getenv("SQLSERVER_BENCH_GMS") != "" {
		start := time.Now()
		var err error
		if base, err = gmsbaseline.Load(ctx, ts.s1.db, "s1", nil); err != nil {
			b.Fatal(err)
		}
		fmt.Fprintf(os.Stderr, "loaded into GMS in %v\n", time.Since(start))
	}
	var ratios, speedups []float64
	for _, q := range PopulationQueries() {
		duckSQL, err := Translate(ctx, ts.s1, q.SQL)
		if err != nil {
			b.Fatal(err)
		}
		wire, direct := medians(func() {
			if r := goDriverRows(db, q.SQL, false); r.err != nil {
				b.Fatal(r.err)
			}
		}, func() {
			rows, err := ts.s1.db.QueryContext(ctx, duckSQL)
			if err != nil {
				b.Fatal(err)
			}
			for rows.Next() {
			}
			rows.Close()
		})
		ratio := float64(wire) / float64(direct)
		ratios = append(ratios, ratio)
		if base != nil {
			start := time.Now()
			if _, _, err := base.Query(ctx, q.SQL); err != nil {
				b.Fatal(err)
			}
			g := time.Since(start)
			speedups = append(speedups, float64(g)/float64(wire))
			fmt.Fprintf(os.Stderr, "%-30s GMS row engine %8.1f ms  speed-up of the wire path %.1fx\n", q.Name, g.Seconds()*1000, float64(g)/float64(wire))
		}
		fmt.Fprintf(os.Stderr, "%-30s wire %8.1f ms  duckdb %8.1f ms  ratio %.2f\n", q.Name, wire.Seconds()*1000, direct.Seconds()*1000, ratio)
	}
	sort.Float64s(ratios)
	fmt.Fprintf(os.Stderr, "%d resources; median wire/duckdb ratio %.2f\n", resources, (ratios[4]+ratios[5])/2)
	if len(speedups) == len(ratios) {
		sort.Float64s(speedups)
		fmt.Fprintf(os.Stderr, "median speed-up over GMS's row engine %.1fx\n", (speedups[4]+speedups[5])/2)
	}
}
