package fhirsql

import (
	"fmt"
	"time"

	"github.com/fhirlake/fhirlake/fhirpath"
)

// Dates, dateTimes and times: comparison with FHIRPath's precision rules
// and the boundary functions. date and dateTime columns keep their FHIR
// text; instant columns are TIMESTAMPTZ.

// Comparison keys: the value in UTC, written so that a less precise value
// is a prefix of a more precise one:
//
//	date / dateTime   YYYY, YYYY-MM, YYYY-MM-DD, YYYY-MM-DDThh, YYYY-MM-DDThh:mm,
//	                  YYYY-MM-DDThh:mm:ss.ffffff (seconds and fractions are one precision)
//	time              hh, hh:mm, hh:mm:ss.ffffff
const keyFormat = "'%Y-%m-%dT%H:%M:%S.%f'"

// temporalKey is the comparison key of a single date, dateTime, instant or
// time.
func temporalKey(v val) string {
	if v.literal != nil {
		return quote(literalKey(*v.literal))
	}
	switch {
	case v.t.isInstant():
		return "strftime(" + paren(v.sql) + " AT TIME ZONE 'UTC', " + keyFormat + ")"
	case v.t.sys == "Time":
		return "CASE WHEN length(" + v.sql + ") = 8 THEN " + v.sql + " || '.000000' ELSE rpad(left(" + v.sql + ", 15), 15, '0') END"
	case v.t.sys == "Date":
		return v.sql
	}
	return "CASE WHEN length(" + v.sql + ") <= 10 THEN " + v.sql + " ELSE strftime(TRY_CAST(" + v.sql + " AS TIMESTAMPTZ) AT TIME ZONE 'UTC', " + keyFormat + ") END"
}

// literalKey is the comparison key of a literal.
func literalKey(t fhirpath.Temporal) string {
	if t.Kind == fhirpath.TimeKind {
		switch t.Precision {
		case fhirpath.HourPrecision:
			return fmt.Sprintf("%02d", t.Hour)
		case fhirpath.MinutePrecision:
			return fmt.Sprintf("%02d:%02d", t.Hour, t.Minute)
		}
		return fmt.Sprintf("%02d:%02d:%02d.%06d", t.Hour, t.Minute, t.Second, t.Nano/1000)
	}
	switch t.Precision {
	case fhirpath.YearPrecision:
		return fmt.Sprintf("%04d", t.Year)
	case fhirpath.MonthPrecision:
		return fmt.Sprintf("%04d-%02d", t.Year, t.Month)
	case fhirpath.DayPrecision:
		return fmt.Sprintf("%04d-%02d-%02d", t.Year, t.Month, t.Day)
	}
	zone := time.UTC
	if t.HasZone {
		zone = time.FixedZone("", t.ZoneMinutes*60)
	}
	g := time.Date(t.Year, time.Month(t.Month), t.Day, t.Hour, t.Minute, t.Second, t.Nano, zone).UTC()
	switch t.Precision {
	case fhirpath.HourPrecision:
		return g.Format("2006-01-02T15")
	case fhirpath.MinutePrecision:
		return g.Format("2006-01-02T15:04")
	}
	return g.Format("2006-01-02T15:04:05.000000")
}

// temporalCompare compares two single temporal values with op (=, <>, <,
// <=, >, >=): values of different precision that agree as far as both go
// compare as unknown (NULL).
func (c *compiler) temporalCompare(l, r val, op string) string {
	if l.t.isInstant() && r.t.isInstant() {
		return "(" + paren(l.sql) + " " + op + " " + paren(r.sql) + ")"
	}
	a, b := temporalKey(l), temporalKey(r)
	n := "least(length(" + a + "), length(" + b + "))"
	pa, pb := "left("+a+", "+n+")", "left("+b+", "+n+")"
	return "CASE WHEN " + pa + " <> " + pb + " THEN " + pa + " " + op + " " + pb +
		" WHEN length(" + a + ") = length(" + b + ") THEN " + a + " " + op + " " + b + " END"
}

