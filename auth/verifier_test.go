package auth

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

var (
	testCreds = Credentials{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"}
	testNow   = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
)

func testVerifier() *Verifier {
	return &Verifier{Keys: testCreds, Now: func() time.Time { return testNow }}
}

// signed builds a request as a client would and signs it with the official
// AWS SDK for Go v2 signer.
func signed(t testing.TB, method, url string, body []byte, at time.Time, mutate func(*http.Request)) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body == nil {
		req.Body, req.ContentLength = http.NoBody, 0
	}
	if mutate != nil {
		mutate(req)
	}
	sum := sha256.Sum256(body)
	creds := aws.Credentials{AccessKeyID: testCreds.AccessKeyID, SecretAccessKey: testCreds.SecretAccessKey}
	query := req.URL.RawQuery
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "healthlake", "us-east-1", at); err != nil {
		t.Fatal(err)
	}
	// The signer rewrites the query in its canonical form; send it as the
	// caller wrote it instead, so that the verifier's canonicalisation is
	// what the test exercises.
	req.URL.RawQuery = query
	return req
}

// onServer turns a client request into the request a Go HTTP server sees,
// by writing it on the wire and parsing it back.
func onServer(t testing.TB, req *http.Request) (*http.Request, []byte) {
	t.Helper()
	var wire bytes.Buffer
	if err := req.Write(&wire); err != nil {
		t.Fatal(err)
	}
	sr, err := http.ReadRequest(bufio.NewReader(&wire))
	if err != nil {
		t.Fatalf("parse %q: %v", wire.String(), err)
	}
	body, err := io.ReadAll(sr.Body)
	if err != nil {
		t.Fatal(err)
	}
	return sr, body
}

func authErr(t *testing.T, err error) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not an *auth.Error", err, err)
	}
	return e
}

func TestVerifyAcceptsSDKSignedRequests(t *testing.T) {
	paths := []string{
		"/",
		"/datastore/0123456789abcdef/r4/Patient",
		"/datastore/abc/r4/Patient/$export",
		"/datastore/abc/r4/Patient/example/_history/2",
		"/a b/c d",
		"/ünïcödé/日本",
		"/a:b/c$d/e@f/g=h/i;j,k",
		"/a%2Fb/c",
		"/trailing/",
		"/a//b",
		"/a/./b/../c",
		"/x+y/~user/(paren)!*'",
	}
	queries := []string{
		"",
		"a=1",
		"b=2&a=1&a=0",
		"name=a%20b",
		"q=a+b",
		"k=a%2Fb&k=a-b",
		"%C3%A9=2&a=1",
		"empty=&flag",
		"_count=10&_sort=-date&_elements=id,meta",
		"code=http%3A%2F%2Floinc.org%7C1234-5",
		"code=http://loinc.org|1234-5&date=ge2020-01-01T00:00:00%2B01:00",
		"name:exact=M%C3%BCller&subject:Patient.name=x",
	}
	bodies := [][]byte{nil, {}, []byte(`{"resourceType":"Patient","name":[{"family":"Müller"}]}`), {0, 1, 2, 255, '\n'}}
	v := testVerifier()
	v.awsFormsOnly = true // the curl forms must not be what lets these pass
	for _, p := range paths {
		for _, q := range queries {
			for i, body := range bodies {
				url := "https://127.0.0.1:8443" + p
				if q != "" {
					url += "?" + q
				}
				method := []string{"GET", "POST", "PUT", "DELETE"}[i]
				req := signed(t, method, url, body, testNow.Add(-time.Minute), func(r *http.Request) {
					if body != nil {
						r.Header.Set("Content-Type", "application/fhir+json")
					}
				})
				sr, b := onServer(t, req)
				if err := v.Verify(sr, b); err != nil {
					t.Errorf("%s %s (body %d bytes): %v", method, sr.RequestURI, len(b), err)
				}
			}
		}
	}
}

