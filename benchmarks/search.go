package main

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/fhirlake/fhirlake/server"
)

// obsQuery is one patient-scoped Observation search: a patient, a code
// the patient has, and a lower date bound.
type obsQuery struct {
	patient, code, since string
}

// sampleObsQueries picks up to n distinct (patient, code) pairs from the
// dataset's Observations, spread over the file, each with the date of its
// Observation minus five years as the lower bound.
func sampleObsQueries(ds *dataset, n int) ([]obsQuery, error) {
	f, err := os.Open(filepath.Join(ds.Dir, "Observation.ndjson"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	total := ds.ByType["Observation"]
	step := max(1, total/n)
	seen := map[obsQuery]bool{}
	var out []obsQuery
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 256<<20)
	for i := 0; sc.Scan() && len(out) < n; i++ {
		if i%step != 0 {
			continue
		}
		var o struct {
			Subject struct{ Reference string }
			Code    struct{ Coding []struct{ Code string } }
			Date    string `json:"effectiveDateTime"`
		}
		if err := json.Unmarshal(sc.Bytes(), &o); err != nil || len(o.Code.Coding) == 0 || len(o.Date) < 4 {
			continue
		}
		year := 0
		fmt.Sscanf(o.Date[:4], "%d", &year)
		q := obsQuery{strings.TrimPrefix(o.Subject.Reference, "Patient/"), o.Code.Coding[0].Code, fmt.Sprintf("%04d-01-01", year-5)}
		if !seen[q] {
			seen[q] = true
			out = append(out, q)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no Observations with subject, code and date in the dataset")
	}
	return out, sc.Err()
}

// benchSearch measures a patient-scoped search and counting searches over
// HTTPS, beside the same filters written by hand in SQL and run directly
// in DuckDB on the store's tables.
func benchSearch(ctx context.Context, s *server.Server, datastore string, ds *dataset, d time.Duration) (*Section, error) {
	c, err := newFHIRClient(s, datastore)
	if err != nil {
		return nil, err
	}
	qs, err := sampleObsQueries(ds, 500)
	if err != nil {
		return nil, err
	}
	st, err := s.Engine.Store(ctx, datastore)
	if err != nil {
		return nil, err
	}
	db := st.DB()
	var hits []int
	search := func(ctx context.Context, w, i int) error {
		q := qs[i%len(qs)]
		path := "Observation?patient=" + url.QueryEscape(q.patient) + "&code=" + url.QueryEscape(q.code) + "&date=ge" + q.since
		code, body, err := c.do(ctx, "GET", path, nil)
		if err != nil {
			return err
		}
		if err := statusErr(code, body, 200); err != nil {
			return err
		}
		if i < len(qs) {
			var b struct{ Total int }
			if err := json.Unmarshal(body, &b); err != nil {
				return err
			}
			hits = append(hits, b.Total)
		}
		return nil
	}
	direct, err := db.PrepareContext(ctx, `SELECT id FROM observation
		WHERE subject.reference = ? AND list_contains(list_transform(code.coding, c -> c.code), ?) AND effectiveDateTime >= ?
		ORDER BY id LIMIT 50`)
	if err != nil {
		return nil, fmt.Errorf("baseline query: %w", err)
	}
	defer direct.Close()
	baseline := func(ctx context.Context, w, i int) error {
		q := qs[i%len(qs)]
		rows, err := direct.QueryContext(ctx, "Patient/"+q.patient, q.code, q.since)
		if err != nil {
			return err
		}
		for rows.Next() {
		}
		rows.Close()
		return rows.Err()
	}
	runLoad(ctx, 1, time.Second, search) // warm up
	hits = hits[:0]
	ours := runLoad(ctx, 1, d, search)
	base := runLoad(ctx, 1, d, baseline)
	sort.Ints(hits)
	sec := &Section{
		Title: "FHIR search (HTTPS, SigV4, loopback, one client)",
		Setup: []string{
			fmt.Sprintf("patient-scoped: `Observation?patient=X&code=Y&date=geYYYY-01-01` over %d distinct (patient, code) pairs taken from the data, one client, %v", len(qs), d),
			"baseline: the same filter written by hand in SQL (`subject.reference`, `code.coding[].code`, `effectiveDateTime`) run directly in DuckDB on the store's observation table (no HTTP, no FHIR Bundle)",
		},
	}
	if len(hits) > 0 {
		sec.Setup = append(sec.Setup, fmt.Sprintf("matches per search: median %d, max %d", hits[len(hits)/2], hits[len(hits)-1]))
	}
	if ours.FirstErr != nil {
		sec.Notes = append(sec.Notes, fmt.Sprintf("patient-scoped search: %d errors, first: %v", ours.Errors, ours.FirstErr))
	}
	sec.Results = append(sec.Results,
		Result{What: "patient-scoped search p50", Ours: ms(ours.P50), Unit: "ms", Baseline: "hand-written SQL in DuckDB", Base: ms(base.P50), Target: "< 20 ms"},
		Result{What: "patient-scoped search p99", Ours: ms(ours.P99), Unit: "ms", Baseline: "hand-written SQL in DuckDB", Base: ms(base.P99)},
	)
	for _, cq := range []struct{ name, fhir, sql string }{
		{"count of all Observations", "Observation?_summary=count", "SELECT count(*) FROM observation"},
		{"count of final Observations", "Observation?status=final&_summary=count", "SELECT count(*) FROM observation WHERE status = 'final'"},
	} {
		r, err := benchCount(ctx, c, db, cq.fhir, cq.sql)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", cq.name, err)
		}
		sec.Results = append(sec.Results, Result{What: fmt.Sprintf("%s (%d hits), median of 9", cq.name, r.hits), Ours: ms(r.ours), Unit: "ms",
			Baseline: "`" + cq.sql + "` in DuckDB", Base: ms(r.base), Target: "< 200 ms for 1M hits"})
	}
	return sec, nil
}

type countResult struct {
	hits       int
	ours, base time.Duration
}

// benchCount runs a counting search and its SQL baseline nine times each,
// alternating, and returns the medians; the hit counts must agree.
func benchCount(ctx context.Context, c *fhirClient, db *sql.DB, fhirPath, query string) (countResult, error) {
	var ours, base []time.Duration
	var res countResult
	for range 9 {
		start := time.Now()
		code, body, err := c.do(ctx, "GET", fhirPath, nil)
		if err != nil {
			return res, err
		}
		if err := statusErr(code, body, 200); err != nil {
			return res, err
		}
		ours = append(ours, time.Since(start))
		var b struct{ Total int }
		if err := json.Unmarshal(body, &b); err != nil {
			return res, err
		}
		start = time.Now()
		var n int
		if err := db.QueryRowContext(ctx, query).Scan(&n); err != nil {
			return res, err
		}
		base = append(base, time.Since(start))
		if b.Total != n {
			return res, fmt.Errorf("search counted %d, SQL %d", b.Total, n)
		}
		res.hits = n
	}
	sort.Slice(ours, func(i, j int) bool { return ours[i] < ours[j] })
	sort.Slice(base, func(i, j int) bool { return base[i] < base[j] })
	res.ours, res.base = ours[4], base[4]
	return res, nil
}
