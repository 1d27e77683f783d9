package server_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/triagedesk/triage"
	"github.com/triagedesk/triage/classify"
	"github.com/triagedesk/triage/classify/classifytest"
	"github.com/triagedesk/triage/datasets"
	"github.com/triagedesk/triage/feedback"
	"github.com/triagedesk/triage/internal/app"
	"github.com/triagedesk/triage/internal/apptest"
	"github.com/triagedesk/triage/llm"
	"github.com/triagedesk/triage/llm/llmtest"
	"github.com/triagedesk/triage/server"
	"github.com/triagedesk/triage/suggest"
)

var (
	casesOnce sync.Once
	fixCases  []triage.Case
	casesErr  error
)

// fixture is the trained pipeline and the embedded resolved cases.
func fixture(t testing.TB) (*triage.Taxonomy, *classify.Classifier, []triage.Case) {
	t.Helper()
	tax, local := classifytest.Default(t)
	casesOnce.Do(func() { fixCases, casesErr = datasets.LoadCases(tax) })
	if casesErr != nil {
		t.Fatal(casesErr)
	}
	return tax, local, fixCases
}

// panicky panics on one text, to prove a panic is a 500, and sleeps on
// another, to hold a request in flight.
type panicky struct{ server.Classifier }

func (p panicky) Classify(ctx context.Context, text string) (classify.Result, error) {
	switch text {
	case "PANIC":
		panic("boom")
	case "SLOW":
		time.Sleep(400 * time.Millisecond)
	}
	return p.Classifier.Classify(ctx, text)
}

type env struct {
	srv      *server.Server
	http     *httptest.Server
	dir      string
	feedback feedback.Store
	logs     *bytes.Buffer
}

const (
	intakeKey = "intake-0123456789abcdef"
	agentKey  = "agent-0123456789abcdef"
	adminKey  = "admin-0123456789abcdef"
)

