package fhirsql

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/fhirlake/fhirlake/fhirflat"
	"github.com/fhirlake/fhirlake/fhirpath"
	"github.com/fhirlake/fhirlake/r4"
)

// searchExclusions lists the search parameter expressions that do not
// compile to SQL, by "Type.code", with the reason.
var searchExclusions = map[string]string{}

// TestSearchParamExpressions compiles the expression of every R4 search
// parameter for every resource type it applies to, and checks in DuckDB
// that each compiled expression binds over the type's (empty) table.
func TestSearchParamExpressions(t *testing.T) {
	m := r4.Load()
	b := fhirflat.Default()
	db := openDB(t)
	tl := newTableLayouts(db)
	total, compiled, noExpr := 0, 0, 0
	var failed []string
	seenExcluded := map[string]bool{}
	for _, rt := range m.ResourceTypes() {
		s, err := b.Schema(rt)
		if err != nil {
			t.Fatal(err)
		}
		var cols, names []string
		for _, p := range m.ParamsFor(rt) {
			src := p.ExpressionFor(rt)
			if src == "" {
				noExpr++
				continue
			}
			total++
			key := rt + "." + p.Code
			e, err := fhirpath.Parse(src)
			if err == nil {
				var x SQLExpr
				x, err = CompileCollection(e, rt, b, "r")
				if err == nil {
					if err := tl.ensure(s, x.Fields); err != nil {
						t.Fatal(err)
					}
					for i, part := range x.Parts {
						cols = append(cols, part.SQL)
						names = append(names, fmt.Sprintf("%s[%d] %s", key, i, part.Type))
					}
				}
			}
			if why, ok := searchExclusions[key]; ok {
				seenExcluded[key] = true
				if err == nil {
					t.Errorf("%s compiles now; remove it from searchExclusions (%s)", key, why)
				}
				continue
			}
			if err != nil {
				failed = append(failed, fmt.Sprintf("%s: %v", key, err))
				continue
			}
			compiled++
		}
		if len(cols) == 0 {
			continue
		}
		q := "SELECT " + strings.Join(cols, ", ") + " FROM main." + ident(s.Table) + " AS r LIMIT 0"
		if _, err := db.Exec(q); err != nil {
			// find the ones that do not bind
			for i, c := range cols {
				if _, err := db.Exec("SELECT " + c + " FROM main." + ident(s.Table) + " AS r LIMIT 0"); err != nil {
					t.Errorf("%s does not bind: %v\n%s", names[i], err, c)
				}
			}
		}
	}
	for k := range searchExclusions {
		if !seenExcluded[k] {
			t.Errorf("searchExclusions has %s, which is not a search parameter", k)
		}
	}
	sort.Strings(failed)
	for _, f := range failed {
		t.Error(f)
	}
	t.Logf("%d (type, parameter) expressions: %d compile and bind, %d excluded, %d fail; %d parameters have no expression",
		total, compiled, len(searchExclusions), len(failed), noExpr)
}
