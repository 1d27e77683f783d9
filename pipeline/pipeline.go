// Package pipeline is the one triage flow: classify a complaint, find
// similar resolved cases, and hand both to the drafter. The HTTP server
// and the CLI both run it, so they cannot drift apart.
package pipeline

import (
	"context"
	"errors"

	"github.com/triagedesk/triage"
	"github.com/triagedesk/triage/classify"
	"github.com/triagedesk/triage/retrieve"
	"github.com/triagedesk/triage/suggest"
)

// Classifier classifies one complaint; *cascade.Classifier is one.
type Classifier interface {
	Classify(ctx context.Context, text string) (classify.Result, error)
}

// Searcher finds similar cases; *retrieve.Index is one.
type Searcher interface {
	Search(ctx context.Context, text string, k int, f retrieve.Filter) ([]retrieve.Result, error)
}

// Pipeline joins a classifier, a case index and a drafter.
type Pipeline struct {
	Classifier Classifier
	Cases      Searcher
	Drafter    *suggest.Drafter
	// SimilarCases is how many cases a request gets when it does not say
	// (default 3).
	SimilarCases int
}

// Request is one complaint to triage, with what an agent has verified.
type Request struct {
	Text string
	// K is how many similar cases to retrieve (0: SimilarCases).
	K int
	// Loss is the loss verified in the order or payment system (nil:
	// not verified); DelayDays how late the resolution is; Currency the
	// customer's currency for fixed amounts.
	Loss      *triage.Money
	DelayDays int
	Currency  string
}

// Result is a triaged complaint: its classification, the similar cases
// and the draft reply.
type Result struct {
	Classification classify.Result
	Cases          []retrieve.Result
	Draft          suggest.Draft
}

// Prepare classifies the complaint and retrieves similar cases: the
// request the drafter needs. Cases come from the predicted scenario when
// the classifier is sure of it, from all scenarios otherwise; an empty
// store gives a request without cases.
func (p *Pipeline) Prepare(ctx context.Context, r Request) (suggest.Request, error) {
	res, err := p.Classifier.Classify(ctx, r.Text)
	if err != nil {
		return suggest.Request{}, err
	}
	k := r.K
	if k <= 0 {
		k = p.SimilarCases
	}
	if k <= 0 {
		k = 3
	}
	cases, err := SimilarCases(ctx, p.Cases, r.Text, res, k)
	if err != nil {
		return suggest.Request{}, err
	}
	return suggest.Request{Text: r.Text, Result: res, Cases: cases, Loss: r.Loss, DelayDays: r.DelayDays, Currency: r.Currency}, nil
}

// Triage runs the whole flow: Prepare, then a draft.
func (p *Pipeline) Triage(ctx context.Context, r Request) (Result, error) {
	req, err := p.Prepare(ctx, r)
	if err != nil {
		return Result{}, err
	}
	d, err := p.Drafter.Draft(ctx, req)
	if err != nil {
		return Result{}, err
	}
	return Result{Classification: req.Result, Cases: req.Cases, Draft: d}, nil
}

// SimilarCases searches the scenario's cases when res is sure of it, all
// cases otherwise. A store without a collection yet gives none.
func SimilarCases(ctx context.Context, s Searcher, text string, res classify.Result, k int) ([]retrieve.Result, error) {
	var filter retrieve.Filter
	if !res.NeedsReview && res.Scenario.Label != triage.OutOfScope {
		filter.Scenario = res.Scenario.Label
	}
	cases, err := s.Search(ctx, text, k, filter)
	if errors.Is(err, retrieve.ErrNoCollection) {
		return nil, nil // no cases stored yet: a draft without evidence
	}
	return cases, err
}
