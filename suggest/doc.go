// Package suggest drafts grounded replies for agents: the prompt, the
// OpenAI-compatible client and the offline drafter. Personal data is
// removed by the sub-package redact before any text leaves the process.
package suggest
