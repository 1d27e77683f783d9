// Package llmtest is a fake OpenAI-compatible chat server for tests: it
// speaks the wire format (plain and streamed), records what it was sent
// and checks the path and headers, so tests exercise the real go-openai
// client end to end.
package llmtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	openai "github.com/sashabaranov/go-openai"
)

// APIKey is the key the server expects as "Authorization: Bearer".
const APIKey = "test-key"

// Reply is one scripted answer.
type Reply struct {
	// Status, when not 0 or 200, answers with this HTTP error.
	Status int
	// Text is the answer's content.
	Text string
	// Chunks, for a streamed request, are the pieces sent (default: Text
	// cut into pieces of a few runes).
	Chunks []string
	// Cut ends a streamed answer after Chunks with no finish reason and
	// no [DONE], as when a connection drops.
	Cut bool
	// Raw, when set, is written as the body instead of a valid response.
	Raw string
	// Delay is slept before answering (or aborts when the client leaves).
	Delay time.Duration
	// ChunkDelay is slept between streamed chunks; a client that leaves
	// meanwhile is counted by Cancelled.
	ChunkDelay time.Duration
	// Finish is the finish reason (default "stop").
	Finish string
}

// Server is a running fake endpoint.
type Server struct {
	*httptest.Server
	t testing.TB

	mu        sync.Mutex
	replies   []Reply
	respond   func(openai.ChatCompletionRequest) Reply
	requests  []openai.ChatCompletionRequest
	cancelled int
}

// Cancelled is how many streamed answers the client abandoned midway.
func (s *Server) Cancelled() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cancelled
}

// New starts a server answering with replies in order (the last one
// repeats); Close is registered with t.Cleanup.
func New(t testing.TB, replies ...Reply) *Server {
	s := &Server{t: t, replies: replies}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

// NewFunc starts a server that answers each request with respond(req).
func NewFunc(t testing.TB, respond func(openai.ChatCompletionRequest) Reply) *Server {
	s := New(t)
	s.respond = respond
	return s
}

// BaseURL is what OPENAI_BASE_URL should be set to.
func (s *Server) BaseURL() string { return s.URL + "/v1" }

// Requests returns the chat requests received so far.
func (s *Server) Requests() []openai.ChatCompletionRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]openai.ChatCompletionRequest(nil), s.requests...)
}

func (s *Server) next(req openai.ChatCompletionRequest) Reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, req)
	if s.respond != nil {
		return s.respond(req)
	}
	if len(s.replies) == 0 {
		return Reply{Text: "OK"}
	}
	r := s.replies[0]
	if len(s.replies) > 1 {
		s.replies = s.replies[1:]
	}
	return r
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/v1/chat/completions" || r.Method != http.MethodPost {
		s.t.Errorf("llmtest: unexpected %s %s", r.Method, r.URL.Path)
		http.NotFound(w, r)
		return
	}
	if got := r.Header.Get("Authorization"); got != "Bearer "+APIKey {
		s.t.Errorf("llmtest: Authorization = %q", got)
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		s.t.Errorf("llmtest: Content-Type = %q", ct)
	}
	var req openai.ChatCompletionRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		s.t.Errorf("llmtest: request body: %v", err)
		http.Error(w, "bad json", http.StatusBadRequest)
		return
	}
	reply := s.next(req)
	if reply.Delay > 0 {
		select {
		case <-time.After(reply.Delay):
		case <-r.Context().Done():
			return
		}
	}
	if reply.Status != 0 && reply.Status != http.StatusOK {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(reply.Status)
		fmt.Fprintf(w, `{"error":{"message":"fake error %d","type":"server_error"}}`, reply.Status)
		return
	}
	if reply.Raw != "" {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, reply.Raw)
		return
	}
	finish := openai.FinishReason(reply.Finish)
	if finish == "" {
		finish = openai.FinishReasonStop
	}
	if req.Stream {
		s.stream(w, r, req, reply, finish)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(openai.ChatCompletionResponse{
		ID: "chatcmpl-test", Object: "chat.completion", Model: req.Model,
		Choices: []openai.ChatCompletionChoice{{
			Message:      openai.ChatCompletionMessage{Role: "assistant", Content: reply.Text},
			FinishReason: finish,
		}},
	})
}

func (s *Server) stream(w http.ResponseWriter, r *http.Request, req openai.ChatCompletionRequest, reply Reply, finish openai.FinishReason) {
	w.Header().Set("Content-Type", "text/event-stream")
	flusher := w.(http.Flusher)
	send := func(delta string, fin openai.FinishReason) {
		b, _ := json.Marshal(openai.ChatCompletionStreamResponse{
			ID: "chatcmpl-test", Object: "chat.completion.chunk", Model: req.Model,
			Choices: []openai.ChatCompletionStreamChoice{{Delta: openai.ChatCompletionStreamChoiceDelta{Content: delta}, FinishReason: fin}},
		})
		fmt.Fprintf(w, "data: %s\n\n", b)
		flusher.Flush()
	}
	chunks := reply.Chunks
	if chunks == nil {
		chunks = Split(reply.Text, 4)
	}
	for _, c := range chunks {
		send(c, "")
		if reply.ChunkDelay > 0 {
			select {
			case <-time.After(reply.ChunkDelay):
			case <-r.Context().Done():
				s.mu.Lock()
				s.cancelled++
				s.mu.Unlock()
				return
			}
		}
	}
	if reply.Cut {
		// Drop the connection without a finish reason or [DONE].
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
			}
		}
		return
	}
	send("", finish)
	fmt.Fprint(w, "data: [DONE]\n\n")
	flusher.Flush()
}

// Split cuts text into pieces of n runes, as a model streams tokens.
func Split(text string, n int) []string {
	var out []string
	r := []rune(text)
	for len(r) > 0 {
		k := min(n, len(r))
		out = append(out, string(r[:k]))
		r = r[k:]
	}
	return out
}
