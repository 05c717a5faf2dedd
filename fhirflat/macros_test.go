package fhirflat

import (
	"database/sql"
	"testing"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"
)

// TestDateMacros checks fhir_date_lo and fhir_date_hi against the ranges
// of instants each precision of a FHIR date or dateTime covers, worked
// out with Go's time package.
func TestDateMacros(t *testing.T) {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.Exec("SET TimeZone = 'UTC'"); err != nil {
		t.Fatal(err)
	}
	for _, q := range Macros {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	utc := func(y int, m time.Month, d, h, min, s, ns int) time.Time {
		return time.Date(y, m, d, h, min, s, ns, time.UTC)
	}
	us := time.Microsecond
	cases := []struct {
		in     string
		lo, hi time.Time
	}{
		{"2019", utc(2019, 1, 1, 0, 0, 0, 0), utc(2020, 1, 1, 0, 0, 0, 0).Add(-us)},
		{"2019-03", utc(2019, 3, 1, 0, 0, 0, 0), utc(2019, 4, 1, 0, 0, 0, 0).Add(-us)},
		{"2019-02", utc(2019, 2, 1, 0, 0, 0, 0), utc(2019, 3, 1, 0, 0, 0, 0).Add(-us)},
		{"2020-02", utc(2020, 2, 1, 0, 0, 0, 0), utc(2020, 3, 1, 0, 0, 0, 0).Add(-us)},
		{"2019-12", utc(2019, 12, 1, 0, 0, 0, 0), utc(2020, 1, 1, 0, 0, 0, 0).Add(-us)},
		{"2020-02-29", utc(2020, 2, 29, 0, 0, 0, 0), utc(2020, 3, 1, 0, 0, 0, 0).Add(-us)},
		{"2019-03-05T10:20:30Z", utc(2019, 3, 5, 10, 20, 30, 0), utc(2019, 3, 5, 10, 20, 31, 0).Add(-us)},
		{"2019-03-05T10:20:30+02:00", utc(2019, 3, 5, 8, 20, 30, 0), utc(2019, 3, 5, 8, 20, 31, 0).Add(-us)},
		{"2019-12-31T23:30:00-05:00", utc(2020, 1, 1, 4, 30, 0, 0), utc(2020, 1, 1, 4, 30, 1, 0).Add(-us)},
		{"2019-03-05T10:20:30.250Z", utc(2019, 3, 5, 10, 20, 30, 250000000), utc(2019, 3, 5, 10, 20, 30, 250000000)},
	}
	for _, c := range cases {
		var lo, hi time.Time
		if err := db.QueryRow("SELECT fhir_date_lo(?), fhir_date_hi(?)", c.in, c.in).Scan(&lo, &hi); err != nil {
			t.Fatalf("%s: %v", c.in, err)
		}
		if !lo.Equal(c.lo) || !hi.Equal(c.hi) {
			t.Errorf("%s: [%v, %v], want [%v, %v]", c.in, lo.UTC(), hi.UTC(), c.lo, c.hi)
		}
	}
	var lo, hi sql.NullTime
	if err := db.QueryRow("SELECT fhir_date_lo(NULL::VARCHAR), fhir_date_hi(NULL::VARCHAR)").Scan(&lo, &hi); err != nil {
		t.Fatal(err)
	}
	if lo.Valid || hi.Valid {
		t.Errorf("NULL gives [%v, %v], want NULLs", lo, hi)
	}
}
