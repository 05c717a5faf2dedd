package fhirflat

import (
	"crypto/md5"
	"encoding/binary"
	"regexp"
	"strings"
)

// Key columns make reference search fast. FHIR's most common search,
// everything about one patient (Observation?patient=X), compares the
// reference string of a column such as Observation.subject with a value,
// and DuckDB's scan can skip nothing for it: its statistics of a string
// column keep 8 bytes, and every value begins "Patient/". So each
// top-level single Reference column has a companion key column, a BIGINT
// computed from its reference string (RefKey, and the SQL macro
// fhir_ref_key). A scan that compares one 8-byte integer with a constant
// costs a tenth of one that compares the strings. Search tests the key
// first and then the string itself, so a collision of keys never yields a
// wrong match.
//
// A reference and its absolute form on any server (and a versioned one)
// have the same key: the key hashes the Type/id the reference ends with,
// so a search for Patient/1 tests one key, though it matches both
// Patient/1 and https://this.server/fhir/Patient/1.
//
// A layout records which of its columns have a key column (Node.Key):
// tables made before key columns existed have none, and search then
// compares the strings alone.

// KeySuffix ends the name of a key column: subject__key is the key of
// subject. FHIR element names never hold "__".
const KeySuffix = "__key"

// KeyColumn is the name of the key column of a top-level field.
func KeyColumn(f *Field) string { return f.Name + KeySuffix }

// refTail is the Type/id a reference ends with, before a version
// (RE2 syntax: the same in Go and in DuckDB).
const refTail = `([A-Za-z]+/[A-Za-z0-9.\-]{1,64})(/_history/[^/]*)?$`

var refTailRE = regexp.MustCompile(refTail)

// RefKey is the key of a reference string: the first 60 bits of the MD5
// of the Type/id it ends with (of the whole string when it does not end
// with one), big-endian. MD5 is the same in every DuckDB version, unlike
// DuckDB's hash(). fhir_ref_key computes the same in SQL.
func RefKey(ref string) int64 {
	tail := ref
	if strings.Contains(ref, "://") || strings.Contains(ref, "/_history/") {
		if m := refTailRE.FindStringSubmatch(ref); m != nil && m[1] != "" {
			tail = m[1]
		}
	}
	h := md5.Sum([]byte(tail))
	return int64(binary.BigEndian.Uint64(h[:8]) >> 4)
}

// keyed says a top-level field gets a key column: a single Reference.
func keyed(f *Field) bool {
	return f.Parent == nil && f.Kind == Struct && f.Type == "Reference" && !f.Many
}

// KeysSQL gives the select items (", expr AS name" each) that compute the
// key columns from the columns of a row aliased alias, for INSERT ... BY
// NAME.
func (l *Layout) KeysSQL(alias string) string {
	var b strings.Builder
	for _, n := range l.Root {
		if !n.Key {
			continue
		}
		b.WriteString(", ")
		hasRef := false
		for _, c := range n.Children {
			hasRef = hasRef || c.Field.Name == "reference"
		}
		if hasRef {
			b.WriteString("fhir_ref_key(" + alias + "." + QuoteIdent(n.Field.Name) + ".reference)")
		} else {
			b.WriteString("NULL::BIGINT") // no reference string was ever stored
		}
		b.WriteString(" AS ")
		b.WriteString(QuoteIdent(KeyColumn(n.Field)))
	}
	return b.String()
}
