// Package triage holds the domain of complaint triage: the taxonomy
// (scenarios, severity levels, queues, escalation signals, currencies and
// the compensation policy), complaints and resolved cases, money, and the
// error codes every package returns for what callers branch on.
//
// It depends on the standard library only. Packages below the root
// provide capabilities (features, classify, retrieve, suggest, eval),
// adapters to one dependency each (postgres, llm, server), and the wiring
// that joins them (internal/app); see docs/design.md.
package triage
