package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Defaults of a Verifier's zero fields.
const (
	DefaultRegion       = "us-east-1"
	DefaultService      = "healthlake"
	DefaultMaxSkew      = 15 * time.Minute
	DefaultMaxBodyBytes = 64 << 20
)

const (
	unsignedPayload = "UNSIGNED-PAYLOAD"
	emptySHA256     = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
)

// Verifier checks AWS Signature Version 4 signatures. Its zero fields take
// the defaults above; Keys must be set. A Verifier is safe for concurrent use
// and must not be copied after first use.
type Verifier struct {
	Keys    Keys
	Region  string           // credential scope region; DefaultRegion if empty
	Service string           // credential scope service; DefaultService if empty
	Now     func() time.Time // the clock; time.Now if nil
	MaxSkew time.Duration    // allowed clock difference; DefaultMaxSkew if zero

	// MaxBodyBytes bounds the body Middleware reads; DefaultMaxBodyBytes if zero.
	MaxBodyBytes int64
	// AllowUnsignedPayload accepts x-amz-content-sha256: UNSIGNED-PAYLOAD.
	// Off by default: see the package documentation.
	AllowUnsignedPayload bool

	keys keyCache
	// awsFormsOnly turns off the curl 7.88 forms (tests use it to check the
	// AWS forms alone).
	awsFormsOnly bool
}

// Verify checks that r, whose complete body is body, carries a valid
// signature by a known key. A failure is an *Error.
func (v *Verifier) Verify(r *http.Request, body []byte) error {
	if _, e := v.check(r, body); e != nil {
		return e
	}
	return nil
}

// Authenticate is Verify that also returns the access key ID that signed r.
func (v *Verifier) Authenticate(r *http.Request, body []byte) (accessKeyID string, err error) {
	id, e := v.check(r, body)
	if e != nil {
		return "", e
	}
	return id, nil
}

func (v *Verifier) check(r *http.Request, body []byte) (string, *Error) {
	s, amzDate, e := v.parse(r)
	if e != nil {
		return "", e
	}
	date, e := v.checkScope(&s, amzDate)
	if e != nil {
		return "", e
	}
	var secret string
	var ok bool
	if v.Keys != nil {
		secret, ok = v.Keys.Secret(s.accessKeyID)
	}
	if !ok {
		return "", errUnknownKey()
	}
	if e := v.checkTime(&s, date); e != nil {
		return "", e
	}
	payloads, e := v.payloadHashes(r, &s, body)
	if e != nil {
		return "", e
	}
	key := v.keys.get(s.accessKeyID, secret, &s)
	mac := key.macs.Get().(hash.Hash)
	defer key.macs.Put(mac)

	rawPath, rawQuery := rawPathQuery(r)
	paths := canonicalPaths(rawPath, !v.awsFormsOnly)
	queries := canonicalQueries(rawQuery, s.presigned, !v.awsFormsOnly)

	sc := scratchPool.Get().(*scratch)
	defer scratchPool.Put(sc)
	sc.headers = appendCanonicalHeaders(sc.headers[:0], r, s.headers)
	var sum [sha256.Size]byte
	for _, payload := range payloads {
		for _, path := range paths {
			for _, query := range queries {
				sc.request = appendCanonicalRequest(sc.request[:0], r.Method, path, query, sc.headers, s.signedHeaders, payload)
				sc.toSign = appendStringToSign(sc.toSign[:0], amzDate, s.scope, sc.request)
				mac.Reset()
				mac.Write(sc.toSign)
				if hmac.Equal(mac.Sum(sum[:0]), s.sig[:]) {
					return s.accessKeyID, nil
				}
			}
		}
	}
	request := appendCanonicalRequest(nil, r.Method, paths[0], queries[0], sc.headers, s.signedHeaders, payloads[0])
	return "", errMismatch(request, appendStringToSign(nil, amzDate, s.scope, request))
}

// scratch holds the buffers one verification builds its strings in.
type scratch struct{ headers, request, toSign []byte }

