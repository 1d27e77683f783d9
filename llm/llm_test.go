package llm_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"github.com/triagedesk/triage/chat"
	"github.com/triagedesk/triage/llm"
	"github.com/triagedesk/triage/llm/llmtest"
)

func newClient(t *testing.T, srv *llmtest.Server, timeout time.Duration) *llm.Client {
	t.Helper()
	c, err := llm.New(llm.Options{BaseURL: srv.BaseURL(), APIKey: llmtest.APIKey, Model: "test-model", Timeout: timeout, Backoff: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var req = chat.Request{Messages: []chat.Message{{Role: chat.System, Content: "rules"}, {Role: chat.User, Content: "hello"}}, Temperature: 0.2}

func TestNewNeedsModelAndEndpoint(t *testing.T) {
	if _, err := llm.New(llm.Options{BaseURL: "http://x/v1"}); err == nil || !strings.Contains(err.Error(), "TRIAGE_CHAT_MODEL") {
		t.Errorf("no model: %v", err)
	}
	if _, err := llm.New(llm.Options{Model: "m"}); err == nil || !strings.Contains(err.Error(), "OPENAI_BASE_URL") {
		t.Errorf("no endpoint: %v", err)
	}
}

func TestComplete(t *testing.T) {
	tests := []struct {
		name     string
		replies  []llmtest.Reply
		timeout  time.Duration
		want     string
		wantErr  error // nil: success
		anyErr   bool
		requests int
	}{
		{name: "ok", replies: []llmtest.Reply{{Text: "hi there"}}, want: "hi there", requests: 1},
		{name: "429 then success", replies: []llmtest.Reply{{Status: 429}, {Text: "after retry"}}, want: "after retry", requests: 2},
		{name: "503 then success", replies: []llmtest.Reply{{Status: 503}, {Text: "ok"}}, want: "ok", requests: 2},
		{name: "500 twice", replies: []llmtest.Reply{{Status: 500}, {Status: 500}}, anyErr: true, requests: 2},
		{name: "400 not retried", replies: []llmtest.Reply{{Status: 400}}, anyErr: true, requests: 1},
		{name: "malformed json", replies: []llmtest.Reply{{Raw: `{"choices":[{"message":`}}, wantErr: llm.ErrMalformed, requests: 1},
		{name: "no choices", replies: []llmtest.Reply{{Raw: `{"id":"x","choices":[]}`}}, wantErr: llm.ErrEmpty, requests: 1},
		{name: "token limit", replies: []llmtest.Reply{{Text: "half a sen", Finish: "length"}}, wantErr: llm.ErrIncomplete, requests: 1},
		{name: "slow server past the deadline", replies: []llmtest.Reply{{Delay: 2 * time.Second, Text: "late"}}, timeout: 100 * time.Millisecond, wantErr: context.DeadlineExceeded, requests: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := llmtest.New(t, tt.replies...)
			timeout := tt.timeout
			if timeout == 0 {
				timeout = 5 * time.Second
			}
			got, err := newClient(t, srv, timeout).Complete(context.Background(), req)
			switch {
			case tt.wantErr != nil && !errors.Is(err, tt.wantErr):
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			case tt.anyErr && err == nil:
				t.Fatalf("no error, got %q", got)
			case tt.wantErr == nil && !tt.anyErr && (err != nil || got != tt.want):
				t.Fatalf("got %q, %v; want %q", got, err, tt.want)
			}
			if n := len(srv.Requests()); n != tt.requests {
				t.Errorf("%d requests, want %d", n, tt.requests)
			}
		})
	}
}

func TestCompleteSendsModelMessagesAndSettings(t *testing.T) {
	srv := llmtest.New(t, llmtest.Reply{Text: "x"})
	if _, err := newClient(t, srv, time.Second).Complete(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	got := srv.Requests()[0]
	if got.Model != "test-model" || got.Stream || got.Temperature != 0.2 {
		t.Errorf("request = model %q stream %v temperature %v", got.Model, got.Stream, got.Temperature)
	}
	if len(got.Messages) != 2 || got.Messages[0].Role != "system" || got.Messages[1].Content != "hello" {
		t.Errorf("messages = %+v", got.Messages)
	}
}

func TestCallerContextEndsTheCall(t *testing.T) {
	srv := llmtest.New(t, llmtest.Reply{Delay: 5 * time.Second})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	start := time.Now()
	_, err := newClient(t, srv, time.Minute).Complete(ctx, req)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("returned after %v", d)
	}
}

// A call ends before its caller's deadline, leaving the caller time to
// fall back: the client's own timeout is no longer than the request's.
func TestCallLeavesTheCallerTime(t *testing.T) {
	srv := llmtest.New(t, llmtest.Reply{Delay: 10 * time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, err := newClient(t, srv, time.Minute).Complete(ctx, req)
	if err == nil {
		t.Fatal("a hung LLM answered")
	}
	if ctx.Err() != nil {
		t.Fatalf("the call used up the caller's deadline (err %v)", err)
	}
	dl, _ := ctx.Deadline()
	if left := time.Until(dl); left < llm.MinReserve/2 {
		t.Errorf("only %v left to the caller", left)
	}
}

func TestStream(t *testing.T) {
	tests := []struct {
		name     string
		replies  []llmtest.Reply
		want     string // the text passed to fn
		wantErr  error
		anyErr   bool
		requests int
	}{
		{name: "ok", replies: []llmtest.Reply{{Text: "您好，我们已收到。"}}, want: "您好，我们已收到。", requests: 1},
		{name: "429 then success", replies: []llmtest.Reply{{Status: 429}, {Text: "second try"}}, want: "second try", requests: 2},
		{name: "500 twice", replies: []llmtest.Reply{{Status: 500}}, anyErr: true, requests: 2},
		{name: "cut mid-way", replies: []llmtest.Reply{{Chunks: []string{"We are ", "looking"}, Cut: true}}, want: "We are looking", wantErr: llm.ErrIncomplete, requests: 1},
		{name: "token limit", replies: []llmtest.Reply{{Text: "We are", Finish: "length"}}, want: "We are", wantErr: llm.ErrIncomplete, requests: 1},
		{name: "empty", replies: []llmtest.Reply{{Chunks: []string{}}}, wantErr: llm.ErrEmpty, requests: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := llmtest.New(t, tt.replies...)
			var seen strings.Builder
			var pieces int
			got, err := newClient(t, srv, 5*time.Second).Stream(context.Background(), req, func(d string) error {
				seen.WriteString(d)
				pieces++
				return nil
			})
			switch {
			case tt.wantErr != nil && !errors.Is(err, tt.wantErr):
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			case tt.anyErr && err == nil:
				t.Fatal("no error")
			case tt.wantErr == nil && !tt.anyErr && err != nil:
				t.Fatal(err)
			}
			if seen.String() != tt.want || (err == nil && got != tt.want) {
				t.Errorf("streamed %q, returned %q; want %q", seen.String(), got, tt.want)
			}
			if tt.want != "" && pieces < 2 {
				t.Errorf("%d pieces: not streamed", pieces)
			}
			if n := len(srv.Requests()); n != tt.requests {
				t.Errorf("%d requests, want %d", n, tt.requests)
			}
			if r := srv.Requests()[0]; !r.Stream {
				t.Error("request did not ask for a stream")
			}
		})
	}
}

func TestStreamStopsWhenFnFails(t *testing.T) {
	srv := llmtest.New(t, llmtest.Reply{Text: "one two three four five six"})
	stop := errors.New("client went away")
	calls := 0
	_, err := newClient(t, srv, 5*time.Second).Stream(context.Background(), req, func(string) error {
		calls++
		return stop
	})
	if !errors.Is(err, stop) || calls != 1 {
		t.Fatalf("err %v after %d calls", err, calls)
	}
}

func TestJSON(t *testing.T) {
	schema := &chat.Schema{Name: "choice", Schema: json.RawMessage(`{"type":"object","properties":{"id":{"type":"string"}},"required":["id"],"additionalProperties":false}`)}
	tests := []struct {
		name    string
		reply   string
		want    string
		wantErr error
	}{
		{"ok", `{"id":"payments"}`, "payments", nil},
		{"not json", `the answer is payments`, "", llm.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := llmtest.New(t, llmtest.Reply{Text: tt.reply})
			var out struct{ ID string }
			r := req
			r.Schema = schema
			err := newClient(t, srv, time.Second).JSON(context.Background(), r, &out)
			if !errors.Is(err, tt.wantErr) || out.ID != tt.want {
				t.Fatalf("got %q, %v", out.ID, err)
			}
			sent := srv.Requests()[0].ResponseFormat
			if sent == nil || sent.Type != "json_schema" || sent.JSONSchema == nil || sent.JSONSchema.Name != "choice" || !sent.JSONSchema.Strict {
				t.Errorf("response_format = %+v", sent)
			}
		})
	}
}

func TestRetryable(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{errors.New("dial tcp: refused"), false},
		{&openai.APIError{HTTPStatusCode: http.StatusTooManyRequests}, true},
		{&openai.APIError{HTTPStatusCode: http.StatusBadGateway}, true},
		{&openai.APIError{HTTPStatusCode: http.StatusUnauthorized}, false},
		{fmt.Errorf("wrapped: %w", &openai.RequestError{HTTPStatusCode: 500}), true},
		{&openai.RequestError{HTTPStatusCode: 404}, false},
	}
	for _, tt := range tests {
		if got := llm.Retryable(tt.err); got != tt.want {
			t.Errorf("Retryable(%v) = %v", tt.err, got)
		}
	}
}
