// Package suggest drafts grounded replies for agents: the prompt, the
// OpenAI-compatible client, PII redaction and the offline drafter.
package suggest
