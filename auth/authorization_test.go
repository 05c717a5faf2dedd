package auth

import (
	"strings"
	"testing"
)

const goodAuthorization = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, " +
	"SignedHeaders=content-type;host;x-amz-date, Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"

func TestParseAuthorization(t *testing.T) {
	for _, h := range []string{
		goodAuthorization,
		strings.ReplaceAll(goodAuthorization, ", ", ","),    // no spaces
		strings.ReplaceAll(goodAuthorization, ", ", " ,  "), // extra spaces
		goodAuthorization + ", ",                            // trailing comma
	} {
		s, e := parseAuthorization(h)
		if e != nil {
			t.Fatalf("%q: %v", h, e)
		}
		if s.accessKeyID != "AKIDEXAMPLE" || s.scope != "20150830/us-east-1/iam/aws4_request" || s.region != "us-east-1" ||
			s.service != "iam" || s.scopeDate != "20150830" || s.signedHeaders != "content-type;host;x-amz-date" ||
			len(s.headers) != 3 || s.sig[0] != 0x5d || s.sig[31] != 0xd7 {
			t.Fatalf("%q parsed as %+v", h, s)
		}
	}
}

func TestParseAuthorizationErrors(t *testing.T) {
	sig := "Signature=" + strings.Repeat("a", 64)
	cases := []struct{ header, code, message string }{
		{"Basic dXNlcjpwYXNz", CodeIncompleteSignature, "Authorization header scheme 'Basic' is not supported"},
		{"AWS4-ECDSA-P256-SHA256 Credential=x", CodeIncompleteSignature, "Unsupported AWS signature algorithm 'AWS4-ECDSA-P256-SHA256'"},
		{"AWS4-HMAC-SHA256", CodeIncompleteSignature,
			"Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter."},
		{"AWS4-HMAC-SHA256 Credential=A/20150830/us-east-1/iam/aws4_request, " + sig, CodeIncompleteSignature,
			"Authorization header requires 'SignedHeaders' parameter."},
		{"AWS4-HMAC-SHA256 Credential=A/20150830/us-east-1/iam/aws4_request SignedHeaders=host, " + sig, CodeIncompleteSignature,
			"Authorization header requires 'SignedHeaders' parameter."}, // missing comma
		{"AWS4-HMAC-SHA256 Credential AKID/20150830/us-east-1/iam/aws4_request, SignedHeaders=host, " + sig, CodeIncompleteSignature,
			"'Credential AKID/20150830/us-east-1/iam/aws4_request' not a valid key=value pair (missing equal-sign) in Authorization header."},
		{"AWS4-HMAC-SHA256 Credential=A/20150830/us-east-1/iam, SignedHeaders=host, " + sig, CodeIncompleteSignature,
			"Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got 'A/20150830/us-east-1/iam'"},
		{"AWS4-HMAC-SHA256 Credential=/20150830/us-east-1/iam/aws4_request, SignedHeaders=host, " + sig, CodeIncompleteSignature,
			"Credential has an empty access key ID"},
		{"AWS4-HMAC-SHA256 Credential=A/2015-08-30/us-east-1/iam/aws4_request, SignedHeaders=host, " + sig, CodeIncompleteSignature,
			"Credential date '2015-08-30' is not of the form YYYYMMDD."},
		{"AWS4-HMAC-SHA256 Credential=A/20150830/us-east-1/iam/aws5_request, SignedHeaders=host, " + sig, CodeInvalidSignature,
			"Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'."},
		{"AWS4-HMAC-SHA256 Credential=A/20150830/us-east-1/iam/aws4_request, SignedHeaders=x-amz-date, " + sig, CodeIncompleteSignature,
			"'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."},
		{"AWS4-HMAC-SHA256 Credential=A/20150830/us-east-1/iam/aws4_request, SignedHeaders=Host;X-Amz-Date, " + sig, CodeIncompleteSignature,
			"SignedHeaders must be a ';'-separated list of lower-case header names, got 'Host;X-Amz-Date'."},
		{"AWS4-HMAC-SHA256 Credential=A/20150830/us-east-1/iam/aws4_request, SignedHeaders=host;;x, " + sig, CodeIncompleteSignature,
			"SignedHeaders must be a ';'-separated list"},
		{"AWS4-HMAC-SHA256 Credential=A/20150830/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=abc", CodeIncompleteSignature,
			"Signature must be 64 hexadecimal characters, got 3 characters."},
		{"AWS4-HMAC-SHA256 Credential=A/20150830/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=" + strings.Repeat("g", 64), CodeIncompleteSignature,
			"Signature must be 64 hexadecimal characters, got 'gggg"},
		{"AWS4-HMAC-SHA256 Credential=A/20150830/us-east-1/iam/aws4_request, SignedHeaders=host, Foo=bar, " + sig, CodeIncompleteSignature,
			"Authorization header has an unknown parameter 'Foo'"},
		{"AWS4-HMAC-SHA256 Credential=A/20150830/us-east-1/iam/aws4_request, SignedHeaders=host, " + sig + ", " + sig, CodeIncompleteSignature,
			"Authorization header has parameter 'Signature' twice."},
	}
	for _, c := range cases {
		_, e := parseAuthorization(c.header)
		if e == nil {
			t.Errorf("%q: accepted", c.header)
			continue
		}
		if e.Code != c.code || !strings.Contains(e.Message, c.message) {
			t.Errorf("%q:\n got %s: %s\nwant %s: %s", c.header, e.Code, e.Message, c.code, c.message)
		}
	}
}

// FuzzParseAuthorization checks that any header either parses into a
// signature whose parts re-form the header's Credential, or fails with an
// *Error carrying an AWS code, and never panics.
func FuzzParseAuthorization(f *testing.F) {
	f.Add(goodAuthorization)
	f.Add("AWS4-HMAC-SHA256 Credential=a/20200101/r/s/aws4_request,SignedHeaders=host,Signature=" + strings.Repeat("0", 64))
	f.Add("AWS4-HMAC-SHA256 Credential=,SignedHeaders=,Signature=")
	f.Add("AWS4-HMAC-SHA256 ,,,=,==")
	f.Add("Bearer token")
	f.Add("")
	f.Fuzz(func(t *testing.T, h string) {
		s, e := parseAuthorization(h)
		if e != nil {
			switch e.Code {
			case CodeIncompleteSignature, CodeInvalidSignature:
			default:
				t.Fatalf("%q: unexpected code %s", h, e.Code)
			}
			if e.Message == "" || e.Status != 403 {
				t.Fatalf("%q: error without message or status: %+v", h, e)
			}
			return
		}
		cred := s.accessKeyID + "/" + s.scope
		if !strings.Contains(h, "Credential="+cred) || strings.Count(s.scope, "/") != 3 || !strings.HasSuffix(s.scope, "/aws4_request") {
			t.Fatalf("%q: credential parsed as %q", h, cred)
		}
		if !signs(&s, "host") || strings.Join(s.headers, ";") != s.signedHeaders {
			t.Fatalf("%q: signed headers %q", h, s.headers)
		}
	})
}
