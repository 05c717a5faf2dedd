package fhirsql

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"fmt"
	"math/big"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/fhirlake/fhirlake/fhirflat"
	"github.com/fhirlake/fhirlake/fhirpath"
	"github.com/fhirlake/fhirlake/internal/fixtures"
	"github.com/fhirlake/fhirlake/r4"
)

// searchTypes are the resource types whose search parameters are checked
// against the Go evaluator on Synthea data.
var searchTypes = []string{"Patient", "Observation", "Condition", "Encounter", "MedicationRequest",
	"Procedure", "Immunization", "DocumentReference", "AllergyIntolerance"}

// synthea returns the Synthea fixtures of the search types: the 13-patient
// bulk export, and the Observations of the all-modules bundles (the bulk
// export has none).
func synthea(t testing.TB) [][]byte {
	t.Helper()
	bulk, err := fixtures.Bulk()
	if err != nil {
		t.Fatal(err)
	}
	bundles, err := fixtures.BundleEntries("bundles-all-modules")
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for _, r := range bulk {
		if slices.Contains(searchTypes, r.Type) {
			out = append(out, r.JSON)
		}
	}
	for _, r := range bundles {
		if r.Type == "Observation" {
			out = append(out, r.JSON)
		}
	}
	return out
}

// TestSearchValuesMatchGo compares, for every search parameter of the
// search types and every Synthea resource of the type, the values the
// compiled SQL yields from the stored row with those the Go evaluator
// yields from the resource JSON (with the meta the store adds). Values are
// compared by type: primitives as text (numbers by value, instants in
// UTC), complex values as their FHIR JSON.
func TestSearchValuesMatchGo(t *testing.T) {
	if testing.Short() {
		t.Skip("Synthea search values in -short mode")
	}
	b := fhirflat.Default()
	m := r4.Load()
	db := openDB(t)
	raws := synthea(t)
	stored := load(t, db, b, raws)
	minimal := 0
	for _, l := range stored {
		if l.Minimal != "" {
			minimal++
		}
	}
	// the resources as the store serves them: meta.versionId and lastUpdated set
	docs := map[string]map[string]map[string]any{} // type → id → resource
	for _, raw := range raws {
		var r map[string]any
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if err := dec.Decode(&r); err != nil {
			t.Fatal(err)
		}
		meta, _ := r["meta"].(map[string]any)
		if meta == nil {
			meta = map[string]any{}
			r["meta"] = meta
		}
		meta["versionId"] = "1"
		meta["lastUpdated"] = fhirflat.FormatInstant(testTime)
		rt, id := r["resourceType"].(string), r["id"].(string)
		if docs[rt] == nil {
			docs[rt] = map[string]map[string]any{}
		}
		docs[rt][id] = r
	}
	ctx := &fhirpath.Context{Resolve: fhirpath.ReferenceStub}
	params, compared, nonEmpty, mismatches := 0, 0, 0, 0
	for _, rt := range searchTypes {
		s, _ := b.Schema(rt)
		for _, p := range m.ParamsFor(rt) {
			src := p.ExpressionFor(rt)
			if src == "" {
				continue
			}
			params++
			e, err := fhirpath.Parse(src)
			if err != nil {
				t.Fatalf("%s.%s: %v", rt, p.Code, err)
			}
			x, err := CompileCollection(e, rt, b, "r")
			if err != nil {
				t.Errorf("%s.%s: %v", rt, p.Code, err)
				continue
			}
			got, err := sqlValues(db, s, x)
			if err != nil {
				t.Errorf("%s.%s: %v", rt, p.Code, err)
				continue
			}
			reported := 0
			for id, doc := range docs[rt] {
				out, err := e.Evaluate(ctx, fhirpath.Collection{fhirpath.FromJSON(doc)})
				if err != nil {
					t.Errorf("%s.%s on %s in Go: %v", rt, p.Code, id, err)
					continue
				}
				var want []string
				for _, v := range out {
					if v.HasValue() {
						want = append(want, token(m, goTypeName(v), v.JSON(), id))
					}
				}
				sort.Strings(want)
				compared++
				if len(want) > 0 {
					nonEmpty++
				}
				if !slices.Equal(got[id], want) {
					mismatches++
					if reported < 3 {
						t.Errorf("%s.%s (%s) on %s/%s:\n  sql: %v\n   go: %v", rt, p.Code, src, rt, id, got[id], want)
					}
					reported++
				}
			}
		}
	}
	t.Logf("%d resources (%d stored at Minimal), %d parameters of %d types, %d (resource, parameter) pairs compared, %d with values, %d differ",
		len(stored), minimal, params, len(searchTypes), compared, nonEmpty, mismatches)
	if nonEmpty < compared/4 {
		t.Errorf("only %d of %d comparisons have values; the test data does not exercise the expressions", nonEmpty, compared)
	}
}

