package server

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/triagedesk/triage"
)

// statusClientClosed is nginx's status for a client that went away.
const statusClientClosed = 499

// errorf makes a coded error with a formatted message.
func errorf(code, format string, args ...any) *triage.Error {
	return triage.Errorf(code, format, args...)
}

// status is the one mapping from error codes to HTTP status.
func status(code string) int {
	switch code {
	case triage.EINVALID:
		return http.StatusBadRequest
	case triage.ETOOLARGE:
		return http.StatusRequestEntityTooLarge
	case triage.EMEDIATYPE:
		return http.StatusUnsupportedMediaType
	case triage.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case triage.EFORBIDDEN:
		return http.StatusForbidden
	case triage.ENOTFOUND:
		return http.StatusNotFound
	case triage.EMETHOD:
		return http.StatusMethodNotAllowed
	case triage.ECONFLICT:
		return http.StatusConflict
	case triage.ERATELIMITED:
		return http.StatusTooManyRequests
	case triage.ETIMEOUT:
		return http.StatusGatewayTimeout
	case triage.EUNAVAILABLE:
		return http.StatusServiceUnavailable
	case triage.ECANCELED:
		return statusClientClosed
	default:
		return http.StatusInternalServerError
	}
}

// asError turns any error into a coded one: the codes come from the
// packages that made the error (triage.ErrorCode); only net/http's body
// limit is recognised here.
func asError(err error) *triage.Error {
	var maxBytes *http.MaxBytesError
	if errors.As(err, &maxBytes) {
		return errorf(triage.ETOOLARGE, "body over %d bytes", maxBytes.Limit)
	}
	code := triage.ErrorCode(err)
	e := &triage.Error{Code: code, Message: triage.ErrorMessage(err), Err: err}
	switch code {
	case triage.ECANCELED:
		e.Message = "request cancelled"
	case triage.ETIMEOUT:
		e.Message = "request timed out"
	}
	return e
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
	e := asError(err)
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
