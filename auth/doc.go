// Package auth authenticates fhirlake's HTTP requests with AWS Signature
// Version 4, exactly as AWS HealthLake does, so that the AWS CLI, the AWS SDKs
// and `curl --aws-sigv4` work against fhirlake unchanged.
//
// Two concepts live here:
//
//   - credentials.go: access keys. The root key pair comes from the
//     environment (FHIRLAKE_ROOT_ACCESS_KEY_ID / FHIRLAKE_ROOT_SECRET_ACCESS_KEY)
//     or is generated once and kept in <dataDir>/credentials. Anything that
//     answers Keys.Secret can serve keys to the Verifier.
//   - verifier.go: checking a request's signature (Authorization header or a
//     presigned query string), with middleware.go wrapping it as an
//     http.Handler. Failures are *Error values that carry the AWS error code
//     and message, for the caller to render as AWS JSON or as an
//     OperationOutcome.
//
// # Policy decisions
//
// Payload: the body is always part of what is verified. A request either
// sends no x-amz-content-sha256 header (the SDKs, the AWS CLI and curl do not
// send it for non-S3 services; the verifier hashes the body itself) or sends
// the body's hex SHA-256 there, which must match. UNSIGNED-PAYLOAD is refused
// unless Verifier.AllowUnsignedPayload is set, because HealthLake's FHIR API
// signs payloads and an unsigned body would let anyone holding one signed
// request replay it with another body for 15 minutes. Streaming (chunked)
// signatures are S3-only and refused. A presigned URL with an empty body may
// use UNSIGNED-PAYLOAD, since there is no body to protect.
//
// Canonical form: the canonical request is built the way AWS services other
// than S3 build it (dot segments and empty segments removed from the path, the
// path as sent URI-encoded once more, query pairs decoded, strictly re-encoded
// and sorted, header values trimmed with runs of spaces folded). Two other
// forms that real clients sign are also accepted:
//
//   - the path as sent without normalisation (the AWS SDK for Go v2 does not
//     remove dot segments or double slashes);
//   - the raw path and raw query as sent, which is what curl 7.88 (Debian 12)
//     signs: it neither re-encodes the path nor sorts the query. The raw path
//     form is only tried when the path contains no '%', so that no request
//     can be replayed against a different resource by exploiting the two
//     encodings. So curl 7.88 works for every FHIR path (ids are
//     [A-Za-z0-9-.], operations start with '$'), and query values may hold
//     any escapes, but a curl 7.88 request whose path holds a %-escape is
//     refused. (Current curl sources sort the query and URI-encode the path
//     themselves, i.e. sign AWS's form; only curl 7.88 is tested here.)
//
// curl hashes only in-memory bodies: send a body with --data-binary @file.
// With -T (upload) curl signs the hash of an empty payload and the request is
// refused as a signature mismatch.
//
// Each form is a faithful encoding of the same request, so accepting them
// does not let a signature for one request authenticate a different one. The
// forms are tried only when they differ, so the common case costs one HMAC.
//
// Headers: host must be signed. X-Amz-Target, which selects the control-API
// operation, must be signed when present. X-Amz-Security-Token is accepted and
// ignored (fhirlake has no session credentials yet).
package auth
