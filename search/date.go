package search

import (
	"strings"
	"time"

	"github.com/fhirlake/fhirlake/fhirsql"
)

// dateRange is the instants a search date covers: [Lo, Hi).
type dateRange struct{ Lo, Hi time.Time }

// ParseDate reads a FHIR date or instant (as in search values, _since
// and _at) as the period of instants its precision covers: [lo, hi).
func ParseDate(s string) (lo, hi time.Time, err error) {
	r, err := parseDate(s)
	return r.Lo, r.Hi, err
}

// parseDate reads a search date (YYYY, YYYY-MM, YYYY-MM-DD, or a date-time
// to the minute, second or fraction, with an optional zone; no zone is UTC)
// as the range of instants its precision covers.
func parseDate(s string) (dateRange, error) {
	layouts := []struct {
		layout string
		step   func(time.Time) time.Time
	}{
		{"2006", func(t time.Time) time.Time { return t.AddDate(1, 0, 0) }},
		{"2006-01", func(t time.Time) time.Time { return t.AddDate(0, 1, 0) }},
		{"2006-01-02", func(t time.Time) time.Time { return t.AddDate(0, 0, 1) }},
		{"2006-01-02T15:04Z07:00", func(t time.Time) time.Time { return t.Add(time.Minute) }},
		{"2006-01-02T15:04", func(t time.Time) time.Time { return t.Add(time.Minute) }},
		{"2006-01-02T15:04:05Z07:00", func(t time.Time) time.Time { return t.Add(time.Second) }},
		{"2006-01-02T15:04:05", func(t time.Time) time.Time { return t.Add(time.Second) }},
	}
	// a fraction first, its precision that of the digits given: Go
	// parses a fraction after the seconds even where the layout has
	// none, which would make it a whole second
	if i := strings.IndexByte(s, '.'); i > 0 {
		frac := s[i+1:]
		digits := len(frac) - len(strings.TrimLeft(frac, "0123456789"))
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999"} {
			if t, err := time.Parse(layout, s); err == nil {
				step := time.Second
				for d := 0; d < digits && step > time.Microsecond; d++ {
					step /= 10
				}
				return dateRange{t.UTC(), t.Add(step).UTC()}, nil
			}
		}
	}
	for _, l := range layouts {
		if t, err := time.Parse(l.layout, s); err == nil {
			return dateRange{t.UTC(), l.step(t).UTC()}, nil
		}
	}
	return dateRange{}, errorf("%q is not a search date (YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm[:ss[.fff]][zone])", s)
}

// date compares items with the prefix semantics of FHIR search: the
// item's range [lo, hi] against the value's range [plo, phi).
func (b *builder) date(part fhirsql.SQLPart, v Value) (string, error) {
	r, err := parseDate(v.Raw)
	if err != nil {
		return "", err
	}
	var bounds func(x string) (lo, hi string)
	switch part.Type {
	case "date", "dateTime":
		bounds = func(x string) (string, string) { return "fhir_date_lo(" + x + ")", "fhir_date_hi(" + x + ")" }
	case "instant":
		bounds = func(x string) (string, string) { return x, x }
	case "Period":
		bounds = func(x string) (string, string) {
			return "coalesce(fhir_date_lo(" + x + ".\"start\"), '-infinity'::TIMESTAMPTZ)",
				"coalesce(fhir_date_hi(" + x + ".\"end\"), 'infinity'::TIMESTAMPTZ)"
		}
	case "Timing":
		return b.anyItem(part.SQL, func(x string) string {
			return b.anyItem(x+".event", func(e string) string {
				return b.dateCond("fhir_date_lo("+e+")", "fhir_date_hi("+e+")", v.Prefix, r)
			})
		}), nil
	default:
		return "", unsupportedType("date search on %s values is not supported", part.Type)
	}
	return b.anyItem(part.SQL, func(x string) string {
		lo, hi := bounds(x)
		return b.dateCond(lo, hi, v.Prefix, r)
	}), nil
}

// dateCond is the prefix's condition on an item range [lo, hi].
func (b *builder) dateCond(lo, hi, prefix string, r dateRange) string {
	plo := func() string { return b.arg(r.Lo) + "::TIMESTAMPTZ" }
	phi := func() string { return b.arg(r.Hi) + "::TIMESTAMPTZ" }
	eq := func() string { return "(" + lo + " >= " + plo() + " AND " + hi + " < " + phi() + ")" }
	switch prefix {
	case "ne":
		return "NOT " + eq()
	case "gt":
		return hi + " >= " + phi()
	case "lt":
		return lo + " < " + plo()
	case "ge":
		// above the value, or within it: (hi >= phi) OR (lo >= plo AND hi < phi)
		return "(" + hi + " >= " + phi() + " OR " + lo + " >= " + plo() + ")"
	case "le":
		// below the value, or within it: (lo < plo) OR (lo >= plo AND hi < phi)
		return "(" + lo + " < " + plo() + " OR " + hi + " < " + phi() + ")"
	case "sa":
		return lo + " >= " + phi()
	case "eb":
		return hi + " < " + plo()
	case "ap":
		// within 10% of the distance between the value and now
		now := time.Now().UTC()
		gap := func(t time.Time) time.Duration {
			d := now.Sub(t)
			if d < 0 {
				d = -d
			}
			return d / 10
		}
		wide := dateRange{r.Lo.Add(-gap(r.Lo)), r.Hi.Add(gap(r.Hi))}
		return "(" + lo + " < " + b.arg(wide.Hi) + "::TIMESTAMPTZ AND " + hi + " >= " + b.arg(wide.Lo) + "::TIMESTAMPTZ)"
	}
	return eq()
}

// lastUpdated is _lastUpdated on the last_updated column.
func (b *builder) lastUpdated(alias string, cl *Clause) (string, error) {
	if cl.Modifier == "missing" {
		return "false", nil
	}
	var ors []string
	for _, v := range cl.Values {
		r, err := parseDate(v.Raw)
		if err != nil {
			return "", err
		}
		ors = append(ors, b.dateCond(alias+".last_updated", alias+".last_updated", v.Prefix, r))
	}
	return "(" + strings.Join(ors, " OR ") + ")", nil
}
