package fhirpath

import (
	"fmt"
	"strings"
	"time"
)

// TemporalKind tells a Date, a DateTime and a Time apart.
type TemporalKind int

const (
	DateKind TemporalKind = iota
	DateTimeKind
	TimeKind
)

// Precision is how much of a Temporal is known.
type Precision int

const (
	YearPrecision Precision = iota + 1
	MonthPrecision
	DayPrecision
	HourPrecision
	MinutePrecision
	SecondPrecision
	MillisecondPrecision // seconds with a fraction
)

// Temporal is a FHIRPath Date, DateTime or Time with the precision it was
// written with: @2019 is a year, not 2019-01-01.
type Temporal struct {
	Kind      TemporalKind
	Precision Precision
	Year      int
	Month     int // 1-12
	Day       int
	Hour      int
	Minute    int
	Second    int
	Nano      int // fraction of the second
	// FracDigits is the number of fraction digits written (0 when none).
	FracDigits int
	HasZone    bool
	// ZoneMinutes is the offset east of UTC, when HasZone.
	ZoneMinutes int
}

// ParseDate reads a FHIR date (YYYY, YYYY-MM, YYYY-MM-DD).
func ParseDate(s string) (Temporal, error) {
	t, rest, err := parseDatePart(s)
	if err != nil || rest != "" {
		return Temporal{}, fmt.Errorf("invalid date %q", s)
	}
	return t, nil
}

// ParseDateTime reads a FHIR dateTime or instant, or a FHIRPath DateTime
// literal body: 2019, 2019-01-01T, 2019-01-01T10:00:00.123+02:00.
func ParseDateTime(s string) (Temporal, error) {
	t, rest, err := parseDatePart(s)
	if err != nil {
		return Temporal{}, fmt.Errorf("invalid dateTime %q", s)
	}
	t.Kind = DateTimeKind
	if rest == "" {
		return t, nil
	}
	if rest[0] != 'T' {
		return Temporal{}, fmt.Errorf("invalid dateTime %q", s)
	}
	rest = rest[1:]
	if rest == "" { // @2019-01-01T
		return t, nil
	}
	if t.Precision != DayPrecision {
		return Temporal{}, fmt.Errorf("invalid dateTime %q: a time needs a full date", s)
	}
	tm, rest, err := parseTimePart(rest)
	if err != nil {
		return Temporal{}, fmt.Errorf("invalid dateTime %q", s)
	}
	t.Hour, t.Minute, t.Second, t.Nano, t.FracDigits, t.Precision = tm.Hour, tm.Minute, tm.Second, tm.Nano, tm.FracDigits, tm.Precision
	if rest != "" {
		off, ok := parseZone(rest)
		if !ok {
			return Temporal{}, fmt.Errorf("invalid time zone in dateTime %q", s)
		}
		t.HasZone, t.ZoneMinutes = true, off
	}
	return t, nil
}

// ParseTime reads a FHIR time or FHIRPath Time literal body (10, 10:00,
// 10:00:00.5).
func ParseTime(s string) (Temporal, error) {
	t, rest, err := parseTimePart(s)
	if err != nil || rest != "" {
		return Temporal{}, fmt.Errorf("invalid time %q", s)
	}
	return t, nil
}

func parseDatePart(s string) (Temporal, string, error) {
	t := Temporal{Kind: DateKind}
	n, ok := digitsAt(s, 0, 4)
	if !ok {
		return t, s, fmt.Errorf("no year")
	}
	t.Year, t.Precision, s = n, YearPrecision, s[4:]
	if len(s) >= 3 && s[0] == '-' {
		n, ok := digitsAt(s, 1, 2)
		if !ok || n < 1 || n > 12 {
			return t, s, fmt.Errorf("bad month")
		}
		t.Month, t.Precision, s = n, MonthPrecision, s[3:]
		if len(s) >= 3 && s[0] == '-' {
			n, ok := digitsAt(s, 1, 2)
			if !ok || n < 1 || n > daysIn(t.Year, t.Month) {
				return t, s, fmt.Errorf("bad day")
			}
			t.Day, t.Precision, s = n, DayPrecision, s[3:]
		}
	}
	return t, s, nil
}