// The example request of AWS's Signature Version 4 documentation (IAM
// ListUsers), with AWS's published signature: an oracle independent of the
// SDK's signer.
func TestVerifyAWSDocumentationExample(t *testing.T) {
	raw := "GET /?Action=ListUsers&Version=2010-05-08 HTTP/1.1\r\n" +
		"Host: iam.amazonaws.com\r\n" +
		"Content-Type: application/x-www-form-urlencoded; charset=utf-8\r\n" +
		"X-Amz-Date: 20150830T123600Z\r\n" +
		"Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, " +
		"SignedHeaders=content-type;host;x-amz-date, Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7\r\n\r\n"
	r, err := http.ReadRequest(bufio.NewReader(strings.NewReader(raw)))
	if err != nil {
		t.Fatal(err)
	}
	v := &Verifier{Keys: testCreds, Service: "iam", Now: func() time.Time { return time.Date(2015, 8, 30, 12, 40, 0, 0, time.UTC) }}
	if err := v.Verify(r, nil); err != nil {
		t.Fatal(err)
	}
	r.Header.Set("Content-Type", "application/json")
	if err := v.Verify(r, nil); err == nil {
		t.Fatal("a changed signed header was accepted")
	}
}

func TestVerifyFailures(t *testing.T) {
	body := []byte(`{"resourceType":"Patient"}`)
	url := "https://127.0.0.1:8443/datastore/abc/r4/Patient"
	good := func(t *testing.T) (*http.Request, []byte) {
		return onServer(t, signed(t, "POST", url, body, testNow, nil))
	}
	resign := func(mutate func(*http.Request), at time.Time) func(t *testing.T) (*http.Request, []byte) {
		return func(t *testing.T) (*http.Request, []byte) {
			return onServer(t, signed(t, "POST", url, body, at, mutate))
		}
	}
	signWith := func(creds aws.Credentials, service, region string) func(t *testing.T) (*http.Request, []byte) {
		return func(t *testing.T) (*http.Request, []byte) {
			req, _ := http.NewRequest("POST", url, bytes.NewReader(body))
			sum := sha256.Sum256(body)
			if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), service, region, testNow); err != nil {
				t.Fatal(err)
			}
			return onServer(t, req)
		}
	}
	goodCreds := aws.Credentials{AccessKeyID: testCreds.AccessKeyID, SecretAccessKey: testCreds.SecretAccessKey}
	cases := []struct {
		name    string
		request func(t *testing.T) (*http.Request, []byte)
		edit    func(r *http.Request, body []byte) []byte
		code    string
		message string
	}{
		{"unsigned", func(t *testing.T) (*http.Request, []byte) {
			r, _ := http.NewRequest("GET", url, nil)
			return onServer(t, r)
		}, nil, CodeMissingAuthenticationToken, "Missing Authentication Token"},
		{"unknown key", signWith(aws.Credentials{AccessKeyID: "AKIAUNKNOWN", SecretAccessKey: "x"}, "healthlake", "us-east-1"),
			nil, CodeUnrecognizedClient, "The security token included in the request is invalid."},
		{"wrong secret", signWith(aws.Credentials{AccessKeyID: testCreds.AccessKeyID, SecretAccessKey: "wrong"}, "healthlake", "us-east-1"),
			nil, CodeInvalidSignature, "The request signature we calculated does not match the signature you provided."},
		{"wrong region", signWith(goodCreds, "healthlake", "eu-west-1"),
			nil, CodeInvalidSignature, "Credential should be scoped to a valid region, not 'eu-west-1'."},
		{"wrong service", signWith(goodCreds, "s3", "us-east-1"),
			nil, CodeInvalidSignature, "Credential should be scoped to correct service: 'healthlake'."},
		{"scope date differs from request date", good, func(r *http.Request, b []byte) []byte {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "/20261125/", "/20261124/", 1))
			return b
		}, CodeInvalidSignature, "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20261124' != '20261125', from '20261125T120000Z'."},
		{"expired", resign(nil, testNow.Add(-16*time.Minute)), nil, CodeInvalidSignature,
			"Signature expired: 20261125T114400Z is now earlier than 20261125T114500Z (20261125T120000Z - 15 min.)"},
		{"from the future", resign(nil, testNow.Add(16*time.Minute)), nil, CodeInvalidSignature,
			"Signature not yet current: 20261125T121600Z is still later than 20261125T121500Z (20261125T120000Z + 15 min.)"},
		{"body changed after signing", good, func(r *http.Request, b []byte) []byte {
			return []byte(`{"resourceType":"Patient","active":false}`)
		}, CodeInvalidSignature, "The request signature we calculated does not match"},
		{"body changed, declared hash kept", resign(func(r *http.Request) {
			sum := sha256.Sum256(body)
			r.Header.Set("X-Amz-Content-Sha256", hex.EncodeToString(sum[:]))
		}, testNow), func(r *http.Request, b []byte) []byte {
			return []byte(`{}`)
		}, CodeInvalidSignature, "The provided 'x-amz-content-sha256' header does not match what was computed"},
		{"unsigned payload", resign(func(r *http.Request) { r.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD") }, testNow),
			nil, CodeInvalidSignature, "UNSIGNED-PAYLOAD is not accepted"},
		{"streaming payload", resign(func(r *http.Request) {
			r.Header.Set("X-Amz-Content-Sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD")
		}, testNow), nil, CodeIncompleteSignature, "streaming (chunked) payload signatures are S3-only"},
		{"path changed", good, func(r *http.Request, b []byte) []byte {
			r.RequestURI = "/datastore/abc/r4/Observation"
			return b
		}, CodeInvalidSignature, "does not match"},
		{"query added", good, func(r *http.Request, b []byte) []byte {
			r.RequestURI += "?_count=1"
			r.URL.RawQuery = "_count=1"
			return b
		}, CodeInvalidSignature, "does not match"},
		{"method changed", good, func(r *http.Request, b []byte) []byte {
			r.Method = "PUT"
			return b
		}, CodeInvalidSignature, "does not match"},
		{"host changed", good, func(r *http.Request, b []byte) []byte {
			r.Host = "127.0.0.1:9443"
			return b
		}, CodeInvalidSignature, "does not match"},
		{"date header changed", good, func(r *http.Request, b []byte) []byte {
			r.Header.Set("X-Amz-Date", "20261125T120001Z")
			return b
		}, CodeInvalidSignature, "does not match"},
		{"signature tampered", good, func(r *http.Request, b []byte) []byte {
			a := r.Header.Get("Authorization")
			last := a[len(a)-1]
			last = map[bool]byte{true: '1', false: '0'}[last == '0']
			r.Header.Set("Authorization", a[:len(a)-1]+string(last))
			return b
		}, CodeInvalidSignature, "does not match"},
		{"host not signed", good, func(r *http.Request, b []byte) []byte {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "host;", "", 1))
			return b
		}, CodeIncompleteSignature, "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."},
		{"X-Amz-Target added unsigned", good, func(r *http.Request, b []byte) []byte {
			r.Header.Set("X-Amz-Target", "HealthLake.DeleteFHIRDatastore")
			return b
		}, CodeIncompleteSignature, "The X-Amz-Target header selects the operation and must be signed"},
		{"no date", good, func(r *http.Request, b []byte) []byte {
			r.Header.Del("X-Amz-Date")
			return b
		}, CodeIncompleteSignature, "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."},
		{"malformed date", good, func(r *http.Request, b []byte) []byte {
			r.Header.Set("X-Amz-Date", "2026-11-25T12:00:00Z")
			return b
		}, CodeIncompleteSignature, "X-Amz-Date '2026-11-25T12:00:00Z' is not an ISO 8601 basic date-time"},
		{"other scheme", good, func(r *http.Request, b []byte) []byte {
			r.Header.Set("Authorization", "Bearer eyJhbGciOi")
			return b
		}, CodeIncompleteSignature, "Authorization header scheme 'Bearer' is not supported"},
		{"two authorization headers", good, func(r *http.Request, b []byte) []byte {
			r.Header.Add("Authorization", r.Header.Get("Authorization"))
			return b
		}, CodeIncompleteSignature, "The request has 2 Authorization headers"},
	}
	v := testVerifier()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, b := c.request(t)
			if c.edit != nil {
				b = c.edit(r, b)
			}
			err := v.Verify(r, b)
			if err == nil {
				t.Fatal("accepted")
			}
			e := authErr(t, err)
			if e.Code != c.code || !strings.Contains(e.Message, c.message) || e.Status != http.StatusForbidden {
				t.Fatalf("got %d %s: %q\nwant 403 %s: %q", e.Status, e.Code, e.Message, c.code, c.message)
			}
		})
	}
}

