// Package server is the HTTP API (gin): classification for the intake
// gateway, triage, drafts (JSON or SSE), cases, feedback, taxonomy,
// health, readiness, metrics and the OpenAPI document. Errors carry one
// code set mapped to HTTP status in one place; every request is logged
// once with its request id.
package server

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.yaml.in/yaml/v3"
	"golang.org/x/time/rate"

	"github.com/triagedesk/triage"
	"github.com/triagedesk/triage/classify"
	"github.com/triagedesk/triage/datasets"
	"github.com/triagedesk/triage/feedback"
	"github.com/triagedesk/triage/retrieve"
	"github.com/triagedesk/triage/suggest"
)

// Config holds the server's settings; zero values take the defaults.
type Config struct {
	Addr string // default ":8080"
	// Keys; none: open, with a warning at start.
	Keys []Key
	// MaxTextBytes bounds a complaint (default and ceiling
	// triage.MaxTextBytes); MaxBodyBytes a request body (1 MiB).
	MaxTextBytes int
	MaxBodyBytes int64
	// RequestTimeout bounds a request (default 30 s); StreamTimeout a
	// streamed draft (default 2 min).
	RequestTimeout time.Duration
	StreamTimeout  time.Duration
	// RateLimit is requests per second per key (per client address when
	// no keys are configured); 0 turns it off. RateBurst defaults to 2×.
	RateLimit float64
	RateBurst int
	// SimilarCases is how many cases triage and suggest use (default 3).
	SimilarCases int
	// ShutdownGrace is how long in-flight requests get at shutdown
	// (default 30 s).
	ShutdownGrace time.Duration
	// TrustedProxies are the addresses or CIDRs whose X-Forwarded-For and
	// X-Real-IP name the client; none by default, so a client cannot pick
	// the address its rate limit is counted on.
	TrustedProxies []string
}

// ParseProxies parses TRIAGE_TRUSTED_PROXIES: comma-separated IP
// addresses or CIDRs ("" for none).
func ParseProxies(s string) ([]string, error) {
	var out []string
	for _, p := range strings.Split(s, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		if _, _, err := net.ParseCIDR(p); err != nil && net.ParseIP(p) == nil {
			return nil, fmt.Errorf("%q is neither an IP address nor a CIDR", p)
		}
		out = append(out, p)
	}
	return out, nil
}

// Classifier classifies one complaint; *cascade.Classifier is one.
type Classifier interface {
	Classify(ctx context.Context, text string) (classify.Result, error)
}

// Server is the API. Fill the dependencies, then call Handler or Run.
type Server struct {
	Config
	Taxonomy   *triage.Taxonomy
	Classifier Classifier
	Index      *retrieve.Index
	Drafter    *suggest.Drafter
	Feedback   feedback.Store
	// Ready reports whether the dependencies answer (the database when
	// configured); nil: always.
	Ready  func(ctx context.Context) error
	Logger *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Build is exported as triage_build_info.
	Build BuildInfo

	metrics      *metrics
	limits       limiters
	taxonomyJSON []byte
	once         sync.Once
	engine       *gin.Engine
}

