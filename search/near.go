package search

import (
	"math"
	"strconv"
	"strings"
)

// nearDefaultKm is the distance of a near value that gives none (FHIR
// leaves it to the server).
const nearDefaultKm = 50.0

// earthRadiusKm is the mean radius of the Earth (IUGG).
const earthRadiusKm = 6371.0088

// kmPer gives the kilometres of the UCUM length units a near value may use.
var kmPer = map[string]float64{"km": 1, "m": 0.001, "[mi_i]": 1.609344, "[nmi_i]": 1.852}

// near is Location's near=latitude|longitude|[distance]|[units]: a
// position within the distance (great-circle, on a sphere of the Earth's
// mean radius) of the point. Units are km when not given.
func (b *builder) near(typ, alias string, cl *Clause) (string, error) {
	x, err := b.collection(typ, cl.Param, alias)
	if err != nil {
		return "", err
	}
	var ors []string
	for _, v := range cl.Values {
		lat, lon, km, err := parseNear(v.Raw)
		if err != nil {
			return "", err
		}
		for _, part := range x.Parts {
			ors = append(ors, b.anyItem(part.SQL, func(p string) string {
				return "2 * " + strconv.FormatFloat(earthRadiusKm, 'f', -1, 64) + " * asin(sqrt(" +
					"pow(sin(radians(" + p + ".latitude - " + b.arg(lat) + ") / 2), 2) + " +
					"cos(radians(" + b.arg(lat) + ")) * cos(radians(" + p + ".latitude)) * " +
					"pow(sin(radians(" + p + ".longitude - " + b.arg(lon) + ") / 2), 2))) <= " + b.arg(km)
			}))
		}
	}
	if len(ors) == 0 {
		return "false", nil
	}
	return "(" + strings.Join(ors, " OR ") + ")", nil
}

// parseNear reads latitude|longitude|[distance]|[units], giving the
// distance in km.
func parseNear(raw string) (lat, lon, km float64, err error) {
	segs := splitEscaped(raw, '|')
	if len(segs) < 2 || len(segs) > 4 {
		return 0, 0, 0, errorf("near takes latitude|longitude|distance|units, not %q", raw)
	}
	num := func(s, what string, lo, hi float64) (float64, error) {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(f) || f < lo || f > hi {
			return 0, errorf("near: the %s %q is not a number from %g to %g", what, s, lo, hi)
		}
		return f, nil
	}
	if lat, err = num(segs[0], "latitude", -90, 90); err != nil {
		return 0, 0, 0, err
	}
	if lon, err = num(segs[1], "longitude", -180, 180); err != nil {
		return 0, 0, 0, err
	}
	km = nearDefaultKm
	if len(segs) > 2 && segs[2] != "" {
		if km, err = num(segs[2], "distance", 0, math.MaxFloat64); err != nil {
			return 0, 0, 0, err
		}
		unit := "km"
		if len(segs) > 3 && segs[3] != "" {
			unit = segs[3]
		}
		per, ok := kmPer[unit]
		if !ok {
			return 0, 0, 0, errorf("near: the unit %q is not one of km, m, [mi_i], [nmi_i]", unit)
		}
		km *= per
	}
	return lat, lon, km, nil
}