// A signed request can be replayed unchanged within the skew window (as with
// AWS), but never with another body.
func TestReplayWithChangedBodyRejected(t *testing.T) {
	body := []byte(`{"resourceType":"Patient","id":"a"}`)
	req := signed(t, "PUT", "https://127.0.0.1:8443/datastore/abc/r4/Patient/a", body, testNow, nil)
	var wire bytes.Buffer
	if err := req.Write(&wire); err != nil {
		t.Fatal(err)
	}
	replay := func() (*http.Request, []byte) {
		r, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(wire.Bytes())))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(r.Body)
		return r, b
	}
	v := testVerifier()
	for i := 0; i < 2; i++ {
		if r, b := replay(); v.Verify(r, b) != nil {
			t.Fatalf("replay %d of the original: %v", i, v.Verify(r, b))
		}
	}
	r, _ := replay()
	err := v.Verify(r, []byte(`{"resourceType":"Patient","id":"b"}`))
	if e := authErr(t, err); e.Code != CodeInvalidSignature {
		t.Fatalf("replay with another body: %v", err)
	}
}

func TestVerifyUnsignedPayloadWhenAllowed(t *testing.T) {
	body := []byte(`{"a":1}`)
	req := signed(t, "POST", "https://h/x", body, testNow, nil)
	// Re-sign declaring UNSIGNED-PAYLOAD, as S3-style clients do.
	req.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
	req.Body = io.NopCloser(bytes.NewReader(body))
	creds := aws.Credentials{AccessKeyID: testCreds.AccessKeyID, SecretAccessKey: testCreds.SecretAccessKey}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, "UNSIGNED-PAYLOAD", "healthlake", "us-east-1", testNow); err != nil {
		t.Fatal(err)
	}
	r, b := onServer(t, req)
	v := testVerifier()
	if err := v.Verify(r, b); err == nil {
		t.Fatal("UNSIGNED-PAYLOAD accepted by default")
	}
	v.AllowUnsignedPayload = true
	if err := v.Verify(r, b); err != nil {
		t.Fatal(err)
	}
}

