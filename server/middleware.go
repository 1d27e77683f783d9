package server

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/triagedesk/triage"
	"golang.org/x/time/rate"
)

// Scope is what an API key may do.
type Scope string

// The scopes, from least to most.
const (
	ScopeClassify Scope = "classify" // the intake gateway: /v1/classify only
	ScopeAgent    Scope = "agent"    // triage, suggest, search, feedback, read cases
	ScopeAdmin    Scope = "admin"    // everything, case writes included
	scopePublic   Scope = ""         // health, readiness, metrics, the OpenAPI document
)

func (s Scope) rank() int {
	switch s {
	case ScopeClassify:
		return 1
	case ScopeAgent:
		return 2
	case ScopeAdmin:
		return 3
	}
	return 0
}

// Key is an API key and its scope.
type Key struct {
	Secret string
	Scope  Scope
}

// ID names the key in logs and metrics without revealing it.
func (k Key) ID() string {
	sum := sha256.Sum256([]byte(k.Secret))
	return hex.EncodeToString(sum[:4])
}

// ParseKeys reads TRIAGE_API_KEYS: "key:scope,key:scope".
func ParseKeys(s string) ([]Key, error) {
	var keys []Key
	seen := map[string]bool{}
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		i := strings.LastIndexByte(item, ':')
		if i <= 0 {
			return nil, fmt.Errorf("TRIAGE_API_KEYS: %q is not key:scope", redactKey(item))
		}
		k := Key{Secret: item[:i], Scope: Scope(item[i+1:])}
		if k.Scope.rank() == 0 {
			return nil, fmt.Errorf("TRIAGE_API_KEYS: unknown scope %q for key %s (want classify, agent or admin)", k.Scope, redactKey(k.Secret))
		}
		if len(k.Secret) < 16 {
			return nil, fmt.Errorf("TRIAGE_API_KEYS: key %s is shorter than 16 characters", redactKey(k.Secret))
		}
		if seen[k.Secret] {
			return nil, fmt.Errorf("TRIAGE_API_KEYS: key %s listed twice", redactKey(k.Secret))
		}
		seen[k.Secret] = true
		keys = append(keys, k)
	}
	return keys, nil
}

func redactKey(s string) string {
	if len(s) <= 4 {
		return "…"
	}
	return s[:4] + "…"
}

const (
	ctxKey       = "triage.key"
	ctxRequestID = "triage.request_id"
)

// requestID accepts a sane X-Request-ID or makes one, and echoes it.
func requestID(c *gin.Context) {
	id := c.GetHeader("X-Request-ID")
	if id == "" || len(id) > 128 || strings.ContainsFunc(id, func(r rune) bool { return r < 0x21 || r > 0x7e }) {
		var b [12]byte
		rand.Read(b[:])
		id = hex.EncodeToString(b[:])
	}
	c.Set(ctxRequestID, id)
	c.Header("X-Request-ID", id)
	c.Next()
}

// metricMethod is the method label of a request: the standard methods by
// name, anything else "other". A client chooses the method, and a label
// it chooses freely would grow the metrics without bound.
func metricMethod(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return m
	}
	return "other"
}

// accessLog logs every request once, with its error if any, and records
// the request metrics.
func (s *Server) accessLog(c *gin.Context) {
	start := time.Now()
	c.Next()
	elapsed := time.Since(start)
	route := c.FullPath()
	if route == "" {
		route = "unmatched"
	}
	code := c.Writer.Status()
	method := metricMethod(c.Request.Method)
	s.metrics.requests.WithLabelValues(route, method, strconv.Itoa(code)).Inc()
	s.metrics.latency.WithLabelValues(route, method, strconv.Itoa(code)).Observe(elapsed.Seconds())
	attrs := []any{
		"request_id", c.GetString(ctxRequestID), "method", c.Request.Method, "route", route,
		"status", code, "duration_ms", float64(elapsed.Microseconds()) / 1000, "bytes", c.Writer.Size(),
	}
	if k, ok := c.Get(ctxKey); ok {
		attrs = append(attrs, "key", k.(Key).ID())
	}
	level := slog.LevelInfo
	if len(c.Errors) > 0 {
		var e *triage.Error
		if errors.As(c.Errors.Last().Err, &e) {
			attrs = append(attrs, "code", e.Code)
			if e.Err != nil {
				attrs = append(attrs, "err", e.Err.Error())
			}
		}
		if code >= 500 && code != statusClientClosed {
			level = slog.LevelError
		}
	}
	if route == "/healthz" || route == "/readyz" || route == "/metrics" {
		level = min(level, slog.LevelDebug)
	}
	s.Logger.Log(c.Request.Context(), level, "request", attrs...)
}