// newEnv runs the real wiring (internal/app, as triage serve does) with
// a changed configuration: the default model, the embedded store seeded
// with the embedded cases and the local embedder, the offline drafter (or
// one on gen), a feedback file in dir.
func newEnv(t *testing.T, cfg server.Config, gen suggest.Generator, dir string) *env {
	t.Helper()
	if dir == "" {
		dir = apptest.DataDir(t)
	}
	ac := app.Defaults()
	ac.DataDir = dir
	if cfg.MaxTextBytes > 0 {
		ac.MaxTextBytes = cfg.MaxTextBytes
	}
	ac.RateLimit, ac.RateBurst = cfg.RateLimit, cfg.RateBurst
	ac.TrustedProxies = strings.Join(cfg.TrustedProxies, ",")
	if cfg.RequestTimeout > 0 {
		ac.RequestTimeout = cfg.RequestTimeout
	}
	var keys []string
	for _, k := range cfg.Keys {
		keys = append(keys, k.Secret+":"+string(k.Scope))
	}
	ac.APIKeys = strings.Join(keys, ",")
	logs := &bytes.Buffer{}
	logger := slog.New(slog.NewJSONHandler(&lockedWriter{w: logs}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ap, err := app.Open(context.Background(), ac, logger)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ap.Close)
	s := ap.Server
	if cfg.ShutdownGrace > 0 {
		s.ShutdownGrace = cfg.ShutdownGrace
	}
	s.Classifier = panicky{s.Classifier}
	if gen != nil {
		s.Drafter = suggest.New(ap.Taxonomy, gen, logger)
	}
	s.Now = func() time.Time { return time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC) }
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(hs.Close)
	return &env{srv: s, http: hs, dir: dir, feedback: ap.Feedback, logs: logs}
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (e *env) do(t *testing.T, method, path, key, body string, headers ...string) response {
	t.Helper()
	req, err := http.NewRequest(method, e.http.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{resp.StatusCode, resp.Header, b}
}

func errorCode(b []byte) string {
	var e struct {
		Error struct{ Code, Message string }
	}
	json.Unmarshal(b, &e)
	return e.Error.Code
}

// The route table: every endpoint, every status.
func TestRoutes(t *testing.T) {
	e := newEnv(t, server.Config{MaxTextBytes: 4000}, nil, "")
	big := `{"text":"` + strings.Repeat("a", 1<<20) + `"}`
	tests := []struct {
		name, method, path, body string
		headers                  []string
		status                   int
		code                     string            // error code, when an error
		check                    func([]byte) bool // on success
	}{
		{name: "classify", method: "POST", path: "/v1/classify", body: `{"text":"充值了648元，钻石一直没到账","ticket_id":"T-9","channel":"chat"}`, status: 200,
			check: func(b []byte) bool {
				return strings.Contains(string(b), `"id":"T-9"`) && strings.Contains(string(b), `"payment_recharge"`)
			}},
		{name: "triage", method: "POST", path: "/v1/triage", body: `{"text":"my account was hacked and someone spent my gems","k":2}`, status: 200,
			check: func(b []byte) bool {
				var v struct {
					Classification classify.Result
					SimilarCases   []json.RawMessage `json:"similar_cases"`
					Suggestion     suggest.Draft
				}
				return json.Unmarshal(b, &v) == nil && v.Classification.Scenario.Label != "" && len(v.SimilarCases) == 2 && v.Suggestion.Reply != ""
			}},
		{name: "suggest", method: "POST", path: "/v1/suggest", body: `{"text":"充了648没到账","loss":{"amount":648,"currency":"CNY"}}`, status: 200,
			check: func(b []byte) bool {
				return strings.Contains(string(b), `"generator":"offline"`) && strings.Contains(string(b), "680.40 CNY")
			}},
		{name: "cases upsert", method: "POST", path: "/v1/cases", body: `{"cases":[{"id":"api-1","text":"The app crashes when I open the shop","lang":"en","scenario":"technical_issue","reply":"We fixed it in 2.3.1."}]}`, status: 200,
			check: func(b []byte) bool { return string(b) == `{"upserted":1}` }},
		{name: "case get", method: "GET", path: "/v1/cases/case-zh-0007", status: 200, check: func(b []byte) bool { return strings.Contains(string(b), `"id":"case-zh-0007"`) }},
		{name: "case get unknown", method: "GET", path: "/v1/cases/nope", status: 404, code: "not_found"},
		{name: "case delete", method: "DELETE", path: "/v1/cases/case-zh-0008", status: 204},
		{name: "case delete again", method: "DELETE", path: "/v1/cases/case-zh-0008", status: 404, code: "not_found"},
		{name: "search", method: "POST", path: "/v1/cases/search", body: `{"text":"parcel never arrived","k":3,"scenario":"order_delivery"}`, status: 200,
			check: func(b []byte) bool { return strings.Count(string(b), `"scenario":"order_delivery"`) == 3 }},
		{name: "feedback", method: "POST", path: "/v1/feedback", body: `{"ticket_id":"T-9","text":"充了648没到账","scenario":"payment_recharge","suggestion_used":true}`, status: 201},
		{name: "taxonomy", method: "GET", path: "/v1/taxonomy", status: 200, check: func(b []byte) bool { return strings.Contains(string(b), `"severity_levels"`) }},
		{name: "healthz", method: "GET", path: "/healthz", status: 200},
		{name: "readyz", method: "GET", path: "/readyz", status: 200},
		{name: "openapi", method: "GET", path: "/openapi.json", status: 200, check: func(b []byte) bool { return strings.Contains(string(b), `"openapi": "3.0.3"`) }},

		{name: "malformed JSON", method: "POST", path: "/v1/classify", body: `{"text":`, status: 400, code: "invalid"},
		{name: "wrong type", method: "POST", path: "/v1/classify", body: `{"text":["a"]}`, status: 400, code: "invalid"},
		{name: "unknown field", method: "POST", path: "/v1/classify", body: `{"txt":"hello"}`, status: 400, code: "invalid"},
		{name: "empty body", method: "POST", path: "/v1/classify", body: ` `, status: 400, code: "invalid"},
		{name: "empty text", method: "POST", path: "/v1/classify", body: `{"text":""}`, status: 400, code: "invalid"},
		{name: "whitespace text", method: "POST", path: "/v1/triage", body: `{"text":" \n\t "}`, status: 400, code: "invalid"},
		{name: "invalid UTF-8", method: "POST", path: "/v1/classify", body: "{\"text\":\"\xff\xfe bad\"}", status: 400, code: "invalid"},
		{name: "two values", method: "POST", path: "/v1/classify", body: `{"text":"a"}{"text":"b"}`, status: 400, code: "invalid"},
		{name: "a stray closing brace", method: "POST", path: "/v1/classify", body: `{"text":"my parcel never arrived"}}`, status: 400, code: "invalid"},
		{name: "text of zero-width characters", method: "POST", path: "/v1/classify", body: `{"text":"\u200b\u200b"}`, status: 400, code: "invalid"},
		{name: "unknown channel", method: "POST", path: "/v1/classify", body: `{"text":"hello there","channel":"fax"}`, status: 400, code: "invalid"},
		{name: "unknown label in feedback", method: "POST", path: "/v1/feedback", body: `{"ticket_id":"T","text":"x y","scenario":"billing"}`, status: 400, code: "invalid"},
		{name: "unknown scenario in case", method: "POST", path: "/v1/cases", body: `{"cases":[{"id":"x","text":"y","scenario":"billing"}]}`, status: 400, code: "invalid"},
		{name: "bad k", method: "POST", path: "/v1/cases/search", body: `{"text":"x","k":1000}`, status: 400, code: "invalid"},
		{name: "unknown currency", method: "POST", path: "/v1/suggest", body: `{"text":"充了648没到账","loss":{"amount":5,"currency":"XYZ"}}`, status: 400, code: "invalid"},
		{name: "text over the limit", method: "POST", path: "/v1/classify", body: `{"text":"` + strings.Repeat("长", 2000) + `"}`, status: 413, code: "too_large"},
		{name: "body over 1 MiB", method: "POST", path: "/v1/classify", body: big, status: 413, code: "too_large"},
		{name: "too many cases", method: "POST", path: "/v1/cases", body: `{"cases":[` + strings.Repeat(`{"id":"x","text":"y"},`, 1000) + `{"id":"z","text":"y"}]}`, status: 413, code: "too_large"},
		{name: "wrong content type", method: "POST", path: "/v1/classify", body: `{"text":"hi"}`, headers: []string{"Content-Type", "text/plain"}, status: 415, code: "unsupported_media_type"},
		{name: "unknown route", method: "GET", path: "/v2/nothing", status: 404, code: "not_found"},
		{name: "wrong method", method: "GET", path: "/v1/classify", status: 405, code: "method_not_allowed"},
		{name: "panic", method: "POST", path: "/v1/classify", body: `{"text":"PANIC"}`, status: 500, code: "internal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(t, tt.method, tt.path, "", tt.body, tt.headers...)
			if r.status != tt.status {
				t.Fatalf("status %d, want %d: %.300s", r.status, tt.status, r.body)
			}
			if tt.code != "" && errorCode(r.body) != tt.code {
				t.Errorf("error %s, want code %q", r.body, tt.code)
			}
			if tt.check != nil && !tt.check(r.body) {
				t.Errorf("unexpected body: %.600s", r.body)
			}
			if r.header.Get("X-Request-ID") == "" {
				t.Error("no X-Request-ID")
			}
		})
	}
	// The service kept serving through all of it.
	if r := e.do(t, "POST", "/v1/classify", "", `{"text":"still there?"}`); r.status != 200 {
		t.Errorf("after the bad requests: %d", r.status)
	}
	// Each error was logged once, with its code; the panic with its cause.
	logs := e.logs.String()
	if n := strings.Count(logs, `"code":"internal"`); n != 1 || !strings.Contains(logs, "panic: boom") {
		t.Errorf("the panic was logged %d times:\n%s", n, logs)
	}
}

func TestRequestID(t *testing.T) {
	e := newEnv(t, server.Config{}, nil, "")
	r := e.do(t, "GET", "/healthz", "", "", "X-Request-ID", "gateway-42")
	if got := r.header.Get("X-Request-ID"); got != "gateway-42" {
		t.Errorf("echoed %q", got)
	}
	r = e.do(t, "GET", "/healthz", "", "", "X-Request-ID", "bad id\twith tab")
	if got := r.header.Get("X-Request-ID"); got == "" || strings.Contains(got, " ") {
		t.Errorf("a bad id was not replaced: %q", got)
	}
	if !strings.Contains(e.logs.String(), `"request_id":"gateway-42"`) {
		t.Error("the access log lacks the request id")
	}
}

func TestAuthScopes(t *testing.T) {
	keys, err := server.ParseKeys(intakeKey + ":classify, " + agentKey + ":agent," + adminKey + ":admin")
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, server.Config{Keys: keys}, nil, "")
	classifyBody := `{"text":"充值了648元没到账"}`
	caseBody := `{"cases":[{"id":"auth-1","text":"login fails with error 1005"}]}`
	tests := []struct {
		key, method, path, body string
		status                  int
	}{
		{"", "POST", "/v1/classify", classifyBody, 401},
		{"not-a-key-0123456789", "POST", "/v1/classify", classifyBody, 401},
		{intakeKey, "POST", "/v1/classify", classifyBody, 200},
		{intakeKey, "GET", "/v1/taxonomy", "", 200},
		{intakeKey, "POST", "/v1/triage", classifyBody, 403},
		{intakeKey, "POST", "/v1/feedback", `{"ticket_id":"a","text":"b c","scenario":"technical_issue"}`, 403},
		{agentKey, "POST", "/v1/classify", classifyBody, 200},
		{agentKey, "POST", "/v1/triage", classifyBody, 200},
		{agentKey, "POST", "/v1/suggest", classifyBody, 200},
		{agentKey, "POST", "/v1/cases/search", classifyBody, 200},
		{agentKey, "GET", "/v1/cases/case-zh-0007", "", 200},
		{agentKey, "POST", "/v1/cases", caseBody, 403},
		{agentKey, "DELETE", "/v1/cases/case-zh-0007", "", 403},
		{adminKey, "POST", "/v1/cases", caseBody, 200},
		{adminKey, "DELETE", "/v1/cases/auth-1", "", 204},
		{"", "GET", "/healthz", "", 200},
		{"", "GET", "/readyz", "", 200},
		{"", "GET", "/metrics", "", 200},
		{"", "GET", "/openapi.json", "", 200},
	}
	for _, tt := range tests {
		r := e.do(t, tt.method, tt.path, tt.key, tt.body)
		if r.status != tt.status {
			t.Errorf("%s %s with key %.6q: %d, want %d (%s)", tt.method, tt.path, tt.key, r.status, tt.status, r.body)
		}
	}
	if strings.Contains(e.logs.String(), agentKey) {
		t.Error("a key appears in the logs")
	}
	for _, bad := range []string{"short:agent", "k-0123456789abcdef:root", "nocolon0123456789", "dup-0123456789abcdef:agent,dup-0123456789abcdef:admin"} {
		if _, err := server.ParseKeys(bad); err == nil {
			t.Errorf("ParseKeys(%q) accepted", bad)
		}
	}
}

