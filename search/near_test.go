package search

import (
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"strings"
	"testing"

	"github.com/fhirlake/fhirlake/fhirflat"
)

// TestNear checks Location?near against great-circle distances computed
// here from the fixtures' positions (haversine on a 6371 km sphere).
func TestNear(t *testing.T) {
	st, o := fixtureStore(t)
	type point struct{ lat, lon float64 }
	pos := map[string]point{}
	for _, r := range o.byTyp["Location"] {
		la, ok1 := get(r, "position", "latitude").(json.Number)
		lo, ok2 := get(r, "position", "longitude").(json.Number)
		lat, err1 := la.Float64()
		lon, err2 := lo.Float64()
		if ok1 && ok2 && err1 == nil && err2 == nil {
			pos[str(r["id"])] = point{lat, lon}
		}
	}
	if len(pos) < 10 {
		t.Fatalf("only %d fixture locations have a position", len(pos))
	}
	rad := func(d float64) float64 { return d * math.Pi / 180 }
	dist := func(a, b point) float64 {
		h := math.Pow(math.Sin(rad(b.lat-a.lat)/2), 2) + math.Cos(rad(a.lat))*math.Cos(rad(b.lat))*math.Pow(math.Sin(rad(b.lon-a.lon)/2), 2)
		return 2 * 6371.0 * math.Asin(math.Sqrt(h))
	}
	within := func(c point, km float64) map[string]bool {
		out := map[string]bool{}
		for id, p := range pos {
			if dist(c, p) <= km {
				out[id] = true
			}
		}
		return out
	}
	var center point
	for _, p := range pos {
		center = p
		break
	}
	far := within(center, 100)
	for _, c := range []struct {
		query string
		want  map[string]bool
	}{
		{fmt.Sprintf("near=%v|%v|100|km", center.lat, center.lon), far},
		{fmt.Sprintf("near=%v|%v|100000|m", center.lat, center.lon), far},
		{fmt.Sprintf("near=%v|%v|62.1371|[mi_i]", center.lat, center.lon), far},
		{fmt.Sprintf("near=%v|%v|300", center.lat, center.lon), within(center, 300)},
		{fmt.Sprintf("near=%v|%v", center.lat, center.lon), within(center, 50)},
		{fmt.Sprintf("near=%v|%v|0.001|km", center.lat, center.lon), within(center, 0.001)},
		{"near=0|0|10|km", map[string]bool{}},
	} {
		got, total := ids(t, st, "Location", c.query)
		if total != len(c.want) || diff(c.want, got) != "" {
			t.Errorf("Location?%s: %d matches, want %d: %s", c.query, total, len(c.want), diff(c.want, got))
		}
	}
	if len(far) < 2 || len(far) == len(pos) {
		t.Fatalf("100 km around a fixture location holds %d of %d: the test means some", len(far), len(pos))
	}
	for _, bad := range []string{"near=91|0|1|km", "near=1|x", "near=1|2|3|furlong", "near=1", "near=1|2|-5|km"} {
		params, _ := url.ParseQuery(bad)
		q, err := Parse(fhirflat.Default().Model(), "Location", params, true)
		if err == nil {
			_, err = NewCompiler(fhirflat.Default()).Compile(q, "")
		}
		if err == nil || !strings.Contains(err.Error(), "near") {
			t.Errorf("%s: %v, want an error about near", bad, err)
		}
	}
}
