package triage

import (
	"context"
	"errors"
	"fmt"
)

// Error codes: the one set of kinds of failure that callers branch on.
// Every package returns a *Error (or wraps one) for what a caller may
// handle; the HTTP edge maps each code to a status in one place and the
// CLI to an exit code.
const (
	EINVALID      = "invalid"                // malformed or unacceptable input
	ETOOLARGE     = "too_large"              // input over a limit
	EMEDIATYPE    = "unsupported_media_type" // not a format we read
	EUNAUTHORIZED = "unauthorized"           // no or unknown credentials
	EFORBIDDEN    = "forbidden"              // credentials lack the scope
	ENOTFOUND     = "not_found"              // no such record or route
	EMETHOD       = "method_not_allowed"     // the route exists, the method does not
	ECONFLICT     = "conflict"               // the request contradicts stored state
	ERATELIMITED  = "rate_limited"           // too many requests
	ETIMEOUT      = "timeout"                // a deadline passed
	ECANCELED     = "canceled"               // the caller went away
	EUNAVAILABLE  = "unavailable"            // a dependency is down or not ready
	EINTERNAL     = "internal"               // a bug or an unexpected failure
)

// Error is an error with a code callers branch on and a message safe to
// show them. Err, when set, is the underlying cause: logged, never shown.
//
// Sentinels are *Error values (errors.Is compares them by identity);
// wrap them with fmt.Errorf("%w: detail", ErrX) to add detail to the
// message.
type Error struct {
	Code    string
	Message string
	Err     error
}

// Error returns the message, followed by the cause when there is one.
func (e *Error) Error() string {
	if e.Err != nil {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the given code and formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// NewError returns a sentinel *Error with the given code and message.
func NewError(code, message string) *Error { return &Error{Code: code, Message: message} }

// ErrorCode returns the code of the first *Error in err's chain; context
// deadlines and cancellations are ETIMEOUT and ECANCELED; any other
// non-nil error is EINTERNAL. It returns "" for nil.
func ErrorCode(err error) string {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Code
	case errors.Is(err, context.DeadlineExceeded):
		return ETIMEOUT
	case errors.Is(err, context.Canceled):
		return ECANCELED
	}
	return EINTERNAL
}

// ErrorMessage returns the text of err that is safe to show a caller:
// "internal error" for internal errors; the message of a coded error
// that carries a hidden cause; otherwise the whole chain, which only
// holds our own wording.
func ErrorMessage(err error) string {
	var e *Error
	switch code := ErrorCode(err); {
	case err == nil:
		return ""
	case code == EINTERNAL:
		return "internal error"
	case errors.As(err, &e) && e.Err != nil:
		return e.Message
	case code == ETIMEOUT && !errors.As(err, &e):
		return "timed out"
	case code == ECANCELED && !errors.As(err, &e):
		return "canceled"
	}
	return err.Error()
}
