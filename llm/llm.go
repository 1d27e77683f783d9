// Package llm is the chat client behind every LLM call the service makes:
// any OpenAI-compatible endpoint (OpenAI, vLLM, Ollama, llama.cpp's
// server) through go-openai, with each call bounded by the caller's
// context and a default timeout, and one retry on 429 and 5xx.
package llm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/triagedesk/triage"

	openai "github.com/sashabaranov/go-openai"
	"github.com/triagedesk/triage/chat"
)

// Errors callers branch on (defined in package chat); all are wrapped
// with context.
var (
	ErrEmpty      = chat.ErrEmpty
	ErrIncomplete = chat.ErrIncomplete
	ErrMalformed  = chat.ErrMalformed
)

// Defaults for Options.
const (
	DefaultTimeout = 30 * time.Second
	DefaultBackoff = 500 * time.Millisecond
)

// Options configure a Client.
type Options struct {
	BaseURL string // OPENAI_BASE_URL, e.g. http://localhost:11434/v1
	APIKey  string // OPENAI_API_KEY (may be empty for local servers)
	Model   string // TRIAGE_CHAT_MODEL
	// Timeout bounds each call, retry included (default DefaultTimeout);
	// the caller's context may end it sooner.
	Timeout time.Duration
	// Backoff is the wait before the one retry (default DefaultBackoff).
	Backoff time.Duration
	// HTTPClient overrides the transport (tests, proxies).
	HTTPClient *http.Client
}

// Client calls one chat model at one endpoint. It is safe for concurrent
// use.
type Client struct {
	client *openai.Client
	opt    Options
}

// New returns a client; it does no I/O.
func New(opt Options) (*Client, error) {
	if opt.Model == "" {
		return nil, errors.New("llm: no model (set TRIAGE_CHAT_MODEL)")
	}
	if opt.BaseURL == "" {
		return nil, errors.New("llm: no endpoint (set OPENAI_BASE_URL)")
	}
	if opt.Timeout <= 0 {
		opt.Timeout = DefaultTimeout
	}
	if opt.Backoff <= 0 {
		opt.Backoff = DefaultBackoff
	}
	cfg := openai.DefaultConfig(opt.APIKey)
	cfg.BaseURL = opt.BaseURL
	if opt.HTTPClient != nil {
		cfg.HTTPClient = opt.HTTPClient
	}
	return &Client{client: openai.NewClientWithConfig(cfg), opt: opt}, nil
}

// Model is the model name, as sent to the endpoint.
func (c *Client) Model() string { return c.opt.Model }

func (c *Client) request(r chat.Request, stream bool) openai.ChatCompletionRequest {
	req := openai.ChatCompletionRequest{
		Model:       c.opt.Model,
		Temperature: r.Temperature,
		Stream:      stream,
	}
	//lint:ignore SA1019 max_tokens is what vLLM, Ollama and llama.cpp's server read.
	req.MaxTokens = r.MaxTokens
	for _, m := range r.Messages {
		req.Messages = append(req.Messages, openai.ChatCompletionMessage{Role: string(m.Role), Content: m.Content})
	}
	if r.Schema != nil {
		req.ResponseFormat = &openai.ChatCompletionResponseFormat{
			Type: openai.ChatCompletionResponseFormatTypeJSONSchema,
			JSONSchema: &openai.ChatCompletionResponseFormatJSONSchema{
				Name: r.Schema.Name, Schema: r.Schema.Schema, Strict: true,
			},
		}
	}
	return req
}

// Reserve is the share of the caller's remaining time a call leaves
// unused (at least MinReserve), so that when the LLM is slow the caller
// still has time to fall back — the offline draft, the local result —
// and answer before its own deadline.
const (
	Reserve    = 0.2
	MinReserve = 500 * time.Millisecond
)

// budget bounds one call by the client's timeout and, when ctx has a
// deadline, by Reserve before it.
func (c *Client) budget(ctx context.Context) (context.Context, context.CancelFunc) {
	d := c.opt.Timeout
	if dl, ok := ctx.Deadline(); ok {
		left := time.Until(dl)
		d = min(d, left-max(time.Duration(float64(left)*Reserve), MinReserve))
	}
	return context.WithTimeout(ctx, max(d, 0))
}

