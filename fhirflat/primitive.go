package fhirflat

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// Lexical checks of FHIR primitive values, written out by hand from the
// regular expressions in the R4 definitions (they are on the write path).

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return len(s) > 0
}

func twoDigits(s string, lo, hi int) bool {
	if len(s) != 2 || !isDigits(s) {
		return false
	}
	v := int(s[0]-'0')*10 + int(s[1]-'0')
	return v >= lo && v <= hi
}

// checkDate accepts YYYY, YYYY-MM and YYYY-MM-DD (a real calendar day).
func checkDate(s string) bool {
	if len(s) < 4 || !isDigits(s[:4]) || s[:4] == "0000" {
		return false
	}
	switch len(s) {
	case 4:
		return true
	case 7:
		return s[4] == '-' && twoDigits(s[5:7], 1, 12)
	case 10:
		if s[4] != '-' || s[7] != '-' || !twoDigits(s[5:7], 1, 12) || !twoDigits(s[8:10], 1, 31) {
			return false
		}
		_, err := time.Parse("2006-01-02", s)
		return err == nil
	}
	return false
}

// checkTime accepts hh:mm:ss with optional fractional seconds.
func checkTime(s string) bool {
	if len(s) < 8 || s[2] != ':' || s[5] != ':' || !twoDigits(s[0:2], 0, 23) || !twoDigits(s[3:5], 0, 59) || !twoDigits(s[6:8], 0, 60) {
		return false
	}
	if len(s) == 8 {
		return true
	}
	return s[8] == '.' && isDigits(s[9:])
}

// checkZone accepts Z or ±hh:mm with hh up to 14.
func checkZone(s string) bool {
	if s == "Z" {
		return true
	}
	return len(s) == 6 && (s[0] == '+' || s[0] == '-') && s[3] == ':' &&
		twoDigits(s[1:3], 0, 14) && twoDigits(s[4:6], 0, 59)
}

// checkDateTime accepts a date, or a full date with a time and a zone.
func checkDateTime(s string) bool {
	t := strings.IndexByte(s, 'T')
	if t < 0 {
		return checkDate(s)
	}
	if t != 10 || !checkDate(s[:10]) {
		return false
	}
	rest := s[11:]
	z := strings.IndexAny(rest, "Z+-")
	if z < 0 {
		return false
	}
	return checkTime(rest[:z]) && checkZone(rest[z:])
}

// parseInstant parses a full date-time with zone.
func parseInstant(s string) (time.Time, bool) {
	if len(s) < 20 || s[10] != 'T' || !checkDateTime(s) {
		return time.Time{}, false
	}
	v := s
	if strings.HasSuffix(v, ":60Z") || strings.Contains(v, ":60.") || strings.Contains(v, ":60+") || strings.Contains(v, ":60-") {
		return time.Time{}, false // leap seconds cannot be stored as TIMESTAMPTZ
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, false
	}
	return t, true
}

// FormatInstant is the canonical text of an instant: UTC, fractional
// seconds without trailing zeros.
func FormatInstant(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// FormatDecimal is the canonical text of a decimal read back from a DOUBLE:
// the shortest form that parses to the same value, as JSON encoders write it.
func FormatDecimal(f float64) string {
	abs := math.Abs(f)
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		s := strconv.FormatFloat(f, 'e', -1, 64)
		// e-07 → e-7, as JSON encoders do
		if n := len(s); n >= 4 && s[n-4] == 'e' && s[n-3] == '-' && s[n-2] == '0' {
			s = s[:n-2] + s[n-1:]
		}
		return s
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

func checkID(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// checkCode: no leading or trailing white space, single spaces inside.
func checkCode(s string) bool {
	if s == "" || isSpace(s[0]) || isSpace(s[len(s)-1]) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if isSpace(s[i]) && (s[i] != ' ' || isSpace(s[i+1])) {
			return false
		}
	}
	return true
}

// checkURI: no white space at all.
func checkURI(s string) bool {
	for i := 0; i < len(s); i++ {
		if isSpace(s[i]) {
			return false
		}
	}
	return s != ""
}

// checkString: not empty and not only white space.
func checkString(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isSpace(s[i]) {
			return true
		}
	}
	return false
}

func checkBase64(s string) bool {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '+', c == '/', c == '=':
			n++
		case isSpace(c):
		default:
			return false
		}
	}
	return n > 0 && n%4 == 0
}

func checkOID(s string) bool {
	rest, ok := strings.CutPrefix(s, "urn:oid:")
	if !ok || rest == "" || rest[0] < '0' || rest[0] > '2' {
		return false
	}
	for _, part := range strings.Split(rest, ".") {
		if !isDigits(part) || (len(part) > 1 && part[0] == '0') {
			return false
		}
	}
	return true
}

func checkUUID(s string) bool {
	rest, ok := strings.CutPrefix(s, "urn:uuid:")
	if !ok || len(rest) != 36 {
		return false
	}
	for i := 0; i < 36; i++ {
		c := rest[i]
		if i == 8 || i == 13 || i == 18 || i == 23 {
			if c != '-' {
				return false
			}
		} else if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// checkPrimitiveString validates the lexical form of a string-valued
// primitive; it returns a short description of the expected form on failure.
func checkPrimitiveString(code, s string) (ok bool, want string) {
	switch code {
	case "date":
		return checkDate(s), "a date (YYYY, YYYY-MM or YYYY-MM-DD)"
	case "dateTime":
		return checkDateTime(s), "a dateTime (YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm:ss[.fff](Z|±hh:mm))"
	case "time":
		return checkTime(s), "a time (hh:mm:ss[.fff])"
	case "id":
		return checkID(s), "an id (1-64 of A-Z a-z 0-9 - .)"
	case "code":
		return checkCode(s), "a code (no leading, trailing or double white space)"
	case "uri":
		return checkURI(s), "a uri without white space"
	case "url":
		return checkURI(s), "a url without white space"
	case "canonical":
		return checkURI(s), "a canonical without white space"
	case "oid":
		return checkOID(s), "an oid (urn:oid:1.2.3)"
	case "uuid":
		return checkUUID(s), "a uuid (urn:uuid: and 36 lower-case hex characters with dashes)"
	case "base64Binary":
		return checkBase64(s), "base64 data"
	}
	return checkString(s), "a non-empty string"
}
