package fhirflat

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden schema files in testdata/schema")

// schemaTree writes the full layout of a type, one field per line.
func schemaTree(s *Schema) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s: every column the walk over the R4 model gives (fhirflat.Schema.FullLayout)\n", s.ResourceType)
	var walk func(fs []*Field, depth int)
	walk = func(fs []*Field, depth int) {
		for _, f := range fs {
			kind := PrimitiveSQLType(f.Type) + " (" + f.Type + ")"
			switch f.Kind {
			case Struct:
				kind = "STRUCT (" + f.Type + ")"
			case JSON:
				kind = "JSON"
				switch {
				case f.Many:
					kind += " (array of " + f.Type + ")"
				case f.Choice != "":
					kind += " (open choice " + f.Choice + "[x])"
				case f.Type != "":
					kind += " (" + f.Type + ")"
				}
			}
			if f.Many && f.Kind != JSON {
				kind = "LIST of " + kind
			}
			fmt.Fprintf(&b, "%s%s %s\n", strings.Repeat("  ", depth), f.Name, kind)
			walk(f.Fields, depth+1)
		}
	}
	walk(s.Fields, 0)
	return b.String()
}

// TestGoldenSchemas keeps the schema of every resource type in
// testdata/schema, so a change to the layout shows up in review. Run with
// -update after a deliberate change.
func TestGoldenSchemas(t *testing.T) {
	b := Default()
	dir := filepath.Join("testdata", "schema")
	if *update {
		os.RemoveAll(dir)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, rt := range b.Model().ResourceTypes() {
		s, err := b.Schema(rt)
		if err != nil {
			t.Fatal(err)
		}
		got := schemaTree(s)
		path := filepath.Join(dir, rt+".txt")
		if *update {
			if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test ./fhirflat -run TestGoldenSchemas -update)", err)
		}
		if string(want) != got {
			t.Errorf("%s: schema differs from %s; review the change and run with -update", rt, path)
		}
	}
}