func TestVerifyDeclaredPayloadHash(t *testing.T) {
	body := []byte(`{"a":1}`)
	req := signed(t, "POST", "https://h/x", body, testNow, func(r *http.Request) {
		sum := sha256.Sum256(body)
		r.Header.Set("X-Amz-Content-Sha256", hex.EncodeToString(sum[:]))
	})
	r, b := onServer(t, req)
	if err := testVerifier().Verify(r, b); err != nil {
		t.Fatal(err)
	}
}

func TestVerifyPresigned(t *testing.T) {
	creds := aws.Credentials{AccessKeyID: testCreds.AccessKeyID, SecretAccessKey: testCreds.SecretAccessKey}
	presign := func(t *testing.T, rawURL string, expires time.Duration, payload string) *http.Request {
		req, _ := http.NewRequest("GET", rawURL, nil)
		q := req.URL.Query()
		q.Set("X-Amz-Expires", strconv.Itoa(int(expires.Seconds())))
		req.URL.RawQuery = q.Encode()
		u, _, err := v4.NewSigner().PresignHTTP(context.Background(), creds, req, payload, "healthlake", "us-east-1", testNow)
		if err != nil {
			t.Fatal(err)
		}
		pr, _ := http.NewRequest("GET", u, nil)
		r, _ := onServer(t, pr)
		return r
	}
	v := testVerifier()
	for _, payload := range []string{emptySHA256, "UNSIGNED-PAYLOAD"} {
		r := presign(t, "https://127.0.0.1:8443/datastore/abc/r4/Patient?name=a%20b&_count=5", 5*time.Minute, payload)
		if err := v.Verify(r, nil); err != nil {
			t.Fatalf("payload %s: %v", payload, err)
		}
	}
	r := presign(t, "https://127.0.0.1:8443/datastore/abc/r4/Patient", time.Minute, emptySHA256)
	late := &Verifier{Keys: testCreds, Now: func() time.Time { return testNow.Add(2 * time.Minute) }}
	if e := authErr(t, late.Verify(r, nil)); e.Code != CodeInvalidSignature || !strings.Contains(e.Message, "Request has expired") {
		t.Fatalf("expired presigned URL: %v", e)
	}
	r.URL.RawQuery = strings.Replace(r.URL.RawQuery, "X-Amz-Expires=60", "X-Amz-Expires=600", 1)
	r.RequestURI = r.URL.RequestURI()
	if e := authErr(t, v.Verify(r, nil)); !strings.Contains(e.Message, "does not match") {
		t.Fatalf("lengthened expiry: %v", e)
	}
	r.URL.RawQuery = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=00"
	r.RequestURI = r.URL.RequestURI()
	if e := authErr(t, v.Verify(r, nil)); e.Code != CodeIncompleteSignature || !strings.Contains(e.Message, "'X-Amz-Credential'") {
		t.Fatalf("incomplete presigned URL: %v", e)
	}
}

