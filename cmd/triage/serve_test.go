package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"github.com/triagedesk/triage/internal/apptest"
	"github.com/triagedesk/triage/internal/testdb"
	"github.com/triagedesk/triage/llm/llmtest"
	"github.com/triagedesk/triage/postgres"
)

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// serveInBackground runs `triage serve` in-process until the test ends.
func serveInBackground(t *testing.T, env map[string]string, args ...string) (base string, stop func() int) {
	t.Helper()
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	code := make(chan int, 1)
	vars := map[string]string{"TRIAGE_LANGUAGES": "zh,en", "TRIAGE_ADDR": addr}
	for k, v := range env {
		vars[k] = v
	}
	var out strings.Builder
	var mu sync.Mutex
	w := writerFunc(func(p []byte) (int, error) { mu.Lock(); defer mu.Unlock(); return out.Write(p) })
	go func() {
		code <- run(ctx, append([]string{"serve"}, args...), strings.NewReader(""), w, w, func(k string) string { return vars[k] })
	}()
	base = "http://" + addr
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			break
		}
		select {
		case c := <-code:
			mu.Lock()
			defer mu.Unlock()
			t.Fatalf("serve exited %d:\n%s", c, out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("serve did not come up")
		}
		time.Sleep(100 * time.Millisecond)
	}
	stopped := false
	stop = func() int {
		if stopped {
			return 0
		}
		stopped = true
		cancel()
		return <-code
	}
	t.Cleanup(func() { stop() })
	return base, stop
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func post(t *testing.T, url, body string) (int, string) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func get(t *testing.T, url string) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// On embedded defaults: no database, no LLM, no keys.
func TestServeEmbeddedDefaults(t *testing.T) {
	dir := t.TempDir()
	base, stop := serveInBackground(t, map[string]string{"TRIAGE_DATA_DIR": dir})
	if c := get(t, base+"/readyz"); c != 200 {
		t.Fatalf("readyz %d", c)
	}
	if c, b := post(t, base+"/v1/triage", `{"text":"充值了648元，钻石一直没到账"}`); c != 200 || !strings.Contains(b, `"similar_cases":[{`) || !strings.Contains(b, `"generator":"offline"`) {
		t.Fatalf("triage %d %s", c, b)
	}
	if c, b := post(t, base+"/v1/feedback", `{"ticket_id":"T-1","text":"充值了648元，钻石一直没到账","scenario":"payment_recharge"}`); c != 201 {
		t.Fatalf("feedback %d %s", c, b)
	}
	if code := stop(); code != 0 {
		t.Fatalf("serve exited %d", code)
	}
	r := cli(t, "", map[string]string{"TRIAGE_DATA_DIR": dir}, "feedback", "export")
	if r.code != 0 || !strings.Contains(r.stdout, `"id":"T-1"`) || !strings.Contains(r.stdout, `"scenario":"payment_recharge"`) {
		t.Errorf("export after the server stopped: %d %s %s", r.code, r.stdout, r.stderr)
	}
}