var scratchPool = sync.Pool{New: func() any {
	return &scratch{make([]byte, 0, 512), make([]byte, 0, 1024), make([]byte, 0, 256)}
}}

// parse finds the signature and the request's signing time (ISO 8601 basic).
func (v *Verifier) parse(r *http.Request) (signature, string, *Error) {
	authz := r.Header["Authorization"]
	if len(authz) > 1 {
		return signature{}, "", authError(CodeIncompleteSignature, "The request has %d Authorization headers; send one.", len(authz))
	}
	var s signature
	var e *Error
	var amzDate string
	switch {
	case len(authz) == 1 && authz[0] != "":
		if s, e = parseAuthorization(authz[0]); e != nil {
			return s, "", e
		}
		if amzDate, e = headerDate(r); e != nil {
			return s, "", e
		}
	case strings.Contains(r.URL.RawQuery, "X-Amz-"):
		q := r.URL.Query()
		if q.Get("X-Amz-Algorithm") == "" && q.Get("X-Amz-Signature") == "" && q.Get("X-Amz-Credential") == "" {
			return s, "", errMissingToken()
		}
		if s, e = parsePresigned(q); e != nil {
			return s, "", e
		}
		amzDate = s.amzDate
	default:
		return s, "", errMissingToken()
	}
	if len(r.Header["X-Amz-Target"]) > 0 && !signs(&s, "x-amz-target") {
		return s, "", authError(CodeIncompleteSignature,
			"The X-Amz-Target header selects the operation and must be signed: add x-amz-target to SignedHeaders.")
	}
	return s, amzDate, nil
}

func signs(s *signature, name string) bool {
	for _, h := range s.headers {
		if h == name {
			return true
		}
	}
	return false
}