// Complete returns the whole answer.
func (c *Client) Complete(ctx context.Context, r chat.Request) (string, error) {
	ctx, cancel := c.budget(ctx)
	defer cancel()
	var resp openai.ChatCompletionResponse
	err := c.retry(ctx, func() (err error) {
		resp, err = c.client.CreateChatCompletion(ctx, c.request(r, false))
		return err
	})
	if err != nil {
		return "", c.wrap(err)
	}
	if len(resp.Choices) == 0 || resp.Choices[0].Message.Content == "" {
		return "", fmt.Errorf("llm: %s: %w", c.opt.Model, ErrEmpty)
	}
	ch := resp.Choices[0]
	if ch.FinishReason == openai.FinishReasonLength {
		return "", fmt.Errorf("llm: %s: %w: token limit reached", c.opt.Model, ErrIncomplete)
	}
	return ch.Message.Content, nil
}

// JSON asks for an answer matching r.Schema and decodes it into out.
func (c *Client) JSON(ctx context.Context, r chat.Request, out any) error {
	if r.Schema == nil {
		return errors.New("llm: JSON needs a schema")
	}
	text, err := c.Complete(ctx, r)
	if err != nil {
		return err
	}
	if err := json.Unmarshal([]byte(text), out); err != nil {
		return fmt.Errorf("llm: %s: %w: %v", c.opt.Model, ErrMalformed, err)
	}
	return nil
}

// Stream calls fn with each piece of the answer as it arrives and returns
// the whole answer. An error from fn stops the stream and is returned.
// Only opening the stream is retried: once text has reached fn, a failure
// is returned as it is.
func (c *Client) Stream(ctx context.Context, r chat.Request, fn func(delta string) error) (string, error) {
	ctx, cancel := c.budget(ctx)
	defer cancel()
	var stream *openai.ChatCompletionStream
	err := c.retry(ctx, func() (err error) {
		stream, err = c.client.CreateChatCompletionStream(ctx, c.request(r, true))
		return err
	})
	if err != nil {
		return "", c.wrap(err)
	}
	defer stream.Close()
	var (
		text   []byte
		finish openai.FinishReason
	)
	for {
		chunk, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return string(text), fmt.Errorf("llm: %s: %w: %v", c.opt.Model, ErrIncomplete, err)
		}
		if err != nil {
			return string(text), c.wrap(err)
		}
		if len(chunk.Choices) == 0 {
			continue
		}
		ch := chunk.Choices[0]
		if d := ch.Delta.Content; d != "" {
			text = append(text, d...)
			if err := fn(d); err != nil {
				return string(text), err
			}
		}
		if ch.FinishReason != "" {
			finish = ch.FinishReason
		}
	}
	switch {
	case ctx.Err() != nil:
		return string(text), c.wrap(ctx.Err())
	case finish == openai.FinishReasonLength:
		return string(text), fmt.Errorf("llm: %s: %w: token limit reached", c.opt.Model, ErrIncomplete)
	case finish == "":
		return string(text), fmt.Errorf("llm: %s: %w: stream ended without a finish reason", c.opt.Model, ErrIncomplete)
	case len(text) == 0:
		return "", fmt.Errorf("llm: %s: %w", c.opt.Model, ErrEmpty)
	}
	return string(text), nil
}

// retry runs call, and once more after the backoff when it failed with a
// rate limit or a server error.
func (c *Client) retry(ctx context.Context, call func() error) error {
	err := call()
	if err == nil || !Retryable(err) {
		return err
	}
	select {
	case <-ctx.Done():
		return err
	case <-time.After(c.opt.Backoff):
	}
	return call()
}

func (c *Client) wrap(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	if errors.As(err, &syn) || errors.As(err, &typ) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("llm: %s: %w: %v", c.opt.Model, ErrMalformed, err)
	}
	if code := httpStatus(err); code != 0 {
		return &triage.Error{Code: triage.EUNAVAILABLE, Message: fmt.Sprintf("llm: %s: the endpoint answered %d", c.opt.Model, code), Err: err}
	}
	return fmt.Errorf("llm: %s: %w", c.opt.Model, err)
}

// httpStatus is the HTTP status of a failed call, 0 when it has none.
func httpStatus(err error) int {
	var apiErr *openai.APIError
	if errors.As(err, &apiErr) {
		return apiErr.HTTPStatusCode
	}
	var reqErr *openai.RequestError
	if errors.As(err, &reqErr) {
		return reqErr.HTTPStatusCode
	}
	return 0
}

// Retryable reports whether err is a rate limit or a server error, the
// failures worth trying again.
func Retryable(err error) bool {
	var apiErr *openai.APIError
	if errors.As(err, &apiErr) {
		return apiErr.HTTPStatusCode == http.StatusTooManyRequests || apiErr.HTTPStatusCode >= 500
	}
	var reqErr *openai.RequestError
	if errors.As(err, &reqErr) {
		return reqErr.HTTPStatusCode == http.StatusTooManyRequests || reqErr.HTTPStatusCode >= 500
	}
	return false
}
