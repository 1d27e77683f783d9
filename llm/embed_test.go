package llm

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/triagedesk/triage/llm/llmtest"
)

// newFake starts a fake embeddings endpoint answering dims-wide vectors
// whose first value is the text's length, and an embedder for it that
// expects storeDims (0: learn it).
func newFake(t *testing.T, dims, storeDims int, opt EmbedderOptions) (*Embedder, *llmtest.Embeddings) {
	f := llmtest.NewEmbeddings(t, "embed-test", func(text string) []float32 {
		v := make([]float32, dims)
		v[0] = float32(len(text))
		return v
	})
	opt.BaseURL, opt.APIKey, opt.Model = f.BaseURL(), llmtest.APIKey, "embed-test"
	opt.Backoff = time.Millisecond
	opt.Dimensions = storeDims
	e, err := NewEmbedder(opt)
	if err != nil {
		t.Fatal(err)
	}
	return e, f
}

func TestOpenAIEmbedder(t *testing.T) {
	e, f := newFake(t, 8, 0, EmbedderOptions{BatchSize: 2})
	texts := []string{"a", "bb", "ccc", "dddd", "eeeee"}
	vs, err := e.Embed(context.Background(), texts)
	if err != nil {
		t.Fatal(err)
	}
	if b := f.Batches(); len(b) != 3 || len(b[0]) != 2 || len(b[2]) != 1 {
		t.Errorf("batches %v", b)
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
	e, f := newFake(t, 4, 4, EmbedderOptions{})
	f.Fail(429, 503)
	if _, err := e.Embed(context.Background(), []string{"x"}); err != nil {
		t.Fatalf("after a 429 and a 503: %v", err)
	}
	if f.Calls() != 3 {
		t.Errorf("%d calls, want 3", f.Calls())
	}
	// A client error is not retried.
	e2, f2 := newFake(t, 4, 4, EmbedderOptions{})
	f2.Fail(400)
	if _, err := e2.Embed(context.Background(), []string{"x"}); err == nil || f2.Calls() != 1 {
		t.Errorf("400: err %v after %d calls", err, f2.Calls())
	}
	// Retries give up.
	e3, f3 := newFake(t, 4, 4, EmbedderOptions{Retries: 2})
	f3.Fail(500, 500, 500, 500, 500)
	if _, err := e3.Embed(context.Background(), []string{"x"}); err == nil || f3.Calls() != 3 {
		t.Errorf("persistent 500: err %v after %d calls", err, f3.Calls())
	}
}

func TestOpenAIDimensionCheck(t *testing.T) {
	e, _ := newFake(t, 8, 16, EmbedderOptions{})
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
