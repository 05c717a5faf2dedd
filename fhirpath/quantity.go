package fhirpath

import (
	"fmt"
	"strings"
)

// Quantity is a System.Quantity: a decimal value with a unit, either a UCUM
// code ('mg', 'mm[Hg]') or a calendar duration keyword (year, month, week,
// day, hour, minute, second, millisecond; stored singular).
//
// Units are not converted: quantities compare and add only when their
// units are the same (calendar durations of a week or less are the same as
// their UCUM codes: 1 day = 1 'd'). Anything else is an error that says
// UCUM conversion is not supported.
type Quantity struct {
	Value Decimal
	Unit  string
	// Calendar is true for a calendar duration keyword (4 days), false for
	// a UCUM code in quotes (4 'd').
	Calendar bool
}

var calendarUnits = map[string]string{
	"year": "year", "years": "year", "month": "month", "months": "month",
	"week": "week", "weeks": "week", "day": "day", "days": "day",
	"hour": "hour", "hours": "hour", "minute": "minute", "minutes": "minute",
	"second": "second", "seconds": "second", "millisecond": "millisecond", "milliseconds": "millisecond",
}

// ucumForCalendar maps calendar keywords of definite length to UCUM.
var ucumForCalendar = map[string]string{
	"week": "wk", "day": "d", "hour": "h", "minute": "min", "second": "s", "millisecond": "ms",
}

// calendarForUCUM is the reverse, used for date arithmetic with UCUM units.
var calendarForUCUM = map[string]string{
	"wk": "week", "d": "day", "h": "hour", "min": "minute", "s": "second", "ms": "millisecond",
	"a": "year", "mo": "month",
}

// String writes q as a FHIRPath literal: 5 'mg', 4 days.
func (q Quantity) String() string {
	if q.Calendar {
		unit := q.Unit
		if q.Value.Cmp(DecimalFromInt(1)) != 0 {
			unit += "s"
		}
		return q.Value.String() + " " + unit
	}
	return q.Value.String() + " " + quoteString(q.Unit)
}

// comparableUnit is the unit quantities are compared under: calendar
// durations of definite length become UCUM codes.
func (q Quantity) comparableUnit() string {
	if q.Calendar {
		if u, ok := ucumForCalendar[q.Unit]; ok {
			return u
		}
	}
	return q.Unit
}

// sameUnit reports whether a and b can be compared or added without
// conversion.
func sameUnit(a, b Quantity) bool {
	if a.Calendar && b.Calendar {
		return a.Unit == b.Unit
	}
	ua, ub := a.comparableUnit(), b.comparableUnit()
	if ua == ub {
		// 1 year and 1 'a' are not equal: a calendar year is not a UCUM year
		if a.Calendar != b.Calendar && (a.Unit == "year" || a.Unit == "month" || b.Unit == "year" || b.Unit == "month") {
			return false
		}
		return true
	}
	return (ua == "1" && ub == "") || (ua == "" && ub == "1")
}

func unitMismatch(op string, a, b Quantity) error {
	return fmt.Errorf("%s: quantities in %s and %s: UCUM unit conversion is not supported, units must be the same", op, unitName(a), unitName(b))
}

func unitName(q Quantity) string {
	if q.Calendar {
		return q.Unit
	}
	return quoteString(q.Unit)
}

// parseQuantityString reads the FHIRPath string form of a quantity used by
// toQuantity(): "5 'mg'", "4 days", "10".
func parseQuantityString(s string) (Quantity, bool) {
	s = strings.TrimSpace(s)
	num, unit, _ := strings.Cut(s, " ")
	d, err := ParseDecimal(num)
	if err != nil || strings.ContainsAny(num, "eE") {
		return Quantity{}, false
	}
	unit = strings.TrimSpace(unit)
	switch {
	case unit == "":
		return Quantity{Value: d, Unit: "1"}, true
	case len(unit) >= 2 && unit[0] == '\'' && unit[len(unit)-1] == '\'':
		return Quantity{Value: d, Unit: unit[1 : len(unit)-1]}, true
	}
	if c, ok := calendarUnits[unit]; ok {
		return Quantity{Value: d, Unit: c, Calendar: true}, true
	}
	return Quantity{}, false
}