// With PostgreSQL: cases and feedback go to the database, and readiness
// follows it.
func TestServePostgresReadiness(t *testing.T) {
	dbURL := testdb.URL(t)
	p, proxied := testdb.NewProxy(t, dbURL)
	col := fmt.Sprintf("serve%d", time.Now().UnixNano()%1e9)
	t.Cleanup(func() {
		if db, err := postgres.Open(context.Background(), dbURL, postgres.Options{}); err == nil {
			defer db.Close()
			if s, err := db.Cases(context.Background(), col); err == nil {
				s.Drop(context.Background())
			}
		}
	})
	env := map[string]string{"TRIAGE_DATA_DIR": apptest.DataDir(t), "DATABASE_URL": proxied}
	base, stop := serveInBackground(t, env, "--collection", col)
	if c := get(t, base+"/readyz"); c != 200 {
		t.Fatalf("readyz %d", c)
	}
	if c, b := post(t, base+"/v1/cases", `{"cases":[{"id":"pg-1","text":"游戏一直闪退，更新后打不开","lang":"zh","scenario":"technical_issue","reply":"已在新版本修复"}]}`); c != 200 {
		t.Fatalf("cases %d %s", c, b)
	}
	if c, b := post(t, base+"/v1/cases/search", `{"text":"更新以后游戏闪退"}`); c != 200 || !strings.Contains(b, `"id":"pg-1"`) {
		t.Fatalf("search %d %s", c, b)
	}
	ticket := fmt.Sprintf("PG-%d", time.Now().UnixNano())
	if c, b := post(t, base+"/v1/feedback", `{"ticket_id":"`+ticket+`","text":"更新以后游戏闪退","scenario":"technical_issue"}`); c != 201 {
		t.Fatalf("feedback %d %s", c, b)
	}

	p.Cut() // the database goes away
	if c := get(t, base+"/readyz"); c != 503 {
		t.Errorf("readyz with the database gone: %d", c)
	}
	// What needs the database says so: 503, not 500.
	for path, body := range map[string]string{
		"/v1/cases/search": `{"text":"更新以后游戏闪退"}`,
		"/v1/cases":        `{"cases":[{"id":"pg-2","text":"游戏闪退","lang":"zh","scenario":"technical_issue","reply":"已修复"}]}`,
		"/v1/feedback":     `{"ticket_id":"PG-down","text":"游戏闪退","scenario":"technical_issue"}`,
		"/v1/triage":       `{"text":"更新以后游戏闪退"}`,
	} {
		if c, b := post(t, base+path, body); c != 503 {
			t.Errorf("%s with the database gone: %d %s, want 503", path, c, b)
		}
	}
	if c := get(t, base+"/healthz"); c != 200 {
		t.Errorf("healthz with the database gone: %d", c)
	}
	p.Start(t) // and comes back on the same address
	deadline := time.Now().Add(10 * time.Second)
	for get(t, base+"/readyz") != 200 {
		if time.Now().After(deadline) {
			t.Fatal("readyz did not recover")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if code := stop(); code != 0 {
		t.Fatalf("serve exited %d", code)
	}
	r := cli(t, "", map[string]string{"DATABASE_URL": dbURL}, "feedback", "export", "--collection", col)
	if r.code != 0 || !strings.Contains(r.stdout, ticket) {
		t.Errorf("export from PostgreSQL: %d %s", r.code, r.stderr)
	}
}

func TestServeBadConfig(t *testing.T) {
	tests := []struct {
		env  map[string]string
		args []string
		msg  string
	}{
		{map[string]string{"TRIAGE_API_KEYS": "short:agent"}, nil, "shorter than 16"},
		{map[string]string{"TRIAGE_RATE_LIMIT": "fast"}, nil, "TRIAGE_RATE_LIMIT"},
		{map[string]string{"TRIAGE_REQUEST_TIMEOUT": "soon"}, nil, "TRIAGE_REQUEST_TIMEOUT"},
		{map[string]string{"TRIAGE_MAX_TEXT_BYTES": "999999"}, nil, "outside 1..65536"},
		{map[string]string{"TRIAGE_CLASSIFIER": "cascade"}, nil, "needs an LLM"},
		{map[string]string{"TRIAGE_CHAT_MODEL": "m"}, nil, "OPENAI_BASE_URL"},
		{nil, []string{"--similar-cases", "0"}, "outside 1..10"},
	}
	for _, tt := range tests {
		r := cli(t, "", tt.env, append([]string{"serve"}, tt.args...)...)
		if r.code != 2 || !strings.Contains(r.stderr, tt.msg) {
			t.Errorf("%v %v: exit %d, %q", tt.env, tt.args, r.code, r.stderr)
		}
	}
}

// With an OpenAI-compatible endpoint: drafts come from the LLM, and the
// cascade asks it when the model abstains.
func TestServeWithLLM(t *testing.T) {
	srv := llmtest.NewFunc(t, func(req openai.ChatCompletionRequest) llmtest.Reply {
		if req.ResponseFormat != nil {
			return llmtest.Reply{Text: `{"scenario":"technical_issue"}`}
		}
		return llmtest.Reply{Text: "您好，我们已经收到您的反馈，正在核查。"}
	})
	env := map[string]string{"TRIAGE_DATA_DIR": apptest.DataDir(t), "OPENAI_BASE_URL": srv.BaseURL(), "OPENAI_API_KEY": llmtest.APIKey,
		"TRIAGE_CHAT_MODEL": "qwen2.5:7b", "TRIAGE_CLASSIFIER": "cascade"}
	base, _ := serveInBackground(t, env)
	c, b := post(t, base+"/v1/suggest", `{"text":"充值了648元，钻石一直没到账"}`)
	if c != 200 || !strings.Contains(b, `"generator":"llm:qwen2.5:7b"`) {
		t.Fatalf("suggest %d %s", c, b)
	}
	c, b = post(t, base+"/v1/classify", `{"text":"hmm"}`)
	if c != 200 || !strings.Contains(b, `"decided_by":"llm:qwen2.5:7b"`) || !strings.Contains(b, `"technical_issue"`) {
		t.Errorf("cascade on an abstention: %d %s", c, b)
	}
	if c := get(t, base+"/metrics"); c != 200 {
		t.Fatal(c)
	}
	resp, _ := http.Get(base + "/metrics")
	m, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(m), `triage_llm_request_duration_seconds_count{kind="classify",model="qwen2.5:7b",outcome="ok"} 1`) {
		t.Error("LLM classification not in the metrics")
	}
}

// Many searches and triages at once against PostgreSQL, with a small
// pool set in the URL: none waits on a connection it holds itself, so
// nothing times out and nothing fails.
func TestServePostgresConcurrency(t *testing.T) {
	dbURL := testdb.URL(t)
	col := fmt.Sprintf("conc%d", time.Now().UnixNano()%1e9)
	t.Cleanup(func() {
		if db, err := postgres.Open(context.Background(), dbURL, postgres.Options{}); err == nil {
			defer db.Close()
			if s, err := db.Cases(context.Background(), col); err == nil {
				s.Drop(context.Background())
			}
		}
	})
	sep := "?"
	if strings.Contains(dbURL, "?") {
		sep = "&"
	}
	env := map[string]string{"TRIAGE_DATA_DIR": apptest.DataDir(t), "DATABASE_URL": dbURL + sep + "pool_max_conns=4", "TRIAGE_REQUEST_TIMEOUT": "10s"}
	base, stop := serveInBackground(t, env, "--collection", col)
	defer stop()
	if c, b := post(t, base+"/v1/cases", `{"cases":[{"id":"c-1","text":"游戏一直闪退，更新后打不开","lang":"zh","scenario":"technical_issue","reply":"已在新版本修复"},{"id":"c-2","text":"my parcel never arrived and the courier says delivered","lang":"en","scenario":"order_delivery","reply":"We reshipped it"}]}`); c != 200 {
		t.Fatalf("cases %d %s", c, b)
	}
	const clients, rounds = 32, 3
	type outcome struct {
		status int
		took   time.Duration
		err    error
	}
	results := make(chan outcome, clients*rounds)
	var wg sync.WaitGroup
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			path, body := "/v1/cases/search", `{"text":"更新以后游戏闪退"}`
			if i%2 == 1 {
				path, body = "/v1/triage", `{"text":"my parcel never arrived, the courier says it was delivered"}`
			}
			for range rounds {
				start := time.Now()
				resp, err := http.Post(base+path, "application/json", strings.NewReader(body))
				o := outcome{took: time.Since(start), err: err}
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					o.status = resp.StatusCode
				}
				results <- o
			}
		}()
	}
	wg.Wait()
	close(results)
	var took []time.Duration
	for o := range results {
		if o.err != nil || o.status != 200 {
			t.Errorf("status %d, err %v after %v", o.status, o.err, o.took)
		}
		took = append(took, o.took)
	}
	slices.Sort(took)
	p99 := took[len(took)*99/100]
	t.Logf("%d requests from %d clients on a pool of 4: p50 %v, p99 %v, max %v", len(took), clients, took[len(took)/2], p99, took[len(took)-1])
	if p99 > 5*time.Second {
		t.Errorf("p99 %v: requests waited on the pool", p99)
	}
}