// goTypeName is the FHIR type name of a Go evaluator value.
func goTypeName(v fhirpath.Value) string {
	ti := v.Type()
	if ti.Namespace == "System" {
		return systemFHIR[ti.Name]
	}
	return ti.Name
}

// sqlValues runs the parts of a compiled collection over a table (the
// rows with the given ids, or all) and returns each resource's items as
// sorted tokens.
func sqlValues(db *sql.DB, s *fhirflat.Schema, x SQLExpr, ids ...string) (map[string][]string, error) {
	m := r4.Load()
	out := map[string][]string{}
	where := ""
	if len(ids) > 0 {
		quoted := make([]string, len(ids))
		for i, id := range ids {
			quoted[i] = quote(id)
		}
		where = " WHERE r.id IN (" + strings.Join(quoted, ", ") + ")"
	}
	for _, part := range x.Parts {
		q := "SELECT r.id, to_json(" + part.SQL + ") FROM main." + ident(s.Table) + " AS r" + where
		if part.Type == s.ResourceType {
			q = "SELECT r.id, CASE WHEN len(" + part.SQL + ") > 0 THEN '[\"resource\"]'::JSON END FROM main." + ident(s.Table) + " AS r" + where
		}
		rows, err := db.Query(q)
		if err != nil {
			return nil, fmt.Errorf("%w\n%s", err, q)
		}
		for rows.Next() {
			var id string
			var items any
			if err := rows.Scan(&id, &items); err != nil {
				rows.Close()
				return nil, err
			}
			list, _ := items.([]any)
			for _, item := range list {
				if part.Type == s.ResourceType {
					out[id] = append(out[id], "resource "+s.ResourceType+"/"+id)
					continue
				}
				out[id] = append(out[id], token(m, part.Type, item, id))
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	for _, v := range out {
		sort.Strings(v)
	}
	return out, nil
}

// token is the comparable form of one item of a FHIR type: its type and
// its value cleaned of storage details.
func token(m *r4.Model, typ string, v any, id string) string {
	if t := m.Type(typ); t != nil && t.Kind == r4.Resource {
		return "resource " + typ + "/" + id
	}
	b, _ := json.Marshal(clean(m, typ, nil, v))
	return typ + " " + string(b)
}

// clean writes a value of a FHIR type (or of a backbone element) in one
// form for both sides: no nulls, no _primitive or _name siblings, open
// choices under their valueX name, numbers exact, instants in UTC.
func clean(m *r4.Model, typ string, elem *r4.Element, v any) any {
	switch x := v.(type) {
	case nil:
		return nil
	case []any:
		out := make([]any, 0, len(x))
		for _, e := range x {
			if c := clean(m, typ, elem, e); c != nil {
				out = append(out, c)
			}
		}
		return out
	case map[string]any:
		var els []*r4.Element
		if elem != nil {
			els = elem.Elements
			if elem.ContentRef != "" {
				els = m.ElementAt(elem.ContentRef).Elements
			}
		} else if t := m.Type(typ); t != nil {
			els = t.Elements
		}
		out := map[string]any{}
		for k, e := range x {
			if e == nil || strings.HasPrefix(k, "_") {
				continue
			}
			ct, ce := childType(els, k)
			if inner, ok := e.(map[string]any); ok && ce != nil && ce.Choice && len(inner) == 1 {
				// an open choice kept under its stem: {"valueString": ...}
				for ik, iv := range inner {
					it, _ := childType(els, ik)
					out[ik] = clean(m, it, nil, iv)
				}
				continue
			}
			if ce != nil && !ce.IsBackbone() {
				ce = nil
			}
			out[k] = clean(m, ct, ce, e)
		}
		return out
	case json.Number:
		return number(string(x))
	case float64:
		return number(fmt.Sprint(x))
	case int32, int64:
		return number(fmt.Sprint(x))
	case string:
		if typ == "instant" {
			if tm, err := fhirflat.ParseDuckTimestamp(x); err == nil {
				return fhirflat.FormatInstant(tm)
			}
			if tm, ok := parseRFC3339(x); ok {
				return fhirflat.FormatInstant(tm)
			}
		}
	}
	return v
}

func number(s string) string {
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return s
	}
	return "#" + r.RatString()
}

// childType finds the element of a JSON key and the type it has there.
func childType(els []*r4.Element, key string) (string, *r4.Element) {
	for _, e := range els {
		if e.Name == key {
			if len(e.Types) == 1 {
				return e.Types[0].Code, e
			}
			return "", e
		}
		if e.Choice && strings.HasPrefix(key, e.Name) {
			for _, t := range e.Types {
				if r4.ChoiceName(e.Name, t.Code) == key {
					return t.Code, nil
				}
			}
		}
	}
	return "", nil
}

func parseRFC3339(s string) (time.Time, bool) {
	t, err := time.Parse(time.RFC3339Nano, s)
	return t, err == nil
}
