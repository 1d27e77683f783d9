package suggest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/triagedesk/triage"
	"github.com/triagedesk/triage/chat"
	"github.com/triagedesk/triage/classify"
	"github.com/triagedesk/triage/features"
	"github.com/triagedesk/triage/redact"
	"github.com/triagedesk/triage/retrieve"
)

// Generators named in Draft.Generator.
const (
	GeneratorOffline = "offline"
	generatorLLM     = "llm:"
)

// Draft is a suggested reply for the agent.
type Draft struct {
	// Reply is the text for the customer, with their personal data put
	// back and [case:ID] markers where it relies on a case.
	Reply    string `json:"reply"`
	Language string `json:"language"`
	// Citations are the retrieved cases the reply cites, in order.
	Citations []string `json:"citations"`
	// Compensation is what the policy allows (nil: none applies).
	Compensation *Offer `json:"compensation"`
	// NextSteps are for the agent, not the customer.
	NextSteps []string `json:"next_steps"`
	// Generator is "llm:<model>" or "offline".
	Generator string `json:"generator"`
	// Degraded: the offline draft replaced a failed or rejected LLM draft;
	// FallbackReason says why.
	Degraded       bool   `json:"degraded"`
	FallbackReason string `json:"fallback_reason,omitempty"`
}

// Chunk is the next piece of a reply being drafted.
type Chunk struct {
	Text string `json:"text"`
	// Reset withdraws everything sent before: the LLM draft failed or
	// broke a rule, and Text is the offline draft replacing it.
	Reset bool `json:"reset,omitempty"`
}

// Generator writes text from a chat; *llm.Client is one.
type Generator interface {
	Model() string
	Stream(ctx context.Context, r chat.Request, fn func(delta string) error) (string, error)
}

// Drafter drafts replies: with an LLM when one is configured, offline
// otherwise or when the LLM fails.
type Drafter struct {
	Taxonomy *triage.Taxonomy
	// LLM writes drafts; nil: offline drafts only.
	LLM Generator
	// MaxCases is how many similar cases the draft may rely on (default 3).
	MaxCases int
	// MinScore is the similarity a case needs to count as evidence; below
	// it the draft asks the customer for details (default DefaultMinScore).
	MinScore float64
	// QuoteScore is the similarity a case needs for the offline draft to
	// reuse a sentence of its reply (default DefaultQuoteScore; never
	// below MinScore).
	QuoteScore float64
	// AgentLanguage is the language of next steps (default "en").
	AgentLanguage string
	Logger        *slog.Logger

	amounts *features.AmountFinder
}

// New returns a drafter for tax; gen may be nil (offline only).
func New(tax *triage.Taxonomy, gen Generator, logger *slog.Logger) *Drafter {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Drafter{Taxonomy: tax, LLM: gen, MaxCases: 3, MinScore: DefaultMinScore, QuoteScore: DefaultQuoteScore, AgentLanguage: "en", Logger: logger, amounts: features.NewAmountFinder(tax)}
}

// Draft writes the whole draft.
func (d *Drafter) Draft(ctx context.Context, req Request) (Draft, error) {
	return d.Stream(ctx, req, nil)
}

// errClient marks an error returned by the caller's callback.
type errClient struct{ err error }

func (e errClient) Error() string { return e.err.Error() }
func (e errClient) Unwrap() error { return e.err }

// Stream drafts a reply, passing it to fn (when not nil) sentence by
// sentence as the LLM writes it. Each sentence is checked against the
// facts before it is passed on: a draft that promises money outside the
// facts, or an LLM that fails or times out, is replaced by the offline
// draft (a Chunk with Reset when text was already sent). Stream returns
// an error only for bad input, or when ctx ends or fn fails (the client
// went away); then the LLM call is cancelled.
func (d *Drafter) Stream(ctx context.Context, req Request, fn func(Chunk) error) (Draft, error) {
	if err := triage.CheckText(req.Text); err != nil {
		return Draft{}, fmt.Errorf("suggest: %w", err)
	}
	f, err := d.facts(req)
	if err != nil {
		return Draft{}, err
	}
	red := redact.Text(req.Text)
	cases := d.cases(req.Cases)
	ck := d.checker(f, cases).withClaims(req.Result)
	draft := Draft{Language: f.Language, Compensation: f.Compensation, Citations: []string{}, NextSteps: d.nextSteps(f, req, cases)}
	if d.LLM == nil {
		return d.fallback(draft, f, cases, ck, fn, false, "")
	}
	msgs, err := Messages(f, cases, red.Text)
	if err != nil {
		return Draft{}, err
	}

	var (
		sent     strings.Builder
		pending  string
		rejected error
	)
	emit := func(s string) error {
		if err := ck.check(s); err != nil {
			rejected = err
			return err
		}
		s = red.Restore(ck.cite(s))
		sent.WriteString(s)
		if fn != nil {
			if err := fn(Chunk{Text: s}); err != nil {
				return errClient{err}
			}
		}
		return nil
	}
	emitAll := func(ss []string) error {
		for _, s := range ss {
			if err := emit(s); err != nil {
				return err
			}
		}
		return nil
	}
	_, err = d.LLM.Stream(ctx, chat.Request{Messages: msgs, Temperature: 0.3, MaxTokens: 700}, func(delta string) error {
		var done []string
		done, pending = sentences(pending+delta, false)
		return emitAll(done)
	})
	if err == nil {
		done, _ := sentences(pending, true)
		err = emitAll(done)
	}
	var client errClient
	switch {
	case errors.As(err, &client):
		return Draft{}, client.err
	case rejected != nil:
		return d.fallback(draft, f, cases, ck, fn, sent.Len() > 0, fallbackReason(rejected))
	case ctx.Err() != nil:
		return Draft{}, fmt.Errorf("suggest: %w", ctx.Err())
	case err != nil:
		return d.fallback(draft, f, cases, ck, fn, sent.Len() > 0, fallbackReason(err))
	case strings.TrimSpace(sent.String()) == "":
		return d.fallback(draft, f, cases, ck, fn, false, "empty draft")
	}
	draft.Reply = strings.TrimSpace(sent.String())
	draft.Citations = append(draft.Citations, ck.cited...)
	draft.Generator = generatorLLM + d.LLM.Model()
	return draft, nil
}

