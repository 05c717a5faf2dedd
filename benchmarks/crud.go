package main

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/fhirlake/fhirlake/server"
)

// key of a resource in the dataset.
type resKey struct{ typ, id string }

// sampleKeys reads every resource's type and id from the dataset.
func sampleKeys(ds *dataset) ([]resKey, error) {
	var keys []resKey
	for _, file := range ds.Files {
		typ := strings.TrimSuffix(filepath.Base(file), ".ndjson")
		f, err := os.Open(file)
		if err != nil {
			return nil, err
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 256<<20)
		for sc.Scan() {
			line := sc.Text()
			i := strings.Index(line, `"id":"`)
			if i < 0 {
				continue
			}
			rest := line[i+6:]
			keys = append(keys, resKey{typ, rest[:strings.IndexByte(rest, '"')]})
		}
		f.Close()
	}
	return keys, nil
}

// benchReads reads resources by id over HTTPS with SigV4, from closed-loop
// workers: uniformly over every resource, and over a hot set of 1,000.
func benchReads(ctx context.Context, s *server.Server, datastore string, ds *dataset, d time.Duration) (*Section, error) {
	c, err := newFHIRClient(s, datastore)
	if err != nil {
		return nil, err
	}
	keys, err := sampleKeys(ds)
	if err != nil {
		return nil, err
	}
	rnd := rand.New(rand.NewSource(1))
	rnd.Shuffle(len(keys), func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
	const workers = 16
	read := func(set []resKey) func(ctx context.Context, w, i int) error {
		return func(ctx context.Context, w, i int) error {
			k := set[(w*7919+i*104729)%len(set)]
			code, body, err := c.do(ctx, "GET", k.typ+"/"+k.id, nil)
			if err != nil {
				return err
			}
			return statusErr(code, body, 200)
		}
	}
	hot := keys[:min(1000, len(keys))]
	// warm the connections, and read every hot resource once: the hot set
	// measures reads the cache answers
	for _, k := range hot {
		code, body, err := c.do(ctx, "GET", k.typ+"/"+k.id, nil)
		if err != nil {
			return nil, err
		}
		if err := statusErr(code, body, 200); err != nil {
			return nil, err
		}
	}
	hotRes := runLoad(ctx, workers, d, read(hot))
	coldRes := runLoad(ctx, workers, d, read(keys))
	sec := &Section{
		Title: "FHIR read by id (HTTPS, SigV4, loopback)",
		Setup: []string{
			fmt.Sprintf("%d resources in the data store; %d closed-loop clients for %v each; Go client, TLS on", len(keys), workers, d),
			"baseline: Blaze's published figures (48,868 reads/s on 24 cores, median 1.07 ms), taken per core; not measured here",
		},
	}
	perCore := func(r loadResult) float64 { return r.PerSecond() / float64(runtime.NumCPU()) }
	for _, x := range []struct {
		name string
		r    loadResult
	}{{"uniform over all resources", coldRes}, {"hot set of 1,000 resources", hotRes}} {
		if x.r.FirstErr != nil {
			sec.Notes = append(sec.Notes, fmt.Sprintf("%s: %d errors, first: %v", x.name, x.r.Errors, x.r.FirstErr))
		}
		sec.Results = append(sec.Results,
			Result{What: "reads/s, " + x.name, Ours: x.r.PerSecond(), Unit: "req/s", Target: "≥ 5,000 req/s", HigherIsBetter: true},
			Result{What: "reads/s per core, " + x.name, Ours: perCore(x.r), Unit: "req/s/core", Baseline: "Blaze per core", Base: 48868.0 / 24, HigherIsBetter: true},
			Result{What: "p50 latency, " + x.name, Ours: ms(x.r.P50), Unit: "ms", Baseline: "Blaze median", Base: 1.07},
			Result{What: "p99 latency, " + x.name, Ours: ms(x.r.P99), Unit: "ms", Target: "< 10 ms"},
		)
	}
	return sec, nil
}

// benchCreates posts new Observations from 16 clients, and as a baseline
// inserts the same resources one per transaction into a plain DuckDB table.
func benchCreates(ctx context.Context, s *server.Server, datastore string, ds *dataset, d time.Duration, tmp string) (*Section, error) {
	c, err := newFHIRClient(s, datastore)
	if err != nil {
		return nil, err
	}
	var obs [][]byte
	for _, file := range ds.Files {
		if filepath.Base(file) != "Observation.ndjson" {
			continue
		}
		f, err := os.Open(file)
		if err != nil {
			return nil, err
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 256<<20)
		for sc.Scan() && len(obs) < 20000 {
			obs = append(obs, append([]byte(nil), sc.Bytes()...))
		}
		f.Close()
	}
	if len(obs) == 0 {
		return nil, fmt.Errorf("no Observations in the dataset")
	}
	const workers = 16
	create := func(ctx context.Context, w, i int) error {
		code, body, err := c.do(ctx, "POST", "Observation", obs[(w*1000+i)%len(obs)])
		if err != nil {
			return err
		}
		return statusErr(code, body, 201)
	}
	// three times as long as the other loads: sustained over several of
	// the merger's rounds (engine.StoreOptions.MergeInterval, 5 s)
	sustained := 3 * d
	res := runLoad(ctx, workers, sustained, create)
	// baseline: one INSERT per transaction of the resource JSON into DuckDB
	db, err := sql.Open("duckdb", filepath.Join(tmp, "baseline-inserts.duckdb"))
	if err != nil {
		return nil, err
	}
	defer db.Close()
	db.SetMaxOpenConns(workers)
	if _, err := db.Exec("CREATE TABLE r (id VARCHAR PRIMARY KEY, body JSON)"); err != nil {
		return nil, err
	}
	base := runLoad(ctx, workers, d, func(ctx context.Context, w, i int) error {
		_, err := db.ExecContext(ctx, "INSERT INTO r VALUES (?, ?)", fmt.Sprintf("%d-%d", w, i), string(obs[(w*1000+i)%len(obs)]))
		return err
	})
	sec := &Section{
		Title: "FHIR create (POST, HTTPS, SigV4, durable on acknowledgement)",
		Setup: []string{fmt.Sprintf("%d closed-loop clients for %v (several rounds of the merger into the typed tables), each POSTing a Synthea-shaped Observation", workers, sustained),
			fmt.Sprintf("baseline: the same resources inserted one per autocommit transaction as JSON into a plain DuckDB table by as many connections, for %v", d)},
		Results: []Result{
			{What: "creates/s", Ours: res.PerSecond(), Unit: "req/s", Baseline: "DuckDB autocommit INSERT", Base: base.PerSecond(), Target: "≥ 2,000/s", HigherIsBetter: true},
			{What: "p50 latency", Ours: ms(res.P50), Unit: "ms", Baseline: "DuckDB INSERT p50", Base: ms(base.P50)},
			{What: "p99 latency", Ours: ms(res.P99), Unit: "ms", Baseline: "DuckDB INSERT p99", Base: ms(base.P99), Target: "< 50 ms"},
		},
	}
	if res.FirstErr != nil {
		sec.Notes = append(sec.Notes, fmt.Sprintf("%d errors, first: %v", res.Errors, res.FirstErr))
	}
	return sec, nil
}
