package search

import (
	"testing"
	"time"
)

// TestParseDate checks the period each precision of a search date covers.
func TestParseDate(t *testing.T) {
	utc := func(y int, m time.Month, d, h, min, s, ns int) time.Time {
		return time.Date(y, m, d, h, min, s, ns, time.UTC)
	}
	for _, c := range []struct {
		in     string
		lo, hi time.Time
	}{
		{"2020", utc(2020, 1, 1, 0, 0, 0, 0), utc(2021, 1, 1, 0, 0, 0, 0)},
		{"2020-02", utc(2020, 2, 1, 0, 0, 0, 0), utc(2020, 3, 1, 0, 0, 0, 0)},
		{"2020-02-29", utc(2020, 2, 29, 0, 0, 0, 0), utc(2020, 3, 1, 0, 0, 0, 0)},
		{"2020-02-03T10:20", utc(2020, 2, 3, 10, 20, 0, 0), utc(2020, 2, 3, 10, 21, 0, 0)},
		{"2020-02-03T10:20:05+02:00", utc(2020, 2, 3, 8, 20, 5, 0), utc(2020, 2, 3, 8, 20, 6, 0)},
		{"2020-02-03T10:20:05", utc(2020, 2, 3, 10, 20, 5, 0), utc(2020, 2, 3, 10, 20, 6, 0)},
		{"2020-02-03T10:20:05.5Z", utc(2020, 2, 3, 10, 20, 5, 500000000), utc(2020, 2, 3, 10, 20, 5, 600000000)},
		{"2020-02-03T10:20:05.123456Z", utc(2020, 2, 3, 10, 20, 5, 123456000), utc(2020, 2, 3, 10, 20, 5, 123457000)},
		{"2020-02-03T10:20:05.250", utc(2020, 2, 3, 10, 20, 5, 250000000), utc(2020, 2, 3, 10, 20, 5, 251000000)},
	} {
		lo, hi, err := ParseDate(c.in)
		if err != nil {
			t.Errorf("%s: %v", c.in, err)
			continue
		}
		if !lo.Equal(c.lo) || !hi.Equal(c.hi) {
			t.Errorf("%s: [%v, %v), want [%v, %v)", c.in, lo, hi, c.lo, c.hi)
		}
	}
	for _, bad := range []string{"", "yesterday", "2020-13", "2020-02-30", "20200203"} {
		if _, _, err := ParseDate(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}