// fallbackReason says why an LLM draft was replaced, in words fit for an
// agent's screen and the log: never the endpoint's URL, the driver's
// error or the rejected sentence (which may hold what the model was
// told to leak).
func fallbackReason(err error) string {
	for _, known := range []error{ErrUnsupportedPromise, chat.ErrEmpty, chat.ErrIncomplete, chat.ErrMalformed} {
		if errors.Is(err, known) {
			if known == ErrUnsupportedPromise {
				return known.Error()
			}
			return "llm: " + known.Error()
		}
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "llm: deadline exceeded"
	}
	var e *triage.Error
	if errors.As(err, &e) && e.Message != "" {
		return e.Message
	}
	return "llm: request failed"
}

// fallback finishes draft with the offline reply; degraded when it
// replaces an LLM draft (reason says why).
func (d *Drafter) fallback(draft Draft, f Facts, cases []retrieve.Result, ck *checker, fn func(Chunk) error, reset bool, reason string) (Draft, error) {
	draft.Reply, draft.Citations = d.offline(f, cases)
	draft.Generator = GeneratorOffline
	if d.LLM != nil {
		draft.Degraded, draft.FallbackReason = true, reason
		d.Logger.Warn("llm draft replaced by the offline draft", "model", d.LLM.Model(), "reason", reason)
	}
	if fn != nil {
		if err := fn(Chunk{Text: draft.Reply, Reset: reset}); err != nil {
			return Draft{}, err
		}
	}
	return draft, nil
}

// cases are the best MaxCases cases with personal data removed.
func (d *Drafter) cases(in []retrieve.Result) []retrieve.Result {
	n := d.MaxCases
	if n <= 0 {
		n = 3
	}
	out := make([]retrieve.Result, 0, min(n, len(in)))
	for _, c := range in[:min(n, len(in))] {
		c.Text = redact.Text(c.Text).Text
		c.Resolution = redact.Text(c.Resolution).Text
		c.Reply = redact.Text(c.Reply).Text
		out = append(out, c)
	}
	return out
}

func (d *Drafter) checker(f Facts, cases []retrieve.Result) *checker {
	ck := &checker{amounts: d.amounts, allowed: f.Allowed, cases: map[string]bool{}}
	terms := d.Taxonomy.Drafting.PromiseTerms
	ck.terms = append(append(ck.terms, terms["en"]...), terms[f.Language]...)
	for _, c := range cases {
		ck.cases[c.ID] = true
	}
	for _, n := range numberRe.FindAllString(compensationFact(f.Compensation), -1) {
		if v, ok := features.ParseNumber(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(n), "%"))); ok {
			ck.numbers = append(ck.numbers, v)
		}
	}
	return ck
}

// withClaims lets a draft repeat the amounts the customer named (outside
// promises).
func (ck *checker) withClaims(res classify.Result) *checker {
	if res.Severity != nil {
		for _, a := range res.Severity.Amounts {
			ck.claimed = append(ck.claimed, a.Money())
		}
	}
	return ck
}

// nextSteps is the agent's checklist.
func (d *Drafter) nextSteps(f Facts, req Request, cases []retrieve.Result) []string {
	lang := d.AgentLanguage
	var out []string
	if req.Result.NeedsReview {
		out = append(out, fmt.Sprintf("Check the scenario: the classifier was unsure (%s).", strings.Join(req.Result.ReviewReasons, ", ")))
	}
	if len(req.Result.Queues) > 1 {
		out = append(out, fmt.Sprintf("Also route to: %s.", strings.Join(req.Result.Queues[1:], ", ")))
	}
	if s, ok := d.Taxonomy.Scenario(f.Scenario); ok {
		for _, step := range s.Guidance.NextSteps {
			out = append(out, step.In(lang))
		}
	}
	if c := f.Compensation; c != nil && c.Status == CompPending {
		out = append(out, fmt.Sprintf("Verify the loss in the order or payment system before offering compensation (%s policy).", c.Policy))
	}
	if f.Thin && f.Ask != "" {
		out = append(out, "Ask the customer for: "+f.Ask+".")
	}
	for _, c := range cases[:min(2, len(cases))] {
		if c.Score >= d.MinScore && c.Resolution != "" {
			out = append(out, fmt.Sprintf("Compare with [case:%s] (similarity %.2f): %s", c.ID, c.Score, clip(c.Resolution, 200)))
		}
	}
	return out
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