// Session credentials' X-Amz-Security-Token is signed along and otherwise
// ignored: fhirlake issues no session tokens yet.
func TestVerifyIgnoresSecurityToken(t *testing.T) {
	req, _ := http.NewRequest("GET", "https://h/datastore/abc/r4/Patient", nil)
	creds := aws.Credentials{AccessKeyID: testCreds.AccessKeyID, SecretAccessKey: testCreds.SecretAccessKey, SessionToken: "FwoGZXIvYXdzEJr"}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, emptySHA256, "healthlake", "us-east-1", testNow); err != nil {
		t.Fatal(err)
	}
	if req.Header.Get("X-Amz-Security-Token") == "" || !strings.Contains(req.Header.Get("Authorization"), "x-amz-security-token") {
		t.Fatalf("the signer did not sign the token: %v", req.Header)
	}
	r, _ := onServer(t, req)
	if err := testVerifier().Verify(r, nil); err != nil {
		t.Fatal(err)
	}
}

func TestVerifyUsesDateHeaderWithoutXAmzDate(t *testing.T) {
	req, _ := http.NewRequest("GET", "https://h/x", nil)
	req.Header.Set("Date", testNow.Format(http.TimeFormat))
	// Sign a canonical request by hand with the Date header signed, as a
	// client without X-Amz-Date would.
	canonical := "GET\n/x\n\ndate:" + testNow.Format(http.TimeFormat) + "\nhost:h\n\ndate;host\n" + emptySHA256
	sum := sha256.Sum256([]byte(canonical))
	sts := "AWS4-HMAC-SHA256\n20261125T120000Z\n20261125/us-east-1/healthlake/aws4_request\n" + hex.EncodeToString(sum[:])
	key := signingKey(testCreds.SecretAccessKey, "20261125", "us-east-1", "healthlake")
	sig := hex.EncodeToString(hmacSHA256(key, sts))
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261125/us-east-1/healthlake/aws4_request, SignedHeaders=date;host, Signature="+sig)
	r, _ := onServer(t, req)
	if err := testVerifier().Verify(r, nil); err != nil {
		t.Fatal(err)
	}
}