// recovery turns a panic into a 500 error response.
func recovery(c *gin.Context, v any) {
	fail(c, &triage.Error{Code: triage.EINTERNAL, Message: "internal error", Err: fmt.Errorf("panic: %v", v)})
}

// authorize checks the bearer key has scope (keys configured) and applies
// the key's rate limit.
func (s *Server) authorize(scope Scope) gin.HandlerFunc {
	return func(c *gin.Context) {
		if scope == scopePublic {
			c.Next()
			return
		}
		limiterKey := c.ClientIP()
		if len(s.Keys) > 0 {
			secret, ok := strings.CutPrefix(c.GetHeader("Authorization"), "Bearer ")
			if !ok || secret == "" {
				s.authFailed(c, "missing API key: send Authorization: Bearer <key>")
				return
			}
			key, found := s.lookup(secret)
			if !found {
				s.authFailed(c, "unknown API key")
				return
			}
			c.Set(ctxKey, key)
			if key.Scope.rank() < scope.rank() {
				fail(c, errorf(triage.EFORBIDDEN, "this key's scope %q does not allow %s %s", key.Scope, c.Request.Method, c.FullPath()))
				return
			}
			limiterKey = "key:" + key.ID()
		}
		if s.RateLimit > 0 {
			if ok, wait := s.allow(limiterKey); !ok {
				c.Header("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
				fail(c, errorf(triage.ERATELIMITED, "rate limit of %g requests/s exceeded; retry later", s.RateLimit))
				return
			}
		}
		c.Next()
	}
}

// lookup compares secret with every key in constant time.
func (s *Server) lookup(secret string) (Key, bool) {
	var found Key
	ok := 0
	for _, k := range s.Keys {
		if subtle.ConstantTimeCompare([]byte(secret), []byte(k.Secret)) == 1 {
			found, ok = k, 1
		}
	}
	return found, ok == 1
}

type limiters struct {
	mu sync.Mutex
	m  map[string]*rate.Limiter
}

// allow takes a token from the caller's bucket; when empty it says how
// long until the next one.
func (s *Server) allow(key string) (bool, time.Duration) {
	return s.allowAt(key, rate.Limit(s.RateLimit), s.RateBurst)
}

// Failed authentications from one address are limited to
// AuthFailureBurst at once and AuthFailureRate a second after that, with
// or without TRIAGE_RATE_LIMIT: guessing keys is slow.
const (
	AuthFailureRate  = 1
	AuthFailureBurst = 10
)

// authFailed answers 401 with msg, or 429 once the address has failed
// too often.
func (s *Server) authFailed(c *gin.Context, msg string) {
	if ok, wait := s.allowAt("authfail:"+c.ClientIP(), AuthFailureRate, AuthFailureBurst); !ok {
		c.Header("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		fail(c, errorf(triage.ERATELIMITED, "too many failed authentications from this address; retry later"))
		return
	}
	fail(c, errorf(triage.EUNAUTHORIZED, "%s", msg))
}

// allowAt takes a token from key's limiter (made with limit and burst on
// first use).
func (s *Server) allowAt(key string, limit rate.Limit, burst int) (bool, time.Duration) {
	s.limits.mu.Lock()
	l, ok := s.limits.m[key]
	if !ok {
		if len(s.limits.m) > 100_000 { // unauthenticated callers by IP: bound the map
			s.limits.m = map[string]*rate.Limiter{}
		}
		l = rate.NewLimiter(limit, max(1, burst))
		s.limits.m[key] = l
	}
	s.limits.mu.Unlock()
	r := l.Reserve()
	if d := r.Delay(); d > 0 {
		r.Cancel()
		return false, max(d, time.Second)
	}
	return true, 0
}

// bodyLimit bounds every request body.
func (s *Server) bodyLimit(c *gin.Context) {
	if c.Request.Body != nil {
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, s.MaxBodyBytes)
	}
	c.Next()
}
