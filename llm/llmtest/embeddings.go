package llmtest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// Embeddings is a fake OpenAI-compatible /v1/embeddings endpoint. It
// checks the path, the bearer key (APIKey) and the model, answers every
// text with Vector(text) — in reverse order, so a client must place the
// vectors by their index — and records every batch it was sent.
type Embeddings struct {
	*httptest.Server
	t      testing.TB
	model  string
	vector func(text string) []float32

	mu       sync.Mutex
	failures []int
	batches  [][]string
	calls    int
}

// NewEmbeddings starts the endpoint for model; it stops when the test ends.
func NewEmbeddings(t testing.TB, model string, vector func(text string) []float32) *Embeddings {
	e := &Embeddings{t: t, model: model, vector: vector}
	e.Server = httptest.NewServer(http.HandlerFunc(e.serve))
	t.Cleanup(e.Close)
	return e
}

// BaseURL is the endpoint as OPENAI_BASE_URL takes it.
func (e *Embeddings) BaseURL() string { return e.URL + "/v1" }

// Fail answers the next requests with these HTTP statuses, in order.
func (e *Embeddings) Fail(statuses ...int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.failures = append(e.failures, statuses...)
}

// Calls is how many requests arrived, failed ones included.
func (e *Embeddings) Calls() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.calls
}

// Batches are the texts of every answered request, in order.
func (e *Embeddings) Batches() [][]string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([][]string(nil), e.batches...)
}

func (e *Embeddings) serve(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	e.calls++
	var fail int
	if len(e.failures) > 0 {
		fail, e.failures = e.failures[0], e.failures[1:]
	}
	e.mu.Unlock()
	if r.Method != http.MethodPost || r.URL.Path != "/v1/embeddings" {
		e.t.Errorf("embeddings: request %s %s", r.Method, r.URL.Path)
	}
	if got := r.Header.Get("Authorization"); got != "Bearer "+APIKey {
		e.t.Errorf("embeddings: Authorization %q", got)
	}
	if fail != 0 {
		w.WriteHeader(fail)
		io.WriteString(w, `{"error":{"message":"scripted failure","type":"server_error"}}`)
		return
	}
	var req struct {
		Model string   `json:"model"`
		Input []string `json:"input"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Model != e.model {
		e.t.Errorf("embeddings: body %v, model %q (want %q)", err, req.Model, e.model)
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	e.mu.Lock()
	e.batches = append(e.batches, req.Input)
	e.mu.Unlock()
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
	for i := len(req.Input) - 1; i >= 0; i-- {
		resp.Data = append(resp.Data, item{"embedding", i, e.vector(req.Input[i])})
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(resp)
}