// A network partition to the database: requests fail fast with 503/504
// while it lasts, and within seconds of its end search, triage and
// readiness work again.
func TestServePostgresBlackhole(t *testing.T) {
	dbURL := testdb.URL(t)
	p, proxied := testdb.NewProxy(t, dbURL)
	col := fmt.Sprintf("hole%d", time.Now().UnixNano()%1e9)
	t.Cleanup(func() {
		p.Restore()
		if db, err := postgres.Open(context.Background(), dbURL, postgres.Options{}); err == nil {
			defer db.Close()
			if s, err := db.Cases(context.Background(), col); err == nil {
				s.Drop(context.Background())
			}
		}
	})
	env := map[string]string{"TRIAGE_DATA_DIR": apptest.DataDir(t), "DATABASE_URL": proxied, "TRIAGE_REQUEST_TIMEOUT": "3s"}
	base, stop := serveInBackground(t, env, "--collection", col)
	defer stop()
	search := `{"text":"更新以后游戏闪退"}`
	if c, b := post(t, base+"/v1/cases", `{"cases":[{"id":"h-1","text":"游戏一直闪退，更新后打不开","lang":"zh","scenario":"technical_issue","reply":"已在新版本修复"}]}`); c != 200 {
		t.Fatalf("cases %d %s", c, b)
	}
	if c, b := post(t, base+"/v1/cases/search", search); c != 200 {
		t.Fatalf("search before %d %s", c, b)
	}

	p.Blackhole()
	var wg sync.WaitGroup
	for range 8 { // fill the pool with requests that hang on the partition
		wg.Add(1)
		go func() {
			defer wg.Done()
			if resp, err := http.Post(base+"/v1/cases/search", "application/json", strings.NewReader(search)); err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}()
	}
	wg.Wait()
	resp, err := http.Get(base + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 503 {
		t.Errorf("readyz during the partition: %d", resp.StatusCode)
	}
	// The public answer says what is down, not where.
	u, _ := url.Parse(proxied)
	for _, secret := range []string{u.Host, ":" + u.Port()} {
		if secret != "" && strings.Contains(string(body), secret) {
			t.Errorf("readyz tells %q: %s", secret, body)
		}
	}
	p.Restore()

	restored := time.Now()
	deadline := restored.Add(10 * time.Second)
	for {
		c, _ := post(t, base+"/v1/cases/search", search)
		tc, _ := post(t, base+"/v1/triage", `{"text":"更新以后游戏闪退"}`)
		if c == 200 && tc == 200 && get(t, base+"/readyz") == 200 {
			t.Logf("search, triage and readiness back %v after the partition ended", time.Since(restored).Round(100*time.Millisecond))
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("10 s after the partition: search %d, triage %d", c, tc)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// Input PostgreSQL cannot store is refused up front with 400, never a 500
// or a "retry" that cannot succeed.
func TestServePostgresRefusesWhatItCannotStore(t *testing.T) {
	dbURL := testdb.URL(t)
	col := fmt.Sprintf("nul%d", time.Now().UnixNano()%1e9)
	t.Cleanup(func() {
		if db, err := postgres.Open(context.Background(), dbURL, postgres.Options{}); err == nil {
			defer db.Close()
			if s, err := db.Cases(context.Background(), col); err == nil {
				s.Drop(context.Background())
			}
		}
	})
	env := map[string]string{"TRIAGE_DATA_DIR": apptest.DataDir(t), "DATABASE_URL": dbURL}
	base, stop := serveInBackground(t, env, "--collection", col)
	defer stop()
	tests := []struct {
		method, path, body string
		want               int
	}{
		{"POST", "/v1/cases", `{"cases":[{"id":"n-1","text":"game crash\u0000es","lang":"en","scenario":"technical_issue","reply":"fixed"}]}`, 400},
		{"POST", "/v1/cases", `{"cases":[{"id":"n-2","text":"game crashes","lang":"en","scenario":"technical_issue","reply":"fix\u0000ed"}]}`, 400},
		{"POST", "/v1/cases", `{"cases":[{"id":"a\u0000b","text":"game crashes","lang":"en","scenario":"technical_issue","reply":"fixed"}]}`, 400},
		{"POST", "/v1/cases", `{"cases":[{"id":"a/b","text":"game crashes","lang":"en","scenario":"technical_issue","reply":"fixed"}]}`, 400},
		{"POST", "/v1/feedback", `{"ticket_id":"T-\u00001","text":"game crashes","scenario":"technical_issue"}`, 400},
		{"POST", "/v1/feedback", `{"ticket_id":"T-1","text":"game crashes","scenario":"technical_issue","comment":"x\u0000y"}`, 400},
		{"POST", "/v1/triage", `{"text":"game\u0000crashes"}`, 400},
		{"GET", "/v1/cases/a%00b", "", 404},
		{"DELETE", "/v1/cases/a%00b", "", 404},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest(tt.method, base+tt.path, strings.NewReader(tt.body))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.want {
			t.Errorf("%s %s %s: %d %s, want %d", tt.method, tt.path, tt.body, resp.StatusCode, b, tt.want)
		}
	}
}
