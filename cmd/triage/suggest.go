package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/triagedesk/triage"
	"github.com/triagedesk/triage/classify"
	"github.com/triagedesk/triage/internal/app"
	"github.com/triagedesk/triage/pipeline"
	"github.com/triagedesk/triage/suggest"
)

type suggestFlags struct {
	jsonOut   bool
	k         int
	loss      float64
	currency  string
	delayDays int
}

func (a *tool) suggestCommand() *cobra.Command {
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
			if !cmd.Flags().Changed("k") {
				f.k = a.cfg.SimilarCases
			}
			return a.suggest(cmd.Context(), f, args[0])
		},
	}
	a.cfg.Flags(cmd.Flags(), app.GroupClassifier, app.GroupCases, app.GroupLLM, app.GroupLog)
	fl := cmd.Flags()
	fl.BoolVar(&f.jsonOut, "json", false, "print the draft as a JSON object")
	fl.IntVar(&f.k, "k", 0, "similar cases to ground the draft on, 1..10 (default: TRIAGE_SIMILAR_CASES)")
	fl.Float64Var(&f.loss, "loss", 0, "the verified loss, from your order or payment system")
	fl.StringVar(&f.currency, "currency", "", "currency of --loss and of fixed compensation (default: the taxonomy's base currency)")
	fl.IntVar(&f.delayDays, "delay-days", 0, "days the resolution is late (adds the policy's delay surcharge)")
	return cmd
}

func (a *tool) suggest(ctx context.Context, f suggestFlags, text string) error {
	if err := triage.CheckText(text); err != nil {
		return err
	}
	if f.k < 1 || f.k > 10 {
		return &usageError{fmt.Errorf("--k %d outside 1..10", f.k)}
	}
	if f.loss < 0 || f.delayDays < 0 {
		return &usageError{errors.New("--loss and --delay-days cannot be negative")}
	}
	ap, err := a.open()
	if err != nil {
		return err
	}
	defer ap.Close()
	if err := ap.OpenClassifier(ctx); err != nil {
		return err
	}
	if err := ap.OpenIndex(ctx, nil); err != nil {
		return err
	}
	ap.OpenDrafter()
	ap.Drafter.MaxCases = f.k
	in := pipeline.Request{Text: text, K: f.k, DelayDays: f.delayDays, Currency: f.currency}
	if f.loss > 0 {
		cur := f.currency
		if cur == "" {
			cur = ap.Taxonomy.BaseCurrency
		}
		in.Loss = &triage.Money{Amount: f.loss, Currency: cur}
	}
	req, err := ap.Pipeline.Prepare(ctx, in)
	if err != nil {
		return err
	}
	res, d := req.Result, ap.Drafter
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