func parseTimePart(s string) (Temporal, string, error) {
	t := Temporal{Kind: TimeKind}
	n, ok := digitsAt(s, 0, 2)
	if !ok || n > 23 {
		return t, s, fmt.Errorf("bad hour")
	}
	t.Hour, t.Precision, s = n, HourPrecision, s[2:]
	if len(s) >= 3 && s[0] == ':' {
		n, ok := digitsAt(s, 1, 2)
		if !ok || n > 59 {
			return t, s, fmt.Errorf("bad minute")
		}
		t.Minute, t.Precision, s = n, MinutePrecision, s[3:]
		if len(s) >= 3 && s[0] == ':' {
			n, ok := digitsAt(s, 1, 2)
			if !ok || n > 60 {
				return t, s, fmt.Errorf("bad second")
			}
			t.Second, t.Precision, s = n, SecondPrecision, s[3:]
			if len(s) >= 2 && s[0] == '.' && isDigit(s[1]) {
				i := 1
				for i < len(s) && isDigit(s[i]) {
					i++
				}
				frac := s[1:i]
				t.FracDigits = len(frac)
				ns := frac
				if len(ns) > 9 {
					ns = ns[:9]
				}
				ns += strings.Repeat("0", 9-len(ns))
				fmt.Sscan(ns, &t.Nano)
				t.Precision, s = MillisecondPrecision, s[i:]
			}
		}
	}
	return t, s, nil
}

func parseZone(s string) (int, bool) {
	if s == "Z" {
		return 0, true
	}
	if len(s) != 6 || (s[0] != '+' && s[0] != '-') || s[3] != ':' {
		return 0, false
	}
	h, ok1 := digitsAt(s, 1, 2)
	m, ok2 := digitsAt(s, 4, 2)
	if !ok1 || !ok2 || h > 14 || m > 59 {
		return 0, false
	}
	off := h*60 + m
	if s[0] == '-' {
		off = -off
	}
	return off, true
}

func digitsAt(s string, at, n int) (int, bool) {
	if at+n > len(s) {
		return 0, false
	}
	v := 0
	for i := at; i < at+n; i++ {
		if !isDigit(s[i]) {
			return 0, false
		}
		v = v*10 + int(s[i]-'0')
	}
	return v, true
}

