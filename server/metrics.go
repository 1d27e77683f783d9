package server

import (
	"context"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/triagedesk/triage/chat"
	"github.com/triagedesk/triage/llm"
)

// metrics are the server's Prometheus collectors, in its own registry.
type metrics struct {
	registry        *prometheus.Registry
	requests        *prometheus.CounterVec
	latency         *prometheus.HistogramVec
	classifications *prometheus.CounterVec
	llmLatency      *prometheus.HistogramVec
	llmErrors       *prometheus.CounterVec
	build           *prometheus.GaugeVec
}

// BuildInfo is what the running binary was built from, exported as the
// triage_build_info metric.
type BuildInfo struct {
	Version   string // module version
	Commit    string // VCS revision
	GoVersion string
	Model     string // classifier model version
}

func newMetrics() *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "triage_http_requests_total", Help: "HTTP requests by route, method and status.",
		}, []string{"route", "method", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "triage_http_request_duration_seconds", Help: "HTTP request latency by route, method and status.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"route", "method", "status"}),
		classifications: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "triage_classifications_total", Help: "Classified complaints by scenario, language and whether they need review.",
		}, []string{"scenario", "language", "needs_review"}),
		llmLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "triage_llm_request_duration_seconds", Help: "LLM call latency by model, call kind and outcome.",
			Buckets: []float64{.1, .25, .5, 1, 2, 4, 8, 15, 30, 60},
		}, []string{"model", "kind", "outcome"}),
		llmErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "triage_llm_errors_total", Help: "Failed LLM calls by model and call kind.",
		}, []string{"model", "kind"}),
	}
	m.build = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "triage_build_info", Help: "Always 1: the module version, commit, Go version and model version the server runs.",
	}, []string{"version", "commit", "go_version", "model"})
	m.registry.MustRegister(m.requests, m.latency, m.classifications, m.llmLatency, m.llmErrors, m.build,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// MeteredLLM is an LLM client whose calls are counted and timed in the
// server's metrics; it serves both drafting and classification.
type MeteredLLM struct {
	*llm.Client
	m *metrics
}

// MeterLLM wraps c so its calls show in /metrics.
func (s *Server) MeterLLM(c *llm.Client) *MeteredLLM { return &MeteredLLM{Client: c, m: s.metrics} }

func (l *MeteredLLM) observe(kind string, start time.Time, err error) {
	outcome := "ok"
	if err != nil {
		outcome = "error"
		l.m.llmErrors.WithLabelValues(l.Model(), kind).Inc()
	}
	l.m.llmLatency.WithLabelValues(l.Model(), kind, outcome).Observe(time.Since(start).Seconds())
}

// Stream is llm.Client.Stream, measured.
func (l *MeteredLLM) Stream(ctx context.Context, r chat.Request, fn func(string) error) (string, error) {
	start := time.Now()
	out, err := l.Client.Stream(ctx, r, fn)
	l.observe("draft", start, err)
	return out, err
}

// JSON is llm.Client.JSON, measured.
func (l *MeteredLLM) JSON(ctx context.Context, r chat.Request, out any) error {
	start := time.Now()
	err := l.Client.JSON(ctx, r, out)
	l.observe("classify", start, err)
	return err
}

func boolLabel(b bool) string { return strconv.FormatBool(b) }
