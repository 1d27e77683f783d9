// Package chat holds what callers of a chat model need to say and to
// branch on: messages, requests, JSON-schema answers, the errors of a
// call and the fence for untrusted text in prompts. It does not call
// anything: package llm is the adapter that sends these requests to an
// OpenAI-compatible endpoint, so domain packages depend on chat alone.
package chat

import (
	"encoding/json"
	"strings"

	"github.com/triagedesk/triage"
)

// Errors callers branch on; all are wrapped with context.
var (
	// ErrEmpty: the endpoint answered without any content.
	ErrEmpty = triage.NewError(triage.EUNAVAILABLE, "empty response")
	// ErrIncomplete: the answer stopped before the model finished (a
	// stream cut mid-way, or the token limit reached).
	ErrIncomplete = triage.NewError(triage.EUNAVAILABLE, "incomplete response")
	// ErrMalformed: the response could not be decoded.
	ErrMalformed = triage.NewError(triage.EUNAVAILABLE, "malformed response")
)

// Role is who speaks a message.
type Role string

// The roles of a chat.
const (
	System    Role = "system"
	User      Role = "user"
	Assistant Role = "assistant"
)

// Message is one turn of a chat.
type Message struct {
	Role    Role
	Content string
}

// Schema asks for an answer that is one JSON object matching a JSON
// Schema (response_format json_schema, strict).
type Schema struct {
	Name   string
	Schema json.RawMessage
}

// Request is one chat completion.
type Request struct {
	Messages    []Message
	Temperature float32
	MaxTokens   int     // 0: the server's default
	Schema      *Schema // nil: free text
}

// Fence keeps untrusted text placed between <<<NAME and NAME>>> markers
// in a prompt from closing them: it turns <<< and >>> into look-alikes.
var Fence = strings.NewReplacer("<<<", "‹‹‹", ">>>", "›››").Replace
