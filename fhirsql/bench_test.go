package fhirsql

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/fhirlake/fhirlake/fhirflat"
	"github.com/fhirlake/fhirlake/fhirpath"
	"github.com/fhirlake/fhirlake/internal/fixtures"
	"github.com/fhirlake/fhirlake/r4"
)

// benchData is the 13-patient bulk export stored in DuckDB, and decoded
// for the Go runner.
type benchData struct {
	db   *sql.DB
	raws map[string][][]byte         // type → FHIR JSON
	docs map[string][]map[string]any // type → decoded
}

// loadBench stores the 13-patient bulk export n times (copies get ids
// with a -N suffix).
func loadBench(b *testing.B, n int) *benchData {
	b.Helper()
	bulk, err := fixtures.Bulk()
	if err != nil {
		b.Fatal(err)
	}
	d := &benchData{db: openDB(b), raws: map[string][][]byte{}}
	var all [][]byte
	for _, r := range bulk {
		all = append(all, r.JSON)
	}
	load(b, d.db, fhirflat.Default(), all)
	docs := decodeAll(b, all)
	d.docs = map[string][]map[string]any{}
	for rt, list := range docs {
		if n > 1 {
			tb := "main." + ident(fhirflat.TableName(rt))
			if _, err := d.db.Exec("INSERT INTO " + tb + " SELECT t.* REPLACE (t.id || '-' || r.i AS id) FROM " + tb + " AS t, range(1, " + strconv.Itoa(n) + ") AS r(i)"); err != nil {
				b.Fatal(err)
			}
		}
		for range n {
			d.docs[rt] = append(d.docs[rt], list...)
		}
	}
	for _, r := range bulk {
		for range n {
			d.raws[r.Type] = append(d.raws[r.Type], r.JSON)
		}
	}
	return d
}

// BenchmarkViews runs the test views over the 13-patient bulk export:
// sql reads the compiled view from DuckDB (rows scanned into Go values);
// sql-agg counts every column in DuckDB (no rows cross to Go); go runs
// View.Rows on decoded resources; go+decode also decodes the FHIR JSON,
// as the Go runner does for resources it reads.
func BenchmarkViews(b *testing.B) { benchViews(b, 1) }

// BenchmarkViewsX10 is BenchmarkViews over ten copies of the export.
func BenchmarkViewsX10(b *testing.B) { benchViews(b, 10) }

func benchViews(b *testing.B, n int) {
	d := loadBench(b, n)
	fb := fhirflat.Default()
	for _, v := range testViews(b) {
		if len(d.docs[v.Resource]) == 0 {
			continue // no such resources in the bulk export (Observation)
		}
		vs, err := CompileView(v, fb)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := d.db.Exec("CREATE OR REPLACE VIEW " + ident(vs.Name) + " AS " + vs.SQL); err != nil {
			b.Fatal(err)
		}
		b.Run(v.Name+"/sql", func(b *testing.B) {
			rows := 0
			for b.Loop() {
				n, err := scanAll(d.db, "SELECT * FROM "+ident(vs.Name))
				if err != nil {
					b.Fatal(err)
				}
				rows += n
			}
			b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
		})
		var counts []string
		for _, col := range vs.Columns {
			counts = append(counts, "count("+ident(col.Name)+")")
		}
		agg := "SELECT count(*), " + strings.Join(counts, ", ") + " FROM " + ident(vs.Name)
		b.Run(v.Name+"/sql-agg", func(b *testing.B) {
			rows := 0
			var total int
			dest := []any{&total}
			for range counts {
				dest = append(dest, new(int64))
			}
			for b.Loop() {
				if err := d.db.QueryRow(agg).Scan(dest...); err != nil {
					b.Fatal(err)
				}
				rows += total
			}
			b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
		})
		b.Run(v.Name+"/go", func(b *testing.B) {
			rows := 0
			for b.Loop() {
				for _, doc := range d.docs[v.Resource] {
					out, err := v.Rows(doc)
					if err != nil {
						b.Fatal(err)
					}
					rows += len(out)
				}
			}
			b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
		})
		b.Run(v.Name+"/go+decode", func(b *testing.B) {
			rows := 0
			for b.Loop() {
				for _, raw := range d.raws[v.Resource] {
					var doc map[string]any
					dec := json.NewDecoder(bytes.NewReader(raw))
					dec.UseNumber()
					if err := dec.Decode(&doc); err != nil {
						b.Fatal(err)
					}
					out, err := v.Rows(doc)
					if err != nil {
						b.Fatal(err)
					}
					rows += len(out)
				}
			}
			b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

// scanAll reads every row of a query into Go values and counts them.
func scanAll(db *sql.DB, q string) (int, error) {
	rows, err := db.Query(q)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return 0, err
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	n := 0
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return 0, err
		}
		n++
	}
	return n, rows.Err()
}

// BenchmarkSearchFilter is a search for the Procedures of one patient
// (Procedure?patient=Patient/x): the compiled expression of the patient
// parameter in a WHERE clause, against the Go evaluator filtering decoded
// resources.
func BenchmarkSearchFilter(b *testing.B) {
	d := loadBench(b, 1)
	const rt = "Procedure"
	p := r4.Load().SearchParam(rt, "patient")
	e := fhirpath.MustParse(p.ExpressionFor(rt))
	x, err := CompileCollection(e, rt, fhirflat.Default(), "r")
	if err != nil {
		b.Fatal(err)
	}
	part, ok := x.Single()
	if !ok || part.Type != "Reference" {
		b.Fatalf("patient parameter compiles to %+v", x)
	}
	var ref string
	if err := d.db.QueryRow("SELECT subject.reference FROM main.procedure LIMIT 1").Scan(&ref); err != nil {
		b.Fatal(err)
	}
	q := "SELECT r.id FROM main.procedure AS r WHERE list_contains(list_transform(" + part.SQL + ", lambda y: y.reference), ?)"
	var sqlIDs []string
	b.Run("sql", func(b *testing.B) {
		for b.Loop() {
			rows, err := d.db.Query(q, ref)
			if err != nil {
				b.Fatal(err)
			}
			sqlIDs = sqlIDs[:0]
			for rows.Next() {
				var id string
				if err := rows.Scan(&id); err != nil {
					b.Fatal(err)
				}
				sqlIDs = append(sqlIDs, id)
			}
			rows.Close()
		}
		b.ReportMetric(float64(len(d.docs[rt])*b.N)/b.Elapsed().Seconds(), "resources/s")
	})
	var goIDs []string
	ctx := &fhirpath.Context{Resolve: fhirpath.ReferenceStub}
	b.Run("go", func(b *testing.B) {
		for b.Loop() {
			goIDs = goIDs[:0]
			for _, doc := range d.docs[rt] {
				out, err := e.Evaluate(ctx, fhirpath.Collection{fhirpath.FromJSON(doc)})
				if err != nil {
					b.Fatal(err)
				}
				for _, v := range out {
					if m, ok := v.JSON().(map[string]any); ok && m["reference"] == ref {
						goIDs = append(goIDs, doc["id"].(string))
						break
					}
				}
			}
		}
		b.ReportMetric(float64(len(d.docs[rt])*b.N)/b.Elapsed().Seconds(), "resources/s")
	})
	slices.Sort(sqlIDs)
	slices.Sort(goIDs)
	if len(sqlIDs) == 0 || !slices.Equal(sqlIDs, goIDs) {
		b.Fatalf("SQL finds %d procedures, Go %d", len(sqlIDs), len(goIDs))
	}
}
