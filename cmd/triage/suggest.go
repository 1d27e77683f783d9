package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/triagedesk/triage"
	"github.com/triagedesk/triage/classify"
	"github.com/triagedesk/triage/classify/cascade"
	"github.com/triagedesk/triage/datasets"
	"github.com/triagedesk/triage/llm"
	"github.com/triagedesk/triage/retrieve"
	"github.com/triagedesk/triage/suggest"
)

// chatFlags configure the LLM behind drafts and LLM-assisted
// classification.
type chatFlags struct {
	baseURL    string // OPENAI_BASE_URL
	apiKey     string // OPENAI_API_KEY
	model      string // TRIAGE_CHAT_MODEL
	timeout    time.Duration
	classifier string // TRIAGE_CLASSIFIER
}

func (a *app) addChatFlags(cmd *cobra.Command, f *chatFlags) {
	fl := cmd.Flags()
	fl.StringVar(&f.baseURL, "openai-base-url", a.getenv("OPENAI_BASE_URL"), "OpenAI-compatible endpoint, e.g. http://localhost:11434/v1 (env OPENAI_BASE_URL; default: no LLM, offline drafts)")
	fl.StringVar(&f.model, "chat-model", a.getenv("TRIAGE_CHAT_MODEL"), "chat model at that endpoint (env TRIAGE_CHAT_MODEL)")
	timeout := llm.DefaultTimeout
	if v := a.getenv("TRIAGE_LLM_TIMEOUT"); v != "" {
		if d, err := time.ParseDuration(v); err == nil {
			timeout = d
		}
	}
	fl.DurationVar(&f.timeout, "llm-timeout", timeout, "bound on each LLM call, retry included (env TRIAGE_LLM_TIMEOUT)")
	classifier := a.getenv("TRIAGE_CLASSIFIER")
	if classifier == "" {
		classifier = string(cascade.Local)
	}
	fl.StringVar(&f.classifier, "classifier", classifier, "local, cascade (ask the LLM when the model abstains) or llm (ask it always) (env TRIAGE_CLASSIFIER)")
	f.apiKey = a.getenv("OPENAI_API_KEY")
}

// client returns the chat client, or nil when no chat model is
// configured (OPENAI_BASE_URL may serve embeddings alone).
func (f *chatFlags) client() (*llm.Client, error) {
	if f.model == "" {
		return nil, nil
	}
	return llm.New(llm.Options{BaseURL: f.baseURL, APIKey: f.apiKey, Model: f.model, Timeout: f.timeout})
}

// chatLLM is what drafting and LLM classification need of a chat
// client: *llm.Client, or the server's metered one.
type chatLLM interface {
	suggest.Generator
	cascade.Chooser
}

// llm returns the configured chat client, nil when there is none.
func (f *chatFlags) llm() (chatLLM, error) {
	c, err := f.client()
	if err != nil || c == nil {
		return nil, err
	}
	return c, nil
}

// cascade wraps the local classifier as --classifier says, asking gen
// (nil: no LLM configured).
func (a *app) cascade(local *classify.Classifier, tax *triage.Taxonomy, classifier string, gen chatLLM) (*cascade.Classifier, error) {
	mode, err := cascade.ParseMode(classifier)
	if err != nil {
		return nil, &usageError{err}
	}
	if mode != cascade.Local && gen == nil {
		return nil, &usageError{fmt.Errorf("--classifier (TRIAGE_CLASSIFIER) %s needs an LLM: set OPENAI_BASE_URL and TRIAGE_CHAT_MODEL", mode)}
	}
	return cascade.New(local, gen, mode, tax, a.logger)
}

type suggestFlags struct {
	modelFlags
	store     storeFlags
	chat      chatFlags
	jsonOut   bool
	k         int
	loss      float64
	currency  string
	delayDays int
	minScore  float64 // TRIAGE_MIN_CASE_SCORE
}

