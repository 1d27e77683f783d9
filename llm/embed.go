package llm

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	openai "github.com/sashabaranov/go-openai"
	"github.com/triagedesk/triage"
)

// EmbedderOptions configure an embedder behind any OpenAI-compatible
// endpoint (OpenAI, vLLM, Ollama, llama.cpp's server).
type EmbedderOptions struct {
	BaseURL string // OPENAI_BASE_URL, e.g. http://localhost:11434/v1
	APIKey  string // OPENAI_API_KEY (may be empty for local servers)
	Model   string // TRIAGE_EMBED_MODEL
	// Dimensions the store expects; 0 learns it from the first response.
	// A response of another size is an error, never silently stored.
	Dimensions int
	// BatchSize is the most texts per request (default 64).
	BatchSize int
	// Retries on 429 and 5xx, with exponential backoff from Backoff
	// (defaults 3 and 500 ms).
	Retries int
	Backoff time.Duration
	// HTTPClient overrides the transport (tests, proxies).
	HTTPClient *http.Client
}

// ErrDimension: the endpoint returned vectors of another size than the
// store holds.
var ErrDimension = triage.NewError(triage.EINVALID, "embedding dimension mismatch")

// Embedder embeds through an OpenAI-compatible /embeddings endpoint. It
// implements retrieve.Embedder; callers hand it only redacted text (the
// retrieve.Index does).
type Embedder struct {
	client *openai.Client
	opt    EmbedderOptions
	dims   int
}

// NewEmbedder returns the embedder; it does no I/O.
func NewEmbedder(opt EmbedderOptions) (*Embedder, error) {
	if opt.Model == "" {
		return nil, errors.New("openai embedder: no model (set TRIAGE_EMBED_MODEL)")
	}
	if opt.BatchSize <= 0 {
		opt.BatchSize = 64
	}
	if opt.Retries == 0 {
		opt.Retries = 3
	}
	if opt.Backoff == 0 {
		opt.Backoff = 500 * time.Millisecond
	}
	cfg := openai.DefaultConfig(opt.APIKey)
	if opt.BaseURL != "" {
		cfg.BaseURL = opt.BaseURL
	}
	if opt.HTTPClient != nil {
		cfg.HTTPClient = opt.HTTPClient
	}
	return &Embedder{client: openai.NewClientWithConfig(cfg), opt: opt, dims: opt.Dimensions}, nil
}

// Version names the model: vectors from different models never mix.
func (e *Embedder) Version() string { return "openai/" + e.opt.Model }

// Dimensions is the vector size (0 until known).
func (e *Embedder) Dimensions() int { return e.dims }

// Embed sends texts in batches, bounded by ctx, retrying 429 and 5xx
// responses with exponential backoff.
func (e *Embedder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, 0, len(texts))
	for start := 0; start < len(texts); start += e.opt.BatchSize {
		batch := texts[start:min(start+e.opt.BatchSize, len(texts))]
		vecs, err := e.embedBatch(ctx, batch)
		if err != nil {
			return nil, err
		}
		out = append(out, vecs...)
	}
	return out, nil
}

func (e *Embedder) embedBatch(ctx context.Context, batch []string) ([][]float32, error) {
	req := openai.EmbeddingRequestStrings{Input: batch, Model: openai.EmbeddingModel(e.opt.Model), EncodingFormat: openai.EmbeddingEncodingFormatFloat}
	var resp openai.EmbeddingResponse
	var err error
	for attempt := 0; ; attempt++ {
		resp, err = e.client.CreateEmbeddings(ctx, req)
		if err == nil || attempt >= e.opt.Retries || !Retryable(err) {
			break
		}
		wait := e.opt.Backoff << attempt
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("openai embedder: %w", ctx.Err())
		case <-time.After(wait):
		}
	}
	if err != nil {
		return nil, fmt.Errorf("openai embedder: %w", err)
	}
	if len(resp.Data) != len(batch) {
		return nil, fmt.Errorf("openai embedder: %d vectors for %d texts", len(resp.Data), len(batch))
	}
	vecs := make([][]float32, len(batch))
	for _, d := range resp.Data {
		if d.Index < 0 || d.Index >= len(batch) || vecs[d.Index] != nil {
			return nil, fmt.Errorf("openai embedder: bad index %d in response", d.Index)
		}
		if e.dims == 0 {
			e.dims = len(d.Embedding)
		}
		if len(d.Embedding) != e.dims {
			return nil, fmt.Errorf("openai embedder: %w: model %s returned %d dimensions, the store has %d", ErrDimension, e.opt.Model, len(d.Embedding), e.dims)
		}
		vecs[d.Index] = d.Embedding
	}
	return vecs, nil
}