// headerDate returns the request time from X-Amz-Date, or from Date.
func headerDate(r *http.Request) (string, *Error) {
	if d := r.Header.Get("X-Amz-Date"); d != "" {
		return d, nil
	}
	if d := r.Header.Get("Date"); d != "" {
		t, err := http.ParseTime(d)
		if err != nil {
			return "", authError(CodeIncompleteSignature, "Date header '%s' is not an HTTP date.", clip(d))
		}
		return t.UTC().Format(amzDateFormat), nil
	}
	return "", authError(CodeIncompleteSignature,
		"Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
}

func (v *Verifier) checkScope(s *signature, amzDate string) (time.Time, *Error) {
	date, err := time.Parse(amzDateFormat, amzDate)
	if err != nil {
		return date, authError(CodeIncompleteSignature,
			"X-Amz-Date '%s' is not an ISO 8601 basic date-time of the form YYYYMMDD'T'HHMMSS'Z'.", clip(amzDate))
	}
	if region := orDefault(v.Region, DefaultRegion); s.region != region {
		return date, authError(CodeInvalidSignature, "Credential should be scoped to a valid region, not '%s'.", clip(s.region))
	}
	if service := orDefault(v.Service, DefaultService); s.service != service {
		return date, authError(CodeInvalidSignature, "Credential should be scoped to correct service: '%s'.", service)
	}
	if s.scopeDate != amzDate[:8] {
		return date, authError(CodeInvalidSignature,
			"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '%s' != '%s', from '%s'.",
			s.scopeDate, amzDate[:8], amzDate)
	}
	return date, nil
}

func (v *Verifier) checkTime(s *signature, date time.Time) *Error {
	now := time.Now
	if v.Now != nil {
		now = v.Now
	}
	t := now().UTC().Truncate(time.Second)
	skew := v.MaxSkew
	if skew == 0 {
		skew = DefaultMaxSkew
	}
	if date.After(t.Add(skew)) {
		return errNotYetCurrent(date, t, skew)
	}
	if s.presigned {
		if end := date.Add(time.Duration(s.expires) * time.Second); t.After(end) {
			return authError(CodeInvalidSignature,
				"Request has expired: signed at %s with X-Amz-Expires=%d, which ended at %s; it is now %s.",
				date.Format(amzDateFormat), s.expires, end.Format(amzDateFormat), t.Format(amzDateFormat))
		}
		return nil
	}
	if date.Before(t.Add(-skew)) {
		return errExpired(date, t, skew)
	}
	return nil
}

// payloadHashes returns the payload hashes to try in the canonical request.
func (v *Verifier) payloadHashes(r *http.Request, s *signature, body []byte) ([]string, *Error) {
	declared := r.Header.Get("X-Amz-Content-Sha256")
	switch {
	case declared == unsignedPayload:
		if !v.AllowUnsignedPayload {
			return nil, authError(CodeInvalidSignature,
				"x-amz-content-sha256: UNSIGNED-PAYLOAD is not accepted: fhirlake verifies request bodies, so sign the payload (the hex SHA-256 of the body).")
		}
		return []string{unsignedPayload}, nil
	case strings.HasPrefix(declared, "STREAMING-"):
		return nil, authError(CodeIncompleteSignature,
			"x-amz-content-sha256: %s: streaming (chunked) payload signatures are S3-only and not supported.", clip(declared))
	}
	actual := emptySHA256
	if len(body) > 0 {
		sum := sha256.Sum256(body)
		actual = hex.EncodeToString(sum[:])
	}
	if declared != "" {
		if !strings.EqualFold(declared, actual) {
			return nil, authError(CodeInvalidSignature,
				"The provided 'x-amz-content-sha256' header does not match what was computed: the body is not the one that was signed.")
		}
		return []string{declared}, nil
	}
	if s.presigned && len(body) == 0 {
		return []string{actual, unsignedPayload}, nil
	}
	return []string{actual}, nil
}

func appendCanonicalRequest(b []byte, method, path, query string, headers []byte, signedHeaders, payload string) []byte {
	b = append(b, method...)
	b = append(b, '\n')
	b = append(b, path...)
	b = append(b, '\n')
	b = append(b, query...)
	b = append(b, '\n')
	b = append(b, headers...)
	b = append(b, '\n')
	b = append(b, signedHeaders...)
	b = append(b, '\n')
	return append(b, payload...)
}

func appendStringToSign(b []byte, amzDate, scope string, canonicalRequest []byte) []byte {
	sum := sha256.Sum256(canonicalRequest)
	b = append(b, algorithm+"\n"...)
	b = append(b, amzDate...)
	b = append(b, '\n')
	b = append(b, scope...)
	b = append(b, '\n')
	return hex.AppendEncode(b, sum[:])
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// keyCache remembers derived signing keys: deriving one costs four HMACs,
// and a key serves all requests of one access key for a day.
type keyCache struct {
	mu sync.Mutex
	m  map[cacheID]*cachedKey
}

type cacheID struct{ accessKeyID, scope string }

type cachedKey struct {
	secret string
	macs   sync.Pool // of HMAC-SHA256 hashes keyed with the signing key
}

const keyCacheSize = 1024

func (c *keyCache) get(accessKeyID, secret string, s *signature) *cachedKey {
	id := cacheID{accessKeyID, s.scope}
	c.mu.Lock()
	defer c.mu.Unlock()
	if k, ok := c.m[id]; ok && k.secret == secret {
		return k
	}
	if c.m == nil || len(c.m) >= keyCacheSize {
		c.m = make(map[cacheID]*cachedKey)
	}
	key := signingKey(secret, s.scopeDate, s.region, s.service)
	k := &cachedKey{secret: secret}
	k.macs.New = func() any { return hmac.New(sha256.New, key) }
	c.m[id] = k
	return k
}

// signingKey derives the SigV4 signing key for one day, region and service.
func signingKey(secret, date, region, service string) []byte {
	k := hmacSHA256([]byte("AWS4"+secret), date)
	k = hmacSHA256(k, region)
	k = hmacSHA256(k, service)
	return hmacSHA256(k, terminator)
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}