func daysIn(year, month int) int {
	return time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// String writes t in FHIR form, without the FHIRPath '@': 2019-01,
// 2019-01-01T10:00:00.000+02:00, 10:30.
func (t Temporal) String() string {
	var b strings.Builder
	if t.Kind != TimeKind {
		fmt.Fprintf(&b, "%04d", t.Year)
		if t.Precision >= MonthPrecision {
			fmt.Fprintf(&b, "-%02d", t.Month)
		}
		if t.Precision >= DayPrecision {
			fmt.Fprintf(&b, "-%02d", t.Day)
		}
		if t.Kind == DateKind || t.Precision <= DayPrecision {
			return b.String()
		}
		b.WriteByte('T')
	}
	fmt.Fprintf(&b, "%02d", t.Hour)
	if t.Precision >= MinutePrecision {
		fmt.Fprintf(&b, ":%02d", t.Minute)
	}
	if t.Precision >= SecondPrecision {
		fmt.Fprintf(&b, ":%02d", t.Second)
	}
	if t.Precision == MillisecondPrecision {
		digits := max(t.FracDigits, 1)
		frac := fmt.Sprintf("%09d", t.Nano)
		if digits <= 9 {
			frac = frac[:digits]
		}
		b.WriteString("." + frac)
	}
	if t.HasZone && t.Kind == DateTimeKind {
		if t.ZoneMinutes == 0 {
			b.WriteString("Z")
		} else {
			off, sign := t.ZoneMinutes, '+'
			if off < 0 {
				off, sign = -off, '-'
			}
			fmt.Fprintf(&b, "%c%02d:%02d", sign, off/60, off%60)
		}
	}
	return b.String()
}

// literal writes t as a FHIRPath literal.
func (t Temporal) literal() string {
	s := t.String()
	if t.Kind == TimeKind {
		return "@T" + s
	}
	if t.Kind == DateTimeKind && t.Precision <= DayPrecision {
		return "@" + s + "T"
	}
	return "@" + s
}

// asDateTime converts a Date to a DateTime of the same precision.
func (t Temporal) asDateTime() Temporal {
	if t.Kind == DateKind {
		t.Kind = DateTimeKind
	}
	return t
}

// utc shifts a DateTime with a time zone and a time part to UTC. A DateTime
// without a zone is taken to be in UTC.
func (t Temporal) utc() Temporal {
	if t.Kind != DateTimeKind || !t.HasZone || t.ZoneMinutes == 0 || t.Precision < HourPrecision {
		return t
	}
	g := time.Date(t.Year, time.Month(t.Month), t.Day, t.Hour, t.Minute, t.Second, t.Nano, time.FixedZone("", t.ZoneMinutes*60)).UTC()
	t.Year, t.Month, t.Day, t.Hour, t.Minute, t.Second, t.Nano = g.Year(), int(g.Month()), g.Day(), g.Hour(), g.Minute(), g.Second(), g.Nanosecond()
	t.ZoneMinutes = 0
	return t
}

// compareTemporal orders a and b. ok is false when the answer is unknown
// because one is less precise than the other and they agree as far as
// both are known (@2019 vs @2019-05). Seconds and fractions are one
// precision, as the spec says. Both must be of the same kind (a Date is
// compared as a DateTime with a DateTime).
func compareTemporal(a, b Temporal) (cmp int, ok bool) {
	if a.Kind == DateKind && b.Kind == DateTimeKind {
		a = a.asDateTime()
	}
	if b.Kind == DateKind && a.Kind == DateTimeKind {
		b = b.asDateTime()
	}
	a, b = a.utc(), b.utc()
	pa, pb := min(a.Precision, SecondPrecision), min(b.Precision, SecondPrecision)
	fa := [...]int{a.Year, a.Month, a.Day, a.Hour, a.Minute, a.Second*1_000_000_000 + a.Nano}
	fb := [...]int{b.Year, b.Month, b.Day, b.Hour, b.Minute, b.Second*1_000_000_000 + b.Nano}
	first, last := YearPrecision, SecondPrecision
	if a.Kind == TimeKind {
		first = HourPrecision
	}
	for p := first; p <= last; p++ {
		if p > pa || p > pb {
			break
		}
		x, y := fa[p-1], fb[p-1]
		if x != y {
			if x < y {
				return -1, true
			}
			return 1, true
		}
	}
	if pa != pb {
		return 0, false
	}
	return 0, true
}

// lowBoundary and highBoundary: the least and greatest values t may stand
// for, at precision digits (4 year … 17 millisecond for dates and
// dateTimes; 2 hour … 9 millisecond for times). A DateTime without a zone
// takes the earliest (+14:00) or latest (-12:00) zone.
func (t Temporal) boundary(high bool, digits int) (Temporal, bool) {
	var prec Precision
	if t.Kind == TimeKind {
		switch digits {
		case 2:
			prec = HourPrecision
		case 4:
			prec = MinutePrecision
		case 6:
			prec = SecondPrecision
		case 9:
			prec = MillisecondPrecision
		default:
			return Temporal{}, false
		}
	} else {
		switch digits {
		case 4:
			prec = YearPrecision
		case 6:
			prec = MonthPrecision
		case 8:
			prec = DayPrecision
		case 10:
			prec = HourPrecision
		case 12:
			prec = MinutePrecision
		case 14:
			prec = SecondPrecision
		case 17:
			prec = MillisecondPrecision
		default:
			return Temporal{}, false
		}
		if t.Kind == DateKind && prec > DayPrecision {
			return Temporal{}, false
		}
	}
	r := t
	if r.Precision < MonthPrecision {
		r.Month = pick(high, 12, 1)
	}
	if r.Precision < DayPrecision {
		r.Day = pick(high, daysIn(r.Year, r.Month), 1)
	}
	if r.Precision < HourPrecision {
		r.Hour = pick(high, 23, 0)
	}
	if r.Precision < MinutePrecision {
		r.Minute = pick(high, 59, 0)
	}
	if r.Precision < SecondPrecision {
		r.Second = pick(high, 59, 0)
	}
	if r.Precision < MillisecondPrecision {
		r.Nano = pick(high, 999_000_000, 0)
	}
	if r.Kind == DateTimeKind && !r.HasZone && prec >= HourPrecision {
		r.HasZone, r.ZoneMinutes = true, pick(high, -12*60, 14*60)
	}
	r.Precision = prec
	if prec == MillisecondPrecision {
		r.FracDigits = 3
		r.Nano = r.Nano / 1_000_000 * 1_000_000
	} else {
		r.FracDigits, r.Nano = 0, 0
	}
	// drop the fields beyond the precision
	if prec < SecondPrecision {
		r.Second = 0
	}
	if prec < MinutePrecision {
		r.Minute = 0
	}
	if prec < HourPrecision {
		r.Hour = 0
		if r.Kind == DateTimeKind {
			r.HasZone, r.ZoneMinutes = t.HasZone, t.ZoneMinutes
		}
	}
	if prec < DayPrecision && r.Kind != TimeKind {
		r.Day = 0
	}
	if prec < MonthPrecision && r.Kind != TimeKind {
		r.Month = 0
	}
	return r, true
}

func pick(high bool, hi, lo int) int {
	if high {
		return hi
	}
	return lo
}

// addDuration adds n units (year, month, week, day, hour, minute, second,
// millisecond) to t, clamping the day to the end of the month when adding
// months or years, as the spec says.
func (t Temporal) addDuration(n int64, unit string) (Temporal, error) {
	switch unit {
	case "year", "month":
		months := n
		if unit == "year" {
			months *= 12
		}
		total := int64(t.Year)*12 + int64(t.Month-1) + months
		if t.Kind == TimeKind {
			return t, fmt.Errorf("cannot add %s to a time", unit)
		}
		if t.Precision < MonthPrecision {
			// a year-precision value moves by whole years only
			t.Year += int(months / 12)
			return t, nil
		}
		t.Year, t.Month = int(total/12), int(total%12)+1
		if t.Precision >= DayPrecision && t.Day > daysIn(t.Year, t.Month) {
			t.Day = daysIn(t.Year, t.Month)
		}
		return t, nil
	}
	var d time.Duration
	switch unit {
	case "week":
		d = time.Duration(n) * 7 * 24 * time.Hour
	case "day":
		d = time.Duration(n) * 24 * time.Hour
	case "hour":
		d = time.Duration(n) * time.Hour
	case "minute":
		d = time.Duration(n) * time.Minute
	case "second":
		d = time.Duration(n) * time.Second
	case "millisecond":
		d = time.Duration(n) * time.Millisecond
	default:
		return t, fmt.Errorf("cannot add a quantity in %q to a date or time (use a calendar duration such as 1 day)", unit)
	}
	if t.Kind == TimeKind {
		g := time.Date(2000, 1, 1, t.Hour, t.Minute, t.Second, t.Nano, time.UTC).Add(d)
		t.Hour, t.Minute, t.Second, t.Nano = g.Hour(), g.Minute(), g.Second(), g.Nanosecond()
		return t, nil
	}
	if t.Precision < DayPrecision {
		// too coarse: whole years or months only
		days := int64(d / (24 * time.Hour))
		if t.Precision == MonthPrecision {
			return t.addDuration(days/30, "month")
		}
		return t.addDuration(days/365, "year")
	}
	g := time.Date(t.Year, time.Month(t.Month), t.Day, t.Hour, t.Minute, t.Second, t.Nano, time.UTC).Add(d)
	t.Year, t.Month, t.Day = g.Year(), int(g.Month()), g.Day()
	if t.Precision >= HourPrecision {
		t.Hour, t.Minute, t.Second, t.Nano = g.Hour(), g.Minute(), g.Second(), g.Nanosecond()
	}
	return t, nil
}

// temporalFromTime converts a Go time to a DateTime at millisecond
// precision.
func temporalFromTime(g time.Time, kind TemporalKind) Temporal {
	_, off := g.Zone()
	t := Temporal{Kind: kind, Year: g.Year(), Month: int(g.Month()), Day: g.Day(), Hour: g.Hour(), Minute: g.Minute(),
		Second: g.Second(), Nano: g.Nanosecond() / 1_000_000 * 1_000_000, FracDigits: 3, HasZone: true, ZoneMinutes: off / 60}
	switch kind {
	case DateKind:
		t.Precision, t.Hour, t.Minute, t.Second, t.Nano, t.FracDigits, t.HasZone = DayPrecision, 0, 0, 0, 0, 0, false
	case TimeKind:
		t.Precision, t.Year, t.Month, t.Day, t.HasZone = MillisecondPrecision, 0, 0, 0, false
	default:
		t.Precision = MillisecondPrecision
	}
	return t
}
