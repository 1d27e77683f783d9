package llm

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// fakeOpenAI speaks the embeddings wire format and checks what it is sent.
type fakeOpenAI struct {
	t        *testing.T
	dims     int
	failures []int // status codes to answer first, in order
	calls    atomic.Int32
	inputs   [][]string
}

func (f *fakeOpenAI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := int(f.calls.Add(1))
	if r.Method != http.MethodPost || r.URL.Path != "/v1/embeddings" {
		f.t.Errorf("request %s %s", r.Method, r.URL.Path)
	}
	if got := r.Header.Get("Authorization"); got != "Bearer sk-test" {
		f.t.Errorf("Authorization %q", got)
	}
	if n <= len(f.failures) {
		w.WriteHeader(f.failures[n-1])
		io.WriteString(w, `{"error":{"message":"slow down","type":"rate_limit"}}`)
		return
	}
	var req struct {
		Model string   `json:"model"`
		Input []string `json:"input"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Model != "embed-test" {
		f.t.Errorf("body: %v model %q", err, req.Model)
	}
	f.inputs = append(f.inputs, req.Input)
	type item struct {
		Object    string    `json:"object"`
		Index     int       `json:"index"`
		Embedding []float32 `json:"embedding"`
	}
	resp := struct {
		Object string `json:"object"`
		Data   []item `json:"data"`
		Model  string `json:"model"`
	}{Object: "list", Model: req.Model}
	// answer in reverse order: the client must place vectors by index
	for i := len(req.Input) - 1; i >= 0; i-- {
		v := make([]float32, f.dims)
		v[0] = float32(len(req.Input[i]))
		resp.Data = append(resp.Data, item{"embedding", i, v})
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(resp)
}

func newFake(t *testing.T, f *fakeOpenAI, dims int, opt EmbedderOptions) (*Embedder, func()) {
	f.t = t
	srv := httptest.NewServer(f)
	opt.BaseURL, opt.APIKey, opt.Model = srv.URL+"/v1", "sk-test", "embed-test"
	opt.Backoff = time.Millisecond
	opt.Dimensions = dims
	e, err := NewEmbedder(opt)
	if err != nil {
		t.Fatal(err)
	}
	return e, srv.Close
}

func TestOpenAIEmbedder(t *testing.T) {
	f := &fakeOpenAI{dims: 8}
	e, stop := newFake(t, f, 0, EmbedderOptions{BatchSize: 2})
	defer stop()
	texts := []string{"a", "bb", "ccc", "dddd", "eeeee"}
	vs, err := e.Embed(context.Background(), texts)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.inputs) != 3 || len(f.inputs[0]) != 2 || len(f.inputs[2]) != 1 {
		t.Errorf("batches %v", f.inputs)
	}
	for i, v := range vs {
		if int(v[0]) != len(texts[i]) {
			t.Errorf("vector %d belongs to another text", i)
		}
	}
	if e.Dimensions() != 8 || e.Version() != "openai/embed-test" {
		t.Errorf("dims %d version %s", e.Dimensions(), e.Version())
	}
}

func TestOpenAIRetries(t *testing.T) {
	f := &fakeOpenAI{dims: 4, failures: []int{429, 503}}
	e, stop := newFake(t, f, 4, EmbedderOptions{})
	defer stop()
	if _, err := e.Embed(context.Background(), []string{"x"}); err != nil {
		t.Fatalf("after a 429 and a 503: %v", err)
	}
	if f.calls.Load() != 3 {
		t.Errorf("%d calls, want 3", f.calls.Load())
	}
	// A client error is not retried.
	f2 := &fakeOpenAI{dims: 4, failures: []int{400}}
	e2, stop2 := newFake(t, f2, 4, EmbedderOptions{})
	defer stop2()
	if _, err := e2.Embed(context.Background(), []string{"x"}); err == nil || f2.calls.Load() != 1 {
		t.Errorf("400: err %v after %d calls", err, f2.calls.Load())
	}
	// Retries give up.
	f3 := &fakeOpenAI{dims: 4, failures: []int{500, 500, 500, 500, 500}}
	e3, stop3 := newFake(t, f3, 4, EmbedderOptions{Retries: 2})
	defer stop3()
	if _, err := e3.Embed(context.Background(), []string{"x"}); err == nil || f3.calls.Load() != 3 {
		t.Errorf("persistent 500: err %v after %d calls", err, f3.calls.Load())
	}
}

func TestOpenAIDimensionCheck(t *testing.T) {
	f := &fakeOpenAI{dims: 8}
	e, stop := newFake(t, f, 16, EmbedderOptions{})
	defer stop()
	if _, err := e.Embed(context.Background(), []string{"x"}); !errors.Is(err, ErrDimension) {
		t.Errorf("8-dim answer for a 16-dim store: %v", err)
	}
}

func TestOpenAIHonoursContext(t *testing.T) {
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer slow.Close()
	defer close(release)
	e, _ := NewEmbedder(EmbedderOptions{BaseURL: slow.URL + "/v1", Model: "m"})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := e.Embed(ctx, []string{"x"}); err == nil || time.Since(start) > 2*time.Second {
		t.Errorf("err %v after %v", err, time.Since(start))
	}
	if _, err := NewEmbedder(EmbedderOptions{}); err == nil {
		t.Error("no model accepted")
	}
}