func (a *app) suggestCommand() *cobra.Command {
	var f suggestFlags
	cmd := &cobra.Command{
		Use:   "suggest [--json] [--loss AMOUNT --currency CUR] [--delay-days N] TEXT",
		Short: "Draft a reply to a complaint, grounded on similar resolved cases",
		Long: `Classify TEXT, find similar resolved cases and draft a reply for the agent.

With OPENAI_BASE_URL and TRIAGE_CHAT_MODEL set, an LLM writes the draft
(streamed to a terminal); otherwise, or when the LLM fails, the offline
drafter assembles one from the taxonomy's guidance and the cases.
Compensation is computed by the policy from --loss (the loss verified in
your order or payment system) and --delay-days; without --loss it is
pending verification. --json prints the draft object.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 || strings.TrimSpace(args[0]) == "" {
				return &usageError{errors.New("suggest needs one TEXT argument")}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if f.store.dataDir == "" {
				f.store.dataDir = f.dataDir
			}
			return a.suggest(cmd.Context(), f, args[0])
		},
	}
	a.addModelFlags(cmd, &f.modelFlags)
	a.addStoreFlags(cmd, &f.store)
	a.addChatFlags(cmd, &f.chat)
	fl := cmd.Flags()
	fl.BoolVar(&f.jsonOut, "json", false, "print the draft as a JSON object")
	fl.IntVar(&f.k, "k", 3, "similar cases to ground the draft on (1..10)")
	fl.Float64Var(&f.loss, "loss", 0, "the verified loss, from your order or payment system")
	fl.StringVar(&f.currency, "currency", "", "currency of --loss and of fixed compensation (default: the taxonomy's base currency)")
	fl.IntVar(&f.delayDays, "delay-days", 0, "days the resolution is late (adds the policy's delay surcharge)")
	minScore := suggest.DefaultMinScore
	if v, err := strconv.ParseFloat(a.getenv("TRIAGE_MIN_CASE_SCORE"), 64); err == nil {
		minScore = v
	}
	fl.Float64Var(&f.minScore, "min-case-score", minScore, "similarity a case needs to count as evidence; below it the draft asks for details (env TRIAGE_MIN_CASE_SCORE)")
	return cmd
}

func (a *app) suggest(ctx context.Context, f suggestFlags, text string) error {
	if err := triage.CheckText(text); err != nil {
		return err
	}
	if f.k < 1 || f.k > 10 {
		return &usageError{fmt.Errorf("--k %d outside 1..10", f.k)}
	}
	if f.loss < 0 || f.delayDays < 0 {
		return &usageError{errors.New("--loss and --delay-days cannot be negative")}
	}
	tax, err := datasets.LoadTaxonomy()
	if err != nil {
		return err
	}
	local, err := a.classifier(ctx, &f.modelFlags)
	if err != nil {
		return err
	}
	gen, err := f.chat.llm()
	if err != nil {
		return err
	}
	cl, err := a.cascade(local, tax, f.chat.classifier, gen)
	if err != nil {
		return err
	}
	res, err := cl.Classify(ctx, text)
	if err != nil {
		return err
	}
	ix, _, closeFn, err := a.openIndex(ctx, &f.store, nil)
	if err != nil {
		return err
	}
	defer closeFn()
	cases, err := similarCases(ctx, ix, text, res, f.k)
	if err != nil {
		return err
	}
	req := suggest.Request{Text: text, Result: res, Cases: cases, DelayDays: f.delayDays, Currency: f.currency}
	if f.loss > 0 {
		cur := f.currency
		if cur == "" {
			cur = tax.BaseCurrency
		}
		req.Loss = &triage.Money{Amount: f.loss, Currency: cur}
	}
	d := suggest.New(tax, gen, a.logger)
	d.MaxCases, d.MinScore = f.k, f.minScore
	if f.jsonOut {
		draft, err := d.Draft(ctx, req)
		if err != nil {
			return err
		}
		enc := json.NewEncoder(a.stdout)
		enc.SetEscapeHTML(false)
		if isTerminal(a.stdout) {
			enc.SetIndent("", "  ")
		}
		return enc.Encode(draft)
	}
	stream := isTerminal(a.stdout)
	draft, err := d.Stream(ctx, req, func(c suggest.Chunk) error {
		if !stream {
			return nil
		}
		if c.Reset {
			fmt.Fprint(a.stdout, "\n\n[draft withdrawn; offline draft follows]\n\n")
		}
		_, err := io.WriteString(a.stdout, c.Text)
		return err
	})
	if err != nil {
		return err
	}
	if !stream {
		fmt.Fprintln(a.stdout, draft.Reply)
	} else {
		fmt.Fprintln(a.stdout)
	}
	return writeDraftFooter(a.stdout, res, draft)
}

// similarCases searches the scenario's cases when the classifier is
// sure of it, all cases otherwise.
func similarCases(ctx context.Context, ix *retrieve.Index, text string, res classify.Result, k int) ([]retrieve.Result, error) {
	var filter retrieve.Filter
	if !res.NeedsReview && res.Scenario.Label != classify.OutOfScope {
		filter.Scenario = res.Scenario.Label
	}
	return ix.Search(ctx, text, k, filter)
}

// writeDraftFooter prints what the agent needs besides the reply.
func writeDraftFooter(w io.Writer, res classify.Result, d suggest.Draft) error {
	var b strings.Builder
	fmt.Fprintf(&b, "\n---\nscenario:     %s (%.2f)", res.Scenario.Label, res.Scenario.Probability)
	if res.Severity != nil {
		fmt.Fprintf(&b, ", severity %d, queue %s, first response within %d min", res.Severity.Level, res.Queue, res.SLAMinutes)
	}
	if res.NeedsReview {
		fmt.Fprintf(&b, " [needs review: %s]", strings.Join(res.ReviewReasons, ", "))
	}
	fmt.Fprintf(&b, "\ncitations:    %s\n", strings.Join(d.Citations, ", "))
	if c := d.Compensation; c != nil {
		if m, ok := c.Money(); ok {
			fmt.Fprintf(&b, "compensation: %s (%s policy, %s)\n", m, c.Policy, c.Status)
		} else {
			fmt.Fprintf(&b, "compensation: %s policy, %s\n", c.Policy, c.Status)
		}
	}
	gen := d.Generator
	if d.Degraded {
		gen += " (degraded: " + d.FallbackReason + ")"
	}
	fmt.Fprintf(&b, "generator:    %s\nnext steps:\n", gen)
	for _, s := range d.NextSteps {
		fmt.Fprintf(&b, "  - %s\n", s)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
