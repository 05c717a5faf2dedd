package ingest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/fhirlake/fhirlake/engine"
	"github.com/fhirlake/fhirlake/fhirflat"
)

// env is an engine with one data store and a Runner, for a test.
type env struct {
	t      *testing.T
	dir    string
	eng    *engine.Engine
	runner *Runner
	ds     string
	store  *engine.Store
}

func quietLogger() *slog.Logger {
	if os.Getenv("FHIRLAKE_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

func newEnv(t testing.TB, cfg Config) *env {
	t.Helper()
	return newEnvWith(t, cfg, engine.StoreOptions{})
}

func newEnvWith(t testing.TB, cfg Config, store engine.StoreOptions) *env {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	eng, err := engine.Open(ctx, engine.Config{Dir: filepath.Join(dir, "data"), Logger: quietLogger(), Store: store})
	if err != nil {
		t.Fatal(err)
	}
	d, err := eng.CreateDatastore(ctx, engine.CreateRequest{Name: "test", TypeVersion: "R4"})
	if err != nil {
		t.Fatal(err)
	}
	if d, err = eng.WaitActive(ctx, d.ID); err != nil || d.Status != engine.Active {
		t.Fatalf("data store: %+v %v", d, err)
	}
	s, err := eng.Store(ctx, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Engine = eng
	cfg.Logger = quietLogger()
	r := NewRunner(cfg)
	if err := r.Start(ctx); err != nil {
		t.Fatal(err)
	}
	e := &env{dir: dir, eng: eng, runner: r, ds: d.ID, store: s}
	if tt, ok := t.(*testing.T); ok {
		e.t = tt
	}
	t.Cleanup(func() {
		r.Close()
		eng.Close()
	})
	return e
}

// run starts an import job and waits for its end.
func (e *env) run(input, output, level string) *engine.Job {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	job, err := e.runner.StartImport(ctx, engine.ImportRequest{DatastoreID: e.ds, Spec: engine.ImportSpec{
		InputURI: input, OutputURI: output, ValidationLevel: level, KmsKeyID: "alias/test", RoleARN: "arn:aws:iam::000000000000:role/test"}})
	if err != nil {
		e.t.Fatal(err)
	}
	job, err = e.runner.Wait(ctx, e.ds, job.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	return job
}

// counts returns the rows of each type's table.
func (e *env) counts(types ...string) map[string]int {
	e.t.Helper()
	out := map[string]int{}
	for _, typ := range types {
		var n int
		if err := e.store.DB().QueryRow("SELECT count(*) FROM main." + fhirflat.QuoteIdent(fhirflat.TableName(typ))).Scan(&n); err != nil {
			e.t.Fatal(err)
		}
		out[typ] = n
	}
	return out
}

// readLines reads the NDJSON records of every part in a folder.
func readLines(t *testing.T, dir string) []map[string]any {
	t.Helper()
	var out []map[string]any
	parts, _ := filepath.Glob(filepath.Join(dir, "*.ndjson"))
	for _, p := range parts {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var m map[string]any
			if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
				t.Fatalf("%s: %v: %s", p, err, sc.Bytes())
			}
			out = append(out, m)
		}
	}
	return out
}

// sameResource compares resources as JSON values, ignoring the server-set
// meta.versionId and meta.lastUpdated.
func sameResource(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y map[string]any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatal(err)
	}
	for _, m := range []map[string]any{x, y} {
		if meta, ok := m["meta"].(map[string]any); ok {
			delete(meta, "versionId")
			delete(meta, "lastUpdated")
			if len(meta) == 0 {
				delete(m, "meta")
			}
		}
	}
	return reflect.DeepEqual(x, y)
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	if err := os.CopyFS(to, os.DirFS(from)); err != nil {
		t.Fatal(err)
	}
}

// readBack reads every row of the types in want (Type/id → expected
// JSON) with SQL, turns it back into FHIR JSON the way Store.Read does
// (fhirflat's Denormalizer over to_json of the row), and returns how many
// resources differ or are missing.
func (e *env) readBack(want map[string][]byte) int {
	e.t.Helper()
	types := map[string]bool{}
	for k := range want {
		typ, _, _ := strings.Cut(k, "/")
		types[typ] = true
	}
	got := map[string][]byte{}
	var dn fhirflat.Denormalizer
	for typ := range types {
		schema, err := e.store.Builder().Schema(typ)
		if err != nil {
			e.t.Fatal(err)
		}
		rows, err := e.store.DB().Query("SELECT to_json(t)::VARCHAR FROM main." + fhirflat.QuoteIdent(schema.Table) + " t")
		if err != nil {
			e.t.Fatal(err)
		}
		for rows.Next() {
			var row string
			if err := rows.Scan(&row); err != nil {
				e.t.Fatal(err)
			}
			js, sys, err := dn.Denormalize(nil, schema, []byte(row), fhirflat.SystemFields{})
			if err != nil {
				e.t.Fatalf("%s row: %v", typ, err)
			}
			got[typ+"/"+sys.ID] = js
		}
		rows.Close()
	}
	differ := 0
	for k, js := range want {
		g, ok := got[k]
		switch {
		case !ok:
			differ++
			e.t.Errorf("%s: not in its table", k)
		case !sameResource(e.t, js, g):
			if differ++; differ < 3 {
				e.t.Errorf("%s differs:\n%.600s\n%.600s", k, js, g)
			}
		}
	}
	return differ
}
