package fhirsql

import (
	"github.com/fhirlake/fhirlake/internal/sofsuite"
	"github.com/fhirlake/fhirlake/viewdef"
	"os"
	"path/filepath"
	"testing"

	"github.com/fhirlake/fhirlake/fhirflat"
	"github.com/fhirlake/fhirlake/fhirpath"
)

// FuzzCompileCollection compiles arbitrary FHIRPath for Patient and
// Observation: the compiler must not panic, and what it compiles must
// bind in DuckDB over the (empty) tables.
func FuzzCompileCollection(f *testing.F) {
	for _, list := range exprCases {
		for _, e := range list {
			f.Add(e)
		}
	}
	b := fhirflat.Default()
	db := openDB(f)
	tl := newTableLayouts(db)
	types := []string{"Patient", "Observation"}
	f.Fuzz(func(t *testing.T, src string) {
		e, err := fhirpath.Parse(src)
		if err != nil {
			return
		}
		for _, rt := range types {
			x, err := CompileCollection(e, rt, b, "r")
			if err != nil {
				continue
			}
			s, _ := b.Schema(rt)
			if err := tl.ensure(s, x.Fields); err != nil {
				t.Fatal(err)
			}
			for _, p := range x.Parts {
				q := "SELECT " + p.SQL + " FROM main." + ident(fhirflat.TableName(rt)) + " AS r LIMIT 0"
				if _, err := db.Exec(q); err != nil {
					t.Errorf("%s on %s compiles to SQL that does not bind: %v\n%s", src, rt, err, q)
				}
			}
		}
	})
}

// FuzzCompileView compiles arbitrary ViewDefinitions: CompileView must not
// panic, and the SQL of what it compiles must bind in DuckDB over the
// (empty) table.
func FuzzCompileView(f *testing.F) {
	files, err := sofsuite.Load(suiteDir)
	if err != nil {
		f.Fatal(err)
	}
	for _, file := range files {
		for _, c := range file.Tests {
			f.Add(string(c.View))
		}
	}
	paths, _ := filepath.Glob("testdata/views/*.json")
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(data))
	}
	b := fhirflat.Default()
	db := openDB(f)
	tl := newTableLayouts(db)
	f.Fuzz(func(t *testing.T, src string) {
		v, err := viewdef.Compile([]byte(src))
		if err != nil {
			return
		}
		vs, err := CompileView(v, b)
		if err != nil {
			return
		}
		s, _ := b.Schema(v.Resource)
		if err := tl.ensure(s, vs.Fields); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec("SELECT * FROM (" + vs.SQL + ") LIMIT 0"); err != nil {
			t.Errorf("%s compiles to SQL that does not bind: %v\n%s", src, err, vs.SQL)
		}
	})
}
