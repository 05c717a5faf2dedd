package control

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// Request members are checked against the constraints of HealthLake's API
// model (botocore healthlake/2017-07-01/service-2.json), and reported the
// way AWS reports them: "1 validation error detected: Value 'x' at
// 'datastoreName' failed to satisfy constraint: ...".

// members is a request object being read; problems accumulate in errs.
type members struct {
	m    map[string]json.RawMessage
	path string // "" at the top level, else e.g. "filter."
	errs *[]string
}

func parseRequest(body []byte) (members, *Error) {
	var errs []string
	if len(strings.TrimSpace(string(body))) == 0 {
		body = []byte("{}")
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		return members{}, validation("The request body is not a valid JSON object: %v", err)
	}
	if m == nil {
		return members{}, validation("The request body must be a JSON object, not null")
	}
	return members{m: m, errs: &errs}, nil
}

// lowerFirst gives AWS's member naming in messages: DatastoreName → datastoreName.
func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

func (o members) where(name string) string { return o.path + lowerFirst(name) }

func (o members) fail(format string, args ...any) {
	*o.errs = append(*o.errs, fmt.Sprintf(format, args...))
}

func (o members) violation(name string, value any, constraint string) {
	o.fail("Value '%v' at '%s' failed to satisfy constraint: %s", value, o.where(name), constraint)
}

// err returns the accumulated problems as one ValidationException.
func (o members) err() *Error {
	if len(*o.errs) == 0 {
		return nil
	}
	n := len(*o.errs)
	noun := "error"
	if n > 1 {
		noun = "errors"
	}
	return validation("%d validation %s detected: %s", n, noun, strings.Join(*o.errs, "; "))
}

func (o members) raw(name string) (json.RawMessage, bool) {
	v, ok := o.m[name]
	if !ok || string(v) == "null" {
		return nil, false
	}
	return v, true
}

func (o members) required(name string) {
	if _, ok := o.raw(name); !ok {
		o.fail("Value null at '%s' failed to satisfy constraint: Member must not be null", o.where(name))
	}
}

type strRule struct {
	min, max int            // length bounds in characters (max 0: none)
	pattern  *regexp.Regexp // nil: any
	enum     []string
}

func (o members) str(name string, r strRule) (string, bool) {
	v, ok := o.raw(name)
	if !ok {
		return "", false
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		o.fail("Value at '%s' must be a string, got %s", o.where(name), kindOf(v))
		return "", false
	}
	n := utf8.RuneCountInString(s)
	switch {
	case n < r.min:
		o.violation(name, s, fmt.Sprintf("Member must have length greater than or equal to %d", r.min))
		return "", false
	case r.max > 0 && n > r.max:
		o.violation(name, clip(s), fmt.Sprintf("Member must have length less than or equal to %d", r.max))
		return "", false
	case r.pattern != nil && !r.pattern.MatchString(s):
		o.violation(name, clip(s), "Member must satisfy regular expression pattern: "+r.pattern.String())
		return "", false
	case r.enum != nil && !contains(r.enum, s):
		o.violation(name, s, "Member must satisfy enum value set: ["+strings.Join(r.enum, ", ")+"]")
		return "", false
	}
	return s, true
}

func (o members) integer(name string, min, max int) (int, bool) {
	v, ok := o.raw(name)
	if !ok {
		return 0, false
	}
	var f float64
	if err := json.Unmarshal(v, &f); err != nil || f != math.Trunc(f) {
		o.fail("Value at '%s' must be an integer, got %s", o.where(name), kindOf(v))
		return 0, false
	}
	if f < float64(min) || f > float64(max) {
		o.violation(name, int64(f), fmt.Sprintf("Member must have value between %d and %d", min, max))
		return 0, false
	}
	return int(f), true
}

// timestamp reads an AWS JSON timestamp: epoch seconds, possibly fractional.
func (o members) timestamp(name string) (time.Time, bool) {
	v, ok := o.raw(name)
	if !ok {
		return time.Time{}, false
	}
	var f float64
	if err := json.Unmarshal(v, &f); err != nil {
		o.fail("Value at '%s' must be a timestamp in epoch seconds, got %s", o.where(name), kindOf(v))
		return time.Time{}, false
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC(), true
}

func (o members) object(name string) (members, bool) {
	v, ok := o.raw(name)
	if !ok {
		return members{}, false
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(v, &m); err != nil {
		o.fail("Value at '%s' must be an object, got %s", o.where(name), kindOf(v))
		return members{}, false
	}
	return members{m: m, path: o.where(name) + ".", errs: o.errs}, true
}

func (o members) list(name string, max int) ([]json.RawMessage, bool) {
	v, ok := o.raw(name)
	if !ok {
		return nil, false
	}
	var l []json.RawMessage
	if err := json.Unmarshal(v, &l); err != nil {
		o.fail("Value at '%s' must be a list, got %s", o.where(name), kindOf(v))
		return nil, false
	}
	if max > 0 && len(l) > max {
		o.violation(name, fmt.Sprintf("[%d items]", len(l)), fmt.Sprintf("Member must have length less than or equal to %d", max))
		return nil, false
	}
	return l, true
}

func kindOf(v json.RawMessage) string {
	s := strings.TrimSpace(string(v))
	if s == "" {
		return "nothing"
	}
	switch s[0] {
	case '"':
		return "a string"
	case '{':
		return "an object"
	case '[':
		return "a list"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

func clip(s string) string {
	if utf8.RuneCountInString(s) > 64 {
		r := []rune(s)
		return string(r[:61]) + "..."
	}
	return s
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Constraints from the API model.
var (
	namePattern   = regexp.MustCompile(`^([\p{L}\p{Z}\p{N}_.:/=+\-%@]*)$`)
	tokenPattern  = regexp.MustCompile(`^[a-zA-Z0-9-]+$`)
	tagPattern    = regexp.MustCompile(`^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$`)
	arnPattern    = regexp.MustCompile(`^arn:aws((-us-gov)|(-iso)|(-iso-b)|(-cn))?:healthlake:[a-z0-9-]+:\d{12}:datastore\/fhir\/.{32}`)
	kmsPattern    = regexp.MustCompile(`^(arn:aws((-us-gov)|(-iso)|(-iso-b)|(-cn))?:kms:)?([a-z]{2}-[a-z]+(-[a-z]+)?-\d:)?(\d{12}:)?(((key/)?[a-zA-Z0-9-_]+)|(alias/[a-zA-Z0-9:/_-]+))$`)
	s3URIPattern  = regexp.MustCompile(`^s3://[a-z0-9][\.\-a-z0-9]{1,61}[a-z0-9](/.*)?$`)
	rolePattern   = regexp.MustCompile(`^arn:aws(-[^:]+)?:iam::[0-9]{12}:role/.+$`)
	nextPattern   = regexp.MustCompile(`^[\x00-\x7F]*$`)
	datastoreRule = strRule{min: 1, max: 32, pattern: namePattern}
	nameRule      = strRule{min: 1, max: 256, pattern: namePattern}
	tokenRule     = strRule{min: 1, max: 64, pattern: tokenPattern}
	statusRule    = strRule{enum: []string{"CREATING", "ACTIVE", "DELETING", "DELETED", "CREATE_FAILED"}}
	nextRule      = strRule{max: 8192, pattern: nextPattern}
)
