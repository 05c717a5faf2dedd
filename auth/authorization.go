package auth

import (
	"encoding/hex"
	"net/url"
	"strconv"
	"strings"
)

const (
	algorithm     = "AWS4-HMAC-SHA256"
	terminator    = "aws4_request"
	amzDateFormat = "20060102T150405Z"
	maxPresignAge = 7 * 24 * 60 * 60 // seconds; AWS's limit for X-Amz-Expires
)

// signature is what a request claims: the parsed Authorization header or
// presigned query parameters.
type signature struct {
	accessKeyID string
	scopeDate   string // yyyymmdd
	region      string
	service     string
	scope       string // scopeDate/region/service/aws4_request
	// signedHeaders is the SignedHeaders list verbatim; headers is it split.
	signedHeaders string
	headers       []string
	sig           [32]byte

	presigned bool
	amzDate   string // X-Amz-Date of a presigned URL
	expires   int    // X-Amz-Expires of a presigned URL, seconds
}

// parseAuthorization parses an Authorization header of the form
//
//	AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/iam/aws4_request, SignedHeaders=host;x-amz-date, Signature=hex
func parseAuthorization(h string) (signature, *Error) {
	scheme, params, _ := strings.Cut(strings.TrimLeft(h, " \t"), " ")
	if scheme != algorithm {
		if strings.HasPrefix(scheme, "AWS4-") {
			return signature{}, authError(CodeIncompleteSignature,
				"Unsupported AWS signature algorithm '%s': fhirlake accepts AWS4-HMAC-SHA256 (Signature Version 4).", clip(scheme))
		}
		return signature{}, authError(CodeIncompleteSignature,
			"Authorization header scheme '%s' is not supported: sign requests with AWS Signature Version 4 (AWS4-HMAC-SHA256).", clip(scheme))
	}
	var cred, signed, sig string
	var haveCred, haveSigned, haveSig bool
	for part := range strings.SplitSeq(params, ",") {
		part = strings.Trim(part, " \t")
		if part == "" {
			continue
		}
		key, value, ok := strings.Cut(part, "=")
		if !ok {
			return signature{}, authError(CodeIncompleteSignature,
				"'%s' not a valid key=value pair (missing equal-sign) in Authorization header.", clip(part))
		}
		var seen *bool
		switch key {
		case "Credential":
			cred, seen = value, &haveCred
		case "SignedHeaders":
			signed, seen = value, &haveSigned
		case "Signature":
			sig, seen = value, &haveSig
		default:
			return signature{}, authError(CodeIncompleteSignature,
				"Authorization header has an unknown parameter '%s'; expected Credential, SignedHeaders and Signature.", clip(key))
		}
		if *seen {
			return signature{}, authError(CodeIncompleteSignature, "Authorization header has parameter '%s' twice.", key)
		}
		*seen = true
	}
	var missing []string
	for _, p := range []struct {
		name string
		ok   bool
	}{{"Credential", haveCred}, {"Signature", haveSig}, {"SignedHeaders", haveSigned}} {
		if !p.ok {
			missing = append(missing, "Authorization header requires '"+p.name+"' parameter.")
		}
	}
	if missing != nil {
		return signature{}, authError(CodeIncompleteSignature, "%s", strings.Join(missing, " "))
	}
	return newSignature(cred, signed, sig)
}

// parsePresigned reads the X-Amz-* parameters of a presigned URL.
func parsePresigned(q url.Values) (signature, *Error) {
	var missing []string
	get := func(name string) string {
		v := q[name]
		if len(v) == 0 {
			missing = append(missing, "'"+name+"'")
			return ""
		}
		return v[0]
	}
	alg, cred, signed, sig := get("X-Amz-Algorithm"), get("X-Amz-Credential"), get("X-Amz-SignedHeaders"), get("X-Amz-Signature")
	date, expires := get("X-Amz-Date"), get("X-Amz-Expires")
	if missing != nil {
		return signature{}, authError(CodeIncompleteSignature,
			"AWS query-string parameters must include %s. Re-examine the query-string parameters.", strings.Join(missing, ", "))
	}
	if alg != algorithm {
		return signature{}, authError(CodeIncompleteSignature,
			"X-Amz-Algorithm '%s' is not supported: fhirlake accepts AWS4-HMAC-SHA256.", clip(alg))
	}
	n, err := strconv.Atoi(expires)
	if err != nil || n < 1 || n > maxPresignAge {
		return signature{}, authError(CodeIncompleteSignature,
			"X-Amz-Expires must be a whole number of seconds from 1 to %d, got '%s'.", maxPresignAge, clip(expires))
	}
	s, e := newSignature(cred, signed, sig)
	if e != nil {
		return s, e
	}
	s.presigned, s.amzDate, s.expires = true, date, n
	return s, nil
}

func newSignature(cred, signedHeaders, sig string) (signature, *Error) {
	var s signature
	parts := strings.Split(cred, "/")
	if len(parts) != 5 {
		return s, authError(CodeIncompleteSignature,
			"Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '%s'", clip(cred))
	}
	s.accessKeyID, s.scopeDate, s.region, s.service = parts[0], parts[1], parts[2], parts[3]
	if s.accessKeyID == "" {
		return s, authError(CodeIncompleteSignature, "Credential has an empty access key ID: '%s'", clip(cred))
	}
	if !isDigits(s.scopeDate, 8) {
		return s, authError(CodeIncompleteSignature, "Credential date '%s' is not of the form YYYYMMDD.", clip(s.scopeDate))
	}
	if parts[4] != terminator {
		return s, authError(CodeInvalidSignature,
			"Credential should be scoped with a valid terminator: 'aws4_request', not '%s'.", clip(parts[4]))
	}
	s.scope = cred[len(s.accessKeyID)+1:]

	s.signedHeaders = signedHeaders
	s.headers = strings.Split(signedHeaders, ";")
	hasHost := false
	for _, h := range s.headers {
		if h == "" || strings.ToLower(h) != h || strings.ContainsAny(h, " \t:") {
			return s, authError(CodeIncompleteSignature,
				"SignedHeaders must be a ';'-separated list of lower-case header names, got '%s'.", clip(signedHeaders))
		}
		hasHost = hasHost || h == "host"
	}
	if !hasHost {
		return s, authError(CodeIncompleteSignature, "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")
	}

	if len(sig) != 64 {
		return s, authError(CodeIncompleteSignature, "Signature must be 64 hexadecimal characters, got %d characters.", len(sig))
	}
	if _, err := hex.Decode(s.sig[:], []byte(sig)); err != nil {
		return s, authError(CodeIncompleteSignature, "Signature must be 64 hexadecimal characters, got '%s'.", clip(sig))
	}
	return s, nil
}

func isDigits(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// clip keeps echoed client input short in error messages.
func clip(s string) string {
	const max = 128
	if len(s) > max {
		return s[:max] + "..."
	}
	return s
}
