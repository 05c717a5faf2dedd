package auth

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// AWS error codes returned by authentication failures. They are the codes AWS
// JSON-protocol services (such as HealthLake's control API) return.
const (
	CodeMissingAuthenticationToken = "MissingAuthenticationTokenException"
	CodeIncompleteSignature        = "IncompleteSignatureException"
	CodeInvalidSignature           = "InvalidSignatureException"
	CodeUnrecognizedClient         = "UnrecognizedClientException"
	CodeRequestEntityTooLarge      = "RequestEntityTooLargeException"
	CodeValidation                 = "ValidationException"
)

// Error is a request that failed authentication. Code and Message are what
// AWS returns for the same failure; Status is the HTTP status to answer with.
type Error struct {
	Code    string
	Message string
	Status  int
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

func authError(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Status: http.StatusForbidden}
}

func errMissingToken() *Error {
	return authError(CodeMissingAuthenticationToken, "Missing Authentication Token")
}

func errUnknownKey() *Error {
	return authError(CodeUnrecognizedClient, "The security token included in the request is invalid.")
}

const mismatchMessage = "The request signature we calculated does not match the signature you provided. " +
	"Check your AWS Secret Access Key and signing method. Consult the service documentation for details."

func errMismatch(canonicalRequest, stringToSign []byte) *Error {
	return authError(CodeInvalidSignature,
		"%s\n\nThe Canonical String for this request should have been\n'%s'\n\nThe String-to-Sign should have been\n'%s'\n",
		mismatchMessage, canonicalRequest, stringToSign)
}

func errExpired(date, now time.Time, skew time.Duration) *Error {
	return authError(CodeInvalidSignature, "Signature expired: %s is now earlier than %s (%s - %d min.)",
		date.Format(amzDateFormat), now.Add(-skew).Format(amzDateFormat), now.Format(amzDateFormat), int(skew.Minutes()))
}

func errNotYetCurrent(date, now time.Time, skew time.Duration) *Error {
	return authError(CodeInvalidSignature, "Signature not yet current: %s is still later than %s (%s + %d min.)",
		date.Format(amzDateFormat), now.Add(skew).Format(amzDateFormat), now.Format(amzDateFormat), int(skew.Minutes()))
}

// WriteJSON writes e in the AWS JSON 1.0 error shape that the AWS CLI and
// SDKs parse: the code in the x-amzn-ErrorType header and in "__type".
func WriteJSON(w http.ResponseWriter, e *Error) {
	body, _ := json.Marshal(struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}{e.Code, e.Message})
	h := w.Header()
	h.Set("Content-Type", "application/x-amz-json-1.0")
	h.Set("X-Amzn-ErrorType", e.Code)
	w.WriteHeader(e.Status)
	w.Write(body)
}