func TestVerifyKeySetAndRotation(t *testing.T) {
	keys := KeySet{"AKIDEXAMPLE": "old"}
	v := &Verifier{Keys: keys, Now: func() time.Time { return testNow }}
	req := signed(t, "GET", "https://h/x", nil, testNow, nil)
	r, _ := onServer(t, req)
	if e := authErr(t, v.Verify(r, nil)); e.Code != CodeInvalidSignature {
		t.Fatalf("old secret: %v", e)
	}
	keys["AKIDEXAMPLE"] = testCreds.SecretAccessKey // rotated: the cached key must not be reused
	if err := v.Verify(r, nil); err != nil {
		t.Fatal(err)
	}
	if id, err := v.Authenticate(r, nil); err != nil || id != "AKIDEXAMPLE" {
		t.Fatalf("Authenticate = %q, %v", id, err)
	}
}

func BenchmarkVerify(b *testing.B) {
	for _, size := range []int{0, 1 << 10, 64 << 10} {
		body := bytes.Repeat([]byte("x"), size)
		req := signed(b, "POST", "https://127.0.0.1:8443/datastore/0123456789abcdef0123456789abcdef/r4/Patient?_count=10&name=smith",
			body, testNow, func(r *http.Request) { r.Header.Set("Content-Type", "application/fhir+json") })
		r, got := onServer(b, req)
		v := testVerifier()
		b.Run("body="+strconv.Itoa(size), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(size))
			for b.Loop() {
				if err := v.Verify(r, got); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// FuzzVerifySDKSigned is a differential test against the official signer:
// any path and query the SDK signs must verify with AWS's canonical forms.
func FuzzVerifySDKSigned(f *testing.F) {
	f.Add("/datastore/abc/r4/Patient", "name=a%20b&_count=2")
	f.Add("/a b/$c:d", "b=2&a=1&a=0&q=a+b")
	f.Add("/ü/%2F/./..//x/", "%C3%A9=2&flag&k=a%2Fb")
	v := testVerifier()
	v.awsFormsOnly = true
	f.Fuzz(func(t *testing.T, path, query string) {
		if _, err := url.ParseQuery(query); err != nil {
			t.Skip("the SDK signs only the query pairs net/url can parse")
		}
		u, err := url.Parse("https://127.0.0.1:8443" + path)
		if err != nil || u.Host != "127.0.0.1:8443" || u.Fragment != "" || u.RawQuery != "" || !strings.HasPrefix(path, "/") {
			t.Skip("not a path")
		}
		req, err := http.NewRequest("GET", "https://127.0.0.1:8443", nil)
		if err != nil {
			t.Skip()
		}
		req.URL.Path, req.URL.RawPath, req.URL.RawQuery = u.Path, u.RawPath, query
		var wire bytes.Buffer
		if req.Write(&wire) != nil {
			t.Skip()
		}
		sum := sha256.Sum256(nil)
		creds := aws.Credentials{AccessKeyID: testCreds.AccessKeyID, SecretAccessKey: testCreds.SecretAccessKey}
		if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "healthlake", "us-east-1", testNow); err != nil {
			t.Fatal(err)
		}
		req.URL.RawQuery = query
		wire.Reset()
		if err := req.Write(&wire); err != nil {
			t.Skip()
		}
		r, err := http.ReadRequest(bufio.NewReader(&wire))
		if err != nil {
			t.Skip("Go's server would refuse this request line")
		}
		if err := v.Verify(r, nil); err != nil {
			t.Fatalf("path %q query %q (sent %q): %v", path, query, r.RequestURI, err)
		}
	})
}