func TestRateLimit(t *testing.T) {
	keys, _ := server.ParseKeys(agentKey + ":agent," + adminKey + ":admin")
	e := newEnv(t, server.Config{Keys: keys, RateLimit: 1, RateBurst: 2}, nil, "")
	body := `{"text":"hello"}`
	for i := range 2 {
		if r := e.do(t, "POST", "/v1/classify", agentKey, body); r.status != 200 {
			t.Fatalf("request %d within the burst: %d", i, r.status)
		}
	}
	r := e.do(t, "POST", "/v1/classify", agentKey, body)
	if r.status != 429 || errorCode(r.body) != "rate_limited" || r.header.Get("Retry-After") == "" {
		t.Fatalf("over the limit: %d %s Retry-After %q", r.status, r.body, r.header.Get("Retry-After"))
	}
	if r := e.do(t, "POST", "/v1/classify", adminKey, body); r.status != 200 {
		t.Errorf("another key is limited separately: %d", r.status)
	}
}

// The metrics show requests by route and status, classifications, and
// LLM calls.
func TestMetrics(t *testing.T) {
	srv := llmtest.New(t, llmtest.Reply{Text: "Hello. We are checking your payment now."})
	c, err := llm.New(llm.Options{BaseURL: srv.BaseURL(), APIKey: llmtest.APIKey, Model: "m1", Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, server.Config{}, nil, "")
	e.srv.Drafter.LLM = e.srv.MeterLLM(c)
	e.do(t, "POST", "/v1/classify", "", `{"text":"充值了648元没到账"}`)
	e.do(t, "POST", "/v1/classify", "", `{"text":""}`)
	e.do(t, "POST", "/v1/suggest", "", `{"text":"I was charged twice for one top-up"}`)
	m := string(e.do(t, "GET", "/metrics", "", "").body)
	for _, want := range []string{
		`triage_http_requests_total{method="POST",route="/v1/classify",status="200"} 1`,
		`triage_http_requests_total{method="POST",route="/v1/classify",status="400"} 1`,
		`triage_http_request_duration_seconds_bucket{method="POST",route="/v1/classify",status="200"`,
		`triage_classifications_total{language="zh",needs_review="false",scenario="payment_recharge"} 1`,
		`triage_llm_request_duration_seconds_count{kind="draft",model="m1",outcome="ok"} 1`,
	} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// An LLM that hangs for as long as a request may last still leaves time
// for the offline draft: the answer is the degraded draft, not a 504.
func TestHungLLMStillGetsTheOfflineDraft(t *testing.T) {
	srv := llmtest.New(t, llmtest.Reply{Delay: 30 * time.Second})
	c, err := llm.New(llm.Options{BaseURL: srv.BaseURL(), APIKey: llmtest.APIKey, Model: "slow", Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, server.Config{RequestTimeout: 2 * time.Second}, nil, "")
	e.srv.Drafter.LLM = e.srv.MeterLLM(c)
	for _, path := range []string{"/v1/suggest", "/v1/triage"} {
		start := time.Now()
		r := e.do(t, "POST", path, "", `{"text":"I was charged twice for one top-up"}`)
		if r.status != 200 || !strings.Contains(string(r.body), `"degraded":true`) {
			t.Errorf("%s with a hung LLM: %d after %v: %s", path, r.status, time.Since(start), r.body)
		}
	}
}

// Without trusted proxies, a client cannot choose the address its rate
// limit is counted on; with its proxy trusted, X-Forwarded-For names the
// client.
func TestRateLimitIgnoresForwardedForByDefault(t *testing.T) {
	for _, tt := range []struct {
		name    string
		proxies []string
		limited bool
	}{
		{"no trusted proxies", nil, true},
		{"the test's proxy trusted", []string{"127.0.0.1/32", "::1"}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, server.Config{RateLimit: 1, RateBurst: 2, TrustedProxies: tt.proxies}, nil, "")
			limited := false
			for i := range 6 {
				r := e.do(t, "POST", "/v1/classify", "", `{"text":"my parcel never arrived"}`, "X-Forwarded-For", fmt.Sprintf("203.0.113.%d", i+1), "X-Real-IP", fmt.Sprintf("198.51.100.%d", i+1))
				limited = limited || r.status == 429
			}
			if limited != tt.limited {
				t.Errorf("6 requests from 6 forwarded addresses: rate limited %v, want %v", limited, tt.limited)
			}
		})
	}
}

// Guessing keys is throttled per address, also with no rate limit set.
func TestFailedAuthenticationsAreThrottled(t *testing.T) {
	e := newEnv(t, server.Config{Keys: []server.Key{{Secret: "agent-key-0123456789", Scope: server.ScopeAgent}}}, nil, "")
	var codes []int
	for i := range server.AuthFailureBurst + 5 {
		codes = append(codes, e.do(t, "POST", "/v1/classify", fmt.Sprintf("wrong-key-%016d", i), `{"text":"hi there"}`).status)
	}
	if codes[0] != 401 || codes[len(codes)-1] != 429 {
		t.Errorf("statuses of %d wrong keys: %v", len(codes), codes)
	}
	if r := e.do(t, "POST", "/v1/classify", "agent-key-0123456789", `{"text":"my parcel never arrived"}`); r.status != 429 && r.status != 200 {
		t.Errorf("right key after the guesses: %d", r.status)
	}
}

// Clients choose methods and paths; the metrics do not grow with them:
// unknown methods collapse to "other", unknown paths to "unmatched".
func TestMetricLabelsAreBounded(t *testing.T) {
	e := newEnv(t, server.Config{}, nil, "")
	before := len(e.do(t, "GET", "/metrics", "", "").body)
	for i := range 200 {
		e.do(t, fmt.Sprintf("M%d", i), fmt.Sprintf("/v1/classify/%d", i), "", "")
		e.do(t, "GET", fmt.Sprintf("/no/such/%d", i), "", "")
	}
	m := string(e.do(t, "GET", "/metrics", "", "").body)
	for _, want := range []string{`method="other",route="/v1/classify/:id"`, `method="GET",route="unmatched"`} {
		if !strings.Contains(m, want) && !strings.Contains(m, strings.Replace(want, `route="/v1/classify/:id"`, `route="unmatched"`, 1)) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(m, `method="M1"`) || strings.Contains(m, "/no/such/") {
		t.Error("a client-chosen method or path became a label")
	}
	if grown := len(m) - before; grown > 20_000 {
		t.Errorf("/metrics grew by %d bytes after 400 odd requests", grown)
	}
}

// The OpenAPI document describes exactly the routes the server has.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	e := newEnv(t, server.Config{}, nil, "")
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(e.do(t, "GET", "/openapi.json", "", "").body, &doc); err != nil || doc.OpenAPI != "3.0.3" {
		t.Fatalf("not an OpenAPI 3 document: %v", err)
	}
	var documented, served []string
	for path, ops := range doc.Paths {
		for method := range ops {
			documented = append(documented, strings.ToUpper(method)+" "+path)
		}
	}
	for _, r := range e.srv.Handler().(interface{ Routes() gin.RoutesInfo }).Routes() {
		served = append(served, r.Method+" "+ginPath(r.Path))
	}
	sort.Strings(documented)
	sort.Strings(served)
	if strings.Join(documented, "\n") != strings.Join(served, "\n") {
		t.Errorf("documented:\n%s\nserved:\n%s", strings.Join(documented, "\n"), strings.Join(served, "\n"))
	}
}

// SSE: chunks as the fake LLM streams, then the draft; the upstream call
// stops when the client goes away.
func TestSuggestSSE(t *testing.T) {
	reply := "Hello, thank you for writing. We are checking the payment with the provider. You will hear from us within 60 minutes."
	srv := llmtest.New(t, llmtest.Reply{Text: reply})
	c, _ := llm.New(llm.Options{BaseURL: srv.BaseURL(), APIKey: llmtest.APIKey, Model: "m1", Timeout: 5 * time.Second})
	e := newEnv(t, server.Config{}, c, "")
	r := e.do(t, "POST", "/v1/suggest", "", `{"text":"I was charged twice for one top-up, my phone is 13812345678"}`, "Accept", "text/event-stream")
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("%d %s", r.status, r.header.Get("Content-Type"))
	}
	events := parseSSE(t, string(r.body))
	if len(events) < 4 || events[len(events)-1].name != "draft" {
		t.Fatalf("events: %+v", events)
	}
	var text strings.Builder
	for _, ev := range events[:len(events)-1] {
		var ch suggest.Chunk
		if ev.name != "chunk" || json.Unmarshal([]byte(ev.data), &ch) != nil {
			t.Fatalf("bad event %+v", ev)
		}
		text.WriteString(ch.Text)
	}
	var d suggest.Draft
	if err := json.Unmarshal([]byte(events[len(events)-1].data), &d); err != nil || d.Generator != "llm:m1" || d.Reply != text.String() {
		t.Errorf("draft %+v (%v), streamed %q", d, err, text.String())
	}
	if strings.Contains(srv.Requests()[0].Messages[1].Content, "13812345678") {
		t.Error("the phone number reached the LLM")
	}

	// A client that leaves stops the generation upstream.
	slow := llmtest.New(t, llmtest.Reply{Chunks: llmtest.Split(strings.Repeat("We are still looking into it. ", 40), 8), ChunkDelay: 50 * time.Millisecond})
	c2, _ := llm.New(llm.Options{BaseURL: slow.BaseURL(), APIKey: llmtest.APIKey, Model: "m2", Timeout: 30 * time.Second})
	e2 := newEnv(t, server.Config{}, c2, "")
	req, _ := http.NewRequest("POST", e2.http.URL+"/v1/suggest", strings.NewReader(`{"text":"my parcel never came"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(resp.Body).ReadString('\n')
	if !strings.HasPrefix(line, "event: chunk") {
		t.Fatalf("first line %q", line)
	}
	resp.Body.Close() // the agent closes the tab
	deadline := time.Now().Add(5 * time.Second)
	for slow.Cancelled() == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if slow.Cancelled() != 1 {
		t.Error("the LLM kept generating after the client left")
	}
}

type event struct{ name, data string }

func parseSSE(t *testing.T, s string) []event {
	var out []event
	for _, block := range strings.Split(strings.TrimSpace(s), "\n\n") {
		var ev event
		for _, line := range strings.Split(block, "\n") {
			if v, ok := strings.CutPrefix(line, "event: "); ok {
				ev.name = v
			} else if v, ok := strings.CutPrefix(line, "data: "); ok {
				ev.data = v
			}
		}
		out = append(out, ev)
	}
	return out
}

// Feedback is on disk before the response: a restarted server finds it.
func TestFeedbackSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	e := newEnv(t, server.Config{}, nil, dir)
	r := e.do(t, "POST", "/v1/feedback", "", `{"ticket_id":"T-77","text":"the app crashes on the shop page","scenario":"technical_issue","severity":2,"suggestion_edited":true}`)
	if r.status != 201 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	e.http.Close()
	again := newEnv(t, server.Config{}, nil, dir)
	got, err := again.feedback.List(context.Background())
	if err != nil || len(got) != 1 || got[0].TicketID != "T-77" || got[0].Scenario != "technical_issue" || !got[0].CreatedAt.Equal(time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)) {
		t.Fatalf("after restart: %+v %v", got, err)
	}
}

// SIGTERM: the server stops accepting and finishes what is in flight.
// serve runs e's server on a free port, as triage serve does; cancel
// shuts it down and done receives what Serve returned.
func serve(t *testing.T, e *env) (url string, cancel func(), done chan error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	done = make(chan error, 1)
	go func() { done <- e.srv.Serve(ctx, ln) }()
	return "http://" + ln.Addr().String(), cancel, done
}

func TestGracefulShutdown(t *testing.T) {
	e := newEnv(t, server.Config{ShutdownGrace: 5 * time.Second}, nil, "")
	url, cancel, done := serve(t, e)
	result := make(chan int, 1)
	go func() {
		resp, err := http.Post(url+"/v1/classify", "application/json", strings.NewReader(`{"text":"SLOW"}`))
		if err != nil {
			result <- -1
			return
		}
		resp.Body.Close()
		result <- resp.StatusCode
	}()
	time.Sleep(100 * time.Millisecond) // the request is in flight
	cancel()
	if code := <-result; code != 200 {
		t.Errorf("in-flight request: %d", code)
	}
	if err := <-done; err != nil {
		t.Errorf("Serve: %v", err)
	}
	if _, err := http.Get(url + "/healthz"); err == nil {
		t.Error("still accepting after shutdown")
	}
}

// A streamed draft still running when the grace period is about to end
// is ended with an "error" event, not cut off.
func TestShutdownEndsStreamsWithAnError(t *testing.T) {
	slow := llmtest.New(t, llmtest.Reply{Chunks: llmtest.Split(strings.Repeat("We are still looking into it. ", 100), 8), ChunkDelay: 100 * time.Millisecond})
	c, _ := llm.New(llm.Options{BaseURL: slow.BaseURL(), APIKey: llmtest.APIKey, Model: "m3", Timeout: time.Minute})
	e := newEnv(t, server.Config{ShutdownGrace: 3 * time.Second}, c, "")
	url, cancel, done := serve(t, e)
	req, _ := http.NewRequest("POST", url+"/v1/suggest", strings.NewReader(`{"text":"my parcel never came"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	if line, _ := br.ReadString('\n'); !strings.HasPrefix(line, "event: chunk") {
		t.Fatalf("first line %q", line)
	}
	cancel() // SIGTERM
	rest, _ := io.ReadAll(br)
	events := parseSSE(t, string(rest))
	if len(events) == 0 || events[len(events)-1].name != "error" {
		t.Errorf("the stream ended without an error event: %+v", events[max(0, len(events)-2):])
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve: %v", err)
		}
	case <-time.After(6 * time.Second):
		t.Error("Serve did not return after the grace period")
	}
}

// ginPath turns /v1/cases/:id into /v1/cases/{id}.
func ginPath(p string) string {
	parts := strings.Split(p, "/")
	for i, s := range parts {
		if strings.HasPrefix(s, ":") {
			parts[i] = "{" + s[1:] + "}"
		}
	}
	return strings.Join(parts, "/")
}

// classifierFunc adapts the local pipeline (no context) to the server.
type classifierFunc func(string) (classify.Result, error)

func (f classifierFunc) Classify(_ context.Context, text string) (classify.Result, error) {
	return f(text)
}