// New returns a server with cfg's defaults filled in.
func New(cfg Config, logger *slog.Logger) *Server {
	if cfg.Addr == "" {
		cfg.Addr = ":8080"
	}
	if cfg.MaxTextBytes <= 0 || cfg.MaxTextBytes > triage.MaxTextBytes {
		cfg.MaxTextBytes = triage.MaxTextBytes
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 1 << 20
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = 30 * time.Second
	}
	if cfg.StreamTimeout <= 0 {
		cfg.StreamTimeout = 2 * time.Minute
	}
	if cfg.RateBurst <= 0 {
		cfg.RateBurst = max(1, int(2*cfg.RateLimit))
	}
	if cfg.SimilarCases <= 0 {
		cfg.SimilarCases = 3
	}
	if cfg.ShutdownGrace <= 0 {
		cfg.ShutdownGrace = 30 * time.Second
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Server{Config: cfg, Logger: logger, Now: time.Now, metrics: newMetrics(), limits: limiters{m: map[string]*rate.Limiter{}}}
}

// route is one entry of the route table.
type route struct {
	method, path string
	scope        Scope
	handler      gin.HandlerFunc
	stream       bool // may stream: the longer timeout
}

// routes is the API: one table, checked against openapi.json by a test.
func (s *Server) routes() []route {
	return []route{
		{http.MethodPost, "/v1/classify", ScopeClassify, s.classify, false},
		{http.MethodPost, "/v1/triage", ScopeAgent, s.triage, false},
		{http.MethodPost, "/v1/suggest", ScopeAgent, s.suggest, true},
		{http.MethodPost, "/v1/cases", ScopeAdmin, s.upsertCases, false},
		{http.MethodGet, "/v1/cases/:id", ScopeAgent, s.getCase, false},
		{http.MethodDelete, "/v1/cases/:id", ScopeAdmin, s.deleteCase, false},
		{http.MethodPost, "/v1/cases/search", ScopeAgent, s.searchCases, false},
		{http.MethodPost, "/v1/feedback", ScopeAgent, s.addFeedback, false},
		{http.MethodGet, "/v1/taxonomy", ScopeClassify, s.taxonomy, false},
		{http.MethodGet, "/healthz", scopePublic, s.healthz, false},
		{http.MethodGet, "/readyz", scopePublic, s.readyz, false},
		{http.MethodGet, "/metrics", scopePublic, s.metricsHandler(), false},
		{http.MethodGet, "/openapi.json", scopePublic, s.openapi, false},
	}
}

// Handler returns the HTTP handler (built once).
func (s *Server) Handler() http.Handler {
	s.once.Do(func() {
		s.metrics.build.WithLabelValues(s.Build.Version, s.Build.Commit, s.Build.GoVersion, s.Build.Model).Set(1)
		gin.SetMode(gin.ReleaseMode)
		e := gin.New()
		// Validated at configuration (ParseProxies); nil trusts no one.
		_ = e.SetTrustedProxies(s.TrustedProxies)
		e.HandleMethodNotAllowed = true
		e.ContextWithFallback = true
		e.Use(requestID, s.accessLog, gin.CustomRecovery(recovery), s.bodyLimit)
		e.NoRoute(func(c *gin.Context) {
			fail(c, errorf(triage.ENOTFOUND, "no route %s %s", c.Request.Method, c.Request.URL.Path))
		})
		e.NoMethod(func(c *gin.Context) {
			fail(c, errorf(triage.EMETHOD, "method %s not allowed on %s", c.Request.Method, c.Request.URL.Path))
		})
		for _, r := range s.routes() {
			timeout := s.RequestTimeout
			if r.stream {
				timeout = s.StreamTimeout
			}
			e.Handle(r.method, r.path, s.authorize(r.scope), withTimeout(timeout), r.handler)
		}
		s.engine = e
		if b, err := taxonomyJSON(s.Taxonomy); err == nil {
			s.taxonomyJSON = b
		} else {
			s.Logger.Error("taxonomy as JSON", "err", err)
		}
	})
	return s.engine
}

func withTimeout(d time.Duration) gin.HandlerFunc {
	return func(c *gin.Context) {
		ctx, cancel := context.WithTimeout(c.Request.Context(), d)
		defer cancel()
		c.Request = c.Request.WithContext(ctx)
		c.Next()
	}
}

// Run serves on s.Addr until ctx ends, then shuts down gracefully:
// in-flight requests get ShutdownGrace to finish.
func (s *Server) Run(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.Addr)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	return s.Serve(ctx, ln)
}

// Serve is Run on a listener.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	if len(s.Keys) == 0 {
		s.Logger.Warn("no API keys configured (TRIAGE_API_KEYS): the API is open to anyone who can reach it")
	}
	// Requests run under base: cancelled shortly before the grace period
	// ends, so that what is still running (a long streamed draft) can end
	// itself properly — a stream with an "error" event — instead of being
	// cut when the process exits.
	base, stopRequests := context.WithCancel(context.Background())
	defer stopRequests()
	hs := &http.Server{
		BaseContext:       func(net.Listener) context.Context { return base },
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       s.RequestTimeout,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(s.Logger.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	s.Logger.Info("serving", "addr", ln.Addr().String())
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	s.Logger.Info("shutting down: finishing in-flight requests", "grace", s.ShutdownGrace.String())
	sctx, cancel := context.WithTimeout(context.Background(), s.ShutdownGrace)
	defer cancel()
	last := time.AfterFunc(s.ShutdownGrace-shutdownMargin(s.ShutdownGrace), stopRequests)
	defer last.Stop()
	if err := hs.Shutdown(sctx); err != nil {
		return fmt.Errorf("serve: shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}

// shutdownMargin is how long before the end of the grace period the
// requests still running are told to stop: a quarter of it, between
// 500 ms and 5 s (net/http notices finished connections only every half
// second or so).
func shutdownMargin(grace time.Duration) time.Duration {
	return min(max(grace/4, 500*time.Millisecond), 5*time.Second)
}

func (s *Server) metricsHandler() gin.HandlerFunc {
	h := promhttp.HandlerFor(s.metrics.registry, promhttp.HandlerOpts{})
	return gin.WrapH(h)
}

// taxonomyJSON is the taxonomy file as JSON, with the file's own keys.
func taxonomyJSON(tax *triage.Taxonomy) ([]byte, error) {
	if tax == nil {
		return nil, errors.New("no taxonomy")
	}
	var v any
	if err := yaml.Unmarshal(datasets.TaxonomyBytes(), &v); err != nil {
		return nil, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("taxonomy is not a mapping")
	}
	m["hash"] = tax.Hash
	return json.Marshal(m)
}

// isJSON: a JSON media type (any charset).
func isJSON(ct string) bool {
	mt, _, _ := strings.Cut(ct, ";")
	mt = strings.TrimSpace(strings.ToLower(mt))
	return mt == "application/json" || strings.HasSuffix(mt, "+json")
}