// boundary is lowBoundary() / highBoundary() with the default precision:
// decimals at 8 digits, dates to the day, dateTimes and times to the
// millisecond.
func (c *compiler) boundary(v val, high bool, n *fhirpath.Call) (val, error) {
	what := "function " + n.Name + "()"
	if len(n.Args) > 0 {
		return val{}, c.errorf(n, what, "an explicit precision is not supported in SQL")
	}
	if v.empty {
		return v, nil
	}
	v, err := c.singleton(v, n, what)
	if err != nil {
		return val{}, err
	}
	if v.isPoly() {
		return val{}, c.errorf(n, what, "the input has several possible types (%s); use ofType()", v.typeNames())
	}
	x := paren(v.sql)
	pick := func(low, hi string) string {
		if high {
			return hi
		}
		return low
	}
	switch {
	case v.t.isNumber():
		// half a unit of the last digit written: 1.0 stands for 0.95 to 1.05
		// (the literal kept in _primitive when the DOUBLE cannot say it)
		text, integral := "CAST("+x+" AS VARCHAR)", x+" = trunc("+x+")"
		if v.prim != "" {
			text = "coalesce(" + v.prim + ", " + text + ")"
			integral = v.prim + " IS NULL AND " + integral
		}
		scale := "CASE WHEN " + integral + " THEN 0 ELSE length(split_part(" + text + ", '.', 2)) END"
		half := "0.5 / pow(10, " + scale + ")"
		return val{sql: "round(" + x + " " + pick("-", "+") + " " + half + ", 8)", t: sysType("Decimal")}, nil
	case v.t.sys == "Date":
		return val{sql: "CASE length(" + x + ") WHEN 4 THEN " + x + " || " + pick("'-01-01'", "'-12-31'") +
			" WHEN 7 THEN " + pick(x+" || '-01'", "strftime(last_day(CAST("+x+" || '-01' AS DATE)), '%Y-%m-%d')") +
			" ELSE " + x + " END", t: sysType("Date")}, nil
	case v.t.sys == "Time":
		return val{sql: "CASE WHEN length(" + x + ") = 8 THEN " + x + " || " + pick("'.000'", "'.999'") +
			" ELSE left(" + x + ", 8) || '.' || rpad(left(split_part(" + x + ", '.', 2), 3), 3, '0') END", t: sysType("Time")}, nil
	case v.t.sys == "DateTime":
		if v.t.isInstant() {
			// the text as written (kept in _primitive when the zone is not Z)
			text := "strftime(" + x + " AT TIME ZONE 'UTC', " + keyFormat + ") || 'Z'"
			if v.prim != "" {
				text = "coalesce(" + v.prim + ", " + text + ")"
			}
			x = "(" + text + ")"
		}
		day := "CASE length(" + x + ") WHEN 4 THEN " + x + " || " + pick("'-01-01'", "'-12-31'") +
			" WHEN 7 THEN " + pick(x+" || '-01'", "strftime(last_day(CAST("+x+" || '-01' AS DATE)), '%Y-%m-%d')") +
			" ELSE " + x + " END"
		date := "CASE WHEN length(" + x + ") <= 10 THEN " + day + " || " + pick("'T00:00:00.000+14:00'", "'T23:59:59.999-12:00'")
		zone := "regexp_extract(" + x + ", '(Z|[+-][0-9][0-9]:[0-9][0-9])$', 1)"
		body := "left(" + x + ", 19)"
		frac := "CASE WHEN substr(" + x + ", 20, 1) = '.' THEN rpad(left(regexp_extract(" + x + ", '\\.([0-9]+)', 1), 3), 3, '0') ELSE " + pick("'000'", "'999'") + " END"
		z := "CASE WHEN " + zone + " IN ('+00:00', '-00:00') THEN 'Z' WHEN " + zone + " = '' THEN " + pick("'+14:00'", "'-12:00'") + " ELSE " + zone + " END"
		return val{sql: date + " ELSE " + body + " || '.' || " + frac + " || " + z + " END", t: sysType("DateTime")}, nil
	}
	return val{}, c.errorf(n, what, "expected a number, date, dateTime or time, got %s", v.t.typeName())
}
