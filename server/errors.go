package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/triagedesk/triage"
	"github.com/triagedesk/triage/feedback"
	"github.com/triagedesk/triage/retrieve"
)

// Error codes: the one set every error response carries, mapped to an
// HTTP status in exactly one place (status).
const (
	CodeInvalid       = "invalid"                // malformed or unacceptable input
	CodeTooLarge      = "too_large"              // body or text over the limit
	CodeMediaType     = "unsupported_media_type" // not JSON
	CodeUnauthorized  = "unauthorized"           // no or unknown API key
	CodeForbidden     = "forbidden"              // key lacks the scope
	CodeNotFound      = "not_found"
	CodeMethod        = "method_not_allowed"
	CodeRateLimited   = "rate_limited"
	CodeTimeout       = "timeout"
	CodeUnavailable   = "unavailable" // a dependency is down
	CodeInternal      = "internal"
	codeClientClosed  = "client_closed"
	statusClientClose = 499 // nginx's: the client went away
)

// Error is an error with a code and a message safe to show the caller.
type Error struct {
	Code    string
	Message string
	Err     error // the cause, logged, never shown
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Code + ": " + e.Message + ": " + e.Err.Error()
	}
	return e.Code + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// errorf makes an Error with a formatted message.
func errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

func status(code string) int {
	switch code {
	case CodeInvalid:
		return http.StatusBadRequest
	case CodeTooLarge:
		return http.StatusRequestEntityTooLarge
	case CodeMediaType:
		return http.StatusUnsupportedMediaType
	case CodeUnauthorized:
		return http.StatusUnauthorized
	case CodeForbidden:
		return http.StatusForbidden
	case CodeNotFound:
		return http.StatusNotFound
	case CodeMethod:
		return http.StatusMethodNotAllowed
	case CodeRateLimited:
		return http.StatusTooManyRequests
	case CodeTimeout:
		return http.StatusGatewayTimeout
	case CodeUnavailable:
		return http.StatusServiceUnavailable
	case codeClientClosed:
		return statusClientClose
	default:
		return http.StatusInternalServerError
	}
}

// classifyErr turns a domain error into an Error.
func classifyErr(err error) *Error {
	var e *Error
	var maxBytes *http.MaxBytesError
	switch {
	case errors.As(err, &e):
		return e
	case errors.Is(err, triage.ErrTextTooLong):
		return &Error{Code: CodeTooLarge, Message: err.Error()}
	case errors.Is(err, triage.ErrEmptyText), errors.Is(err, triage.ErrInvalidUTF8),
		errors.Is(err, triage.ErrUnknownScenario), errors.Is(err, triage.ErrUnknownCurrency), errors.Is(err, triage.ErrInvalidAmount),
		errors.Is(err, retrieve.ErrInvalidRecord), errors.Is(err, retrieve.ErrEmptyQuery), errors.Is(err, feedback.ErrInvalid):
		return &Error{Code: CodeInvalid, Message: err.Error()}
	case errors.Is(err, retrieve.ErrNotFound):
		return &Error{Code: CodeNotFound, Message: err.Error()}
	case errors.As(err, &maxBytes):
		return &Error{Code: CodeTooLarge, Message: fmt.Sprintf("body over %d bytes", maxBytes.Limit)}
	case errors.Is(err, context.Canceled):
		return &Error{Code: codeClientClosed, Message: "request cancelled", Err: err}
	case errors.Is(err, context.DeadlineExceeded):
		return &Error{Code: CodeTimeout, Message: "request timed out", Err: err}
	case errors.Is(err, retrieve.ErrNoCollection):
		return &Error{Code: CodeUnavailable, Message: "the case store has no collection yet", Err: err}
	}
	return &Error{Code: CodeInternal, Message: "internal error", Err: err}
}

type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// fail writes err as {"error":{"code","message"}}; the access log
// records it (once), with the cause of internal errors.
func fail(c *gin.Context, err error) {
	e := classifyErr(err)
	var body errorBody
	body.Error.Code, body.Error.Message = e.Code, e.Message
	c.Error(e) //nolint:errcheck // recorded for the access log
	if c.Writer.Written() {
		c.Abort()
		return
	}
	b, _ := json.Marshal(body)
	c.Abort()
	c.Data(status(e.Code), "application/json; charset=utf-8", b)
}
