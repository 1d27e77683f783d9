// Package cascade lets an LLM settle the complaints the local model is
// unsure of: when the model abstains (or always, in llm mode), the LLM
// chooses among the taxonomy's scenario ids with a JSON-schema-constrained
// answer. An answer outside the taxonomy is ignored, a failed call leaves
// the local result as it was, and the complaint is redacted first.
package cascade

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"text/template"

	"github.com/triagedesk/triage"
	"github.com/triagedesk/triage/chat"
	"github.com/triagedesk/triage/classify"
	"github.com/triagedesk/triage/redact"
)

// Mode says when the LLM is asked.
type Mode string

// The modes.
const (
	// Local never asks the LLM.
	Local Mode = "local"
	// LLM asks it about every complaint.
	LLM Mode = "llm"
	// Cascade asks it only when the local model abstains.
	Cascade Mode = "cascade"
)

// ParseMode reads a mode name.
func ParseMode(s string) (Mode, error) {
	switch m := Mode(s); m {
	case Local, LLM, Cascade:
		return m, nil
	}
	return "", fmt.Errorf("cascade: unknown classifier %q (want local, llm or cascade)", s)
}

// Chooser answers a chat with JSON; *llm.Client is one.
type Chooser interface {
	Model() string
	JSON(ctx context.Context, r chat.Request, out any) error
}

// Other is the LLM's answer when no scenario fits.
const Other = "other"

// Classifier is the local pipeline with an LLM behind it.
type Classifier struct {
	Local  *classify.Classifier
	LLM    Chooser // nil: local only
	Mode   Mode
	Logger *slog.Logger

	system string
	schema *chat.Schema
	ids    []string
}

//go:embed prompts/*.tmpl
var promptFS embed.FS

var prompts = template.Must(template.ParseFS(promptFS, "prompts/*.tmpl"))

// New returns a classifier choosing among tax's scenarios.
func New(local *classify.Classifier, chooser Chooser, mode Mode, tax *triage.Taxonomy, logger *slog.Logger) (*Classifier, error) {
	if mode != Local && chooser == nil {
		return nil, fmt.Errorf("cascade: %s mode needs an LLM (set OPENAI_BASE_URL and TRIAGE_CHAT_MODEL)", mode)
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	type scenario struct{ ID, Description string }
	var data struct{ Scenarios []scenario }
	ids := make([]string, 0, len(tax.Scenarios)+1)
	for _, s := range tax.Scenarios {
		data.Scenarios = append(data.Scenarios, scenario{s.ID, s.Description.In("en")})
		ids = append(ids, s.ID)
	}
	ids = append(ids, Other)
	var sys bytes.Buffer
	if err := prompts.ExecuteTemplate(&sys, "system.tmpl", data); err != nil {
		return nil, fmt.Errorf("cascade: prompt: %w", err)
	}
	schema, err := json.Marshal(map[string]any{
		"type":                 "object",
		"properties":           map[string]any{"scenario": map[string]any{"type": "string", "enum": ids}},
		"required":             []string{"scenario"},
		"additionalProperties": false,
	})
	if err != nil {
		return nil, fmt.Errorf("cascade: schema: %w", err)
	}
	return &Classifier{Local: local, LLM: chooser, Mode: mode, Logger: logger,
		system: sys.String(), schema: &chat.Schema{Name: "scenario", Schema: schema}, ids: ids}, nil
}

// abstained: the model was unsure of the scenario (an undetermined
// language alone is not the scenario's doubt).
func abstained(res classify.Result) bool {
	for _, r := range res.ReviewReasons {
		if r == classify.ReasonLowConfidence || r == classify.ReasonSmallMargin || r == classify.ReasonOutOfScope {
			return true
		}
	}
	return false
}

// Classify classifies text, asking the LLM as the mode says. Only bad
// input is an error: when the LLM fails, the local result stands.
func (c *Classifier) Classify(ctx context.Context, text string) (classify.Result, error) {
	res, err := c.Local.Classify(text)
	if err != nil || c.Mode == Local || c.LLM == nil || (c.Mode == Cascade && !abstained(res)) {
		return res, err
	}
	choice, err := c.choose(ctx, text)
	if err != nil {
		if ctx.Err() != nil {
			return res, fmt.Errorf("cascade: %w", ctx.Err())
		}
		c.Logger.Warn("llm classification failed; keeping the local result", "model", c.LLM.Model(), "err", err)
		return res, nil
	}
	if !slices.Contains(c.ids, choice) {
		c.Logger.Warn("llm chose a scenario outside the taxonomy; ignored", "model", c.LLM.Model(), "choice", choice)
		return res, nil
	}
	label := choice
	if choice == Other {
		label = classify.OutOfScope
	}
	out := c.Local.Reassign(text, res, label)
	out.DecidedBy = "llm:" + c.LLM.Model()
	reasons := out.ReviewReasons[:0]
	for _, r := range out.ReviewReasons {
		if r != classify.ReasonLowConfidence && r != classify.ReasonSmallMargin && r != classify.ReasonOutOfScope {
			reasons = append(reasons, r)
		}
	}
	if label == classify.OutOfScope {
		reasons = append(reasons, classify.ReasonOutOfScope)
	}
	out.ReviewReasons, out.NeedsReview = reasons, len(reasons) > 0
	return out, nil
}

func (c *Classifier) choose(ctx context.Context, text string) (string, error) {
	var user bytes.Buffer
	complaint := chat.Fence(redact.Text(text).Text)
	if err := prompts.ExecuteTemplate(&user, "user.tmpl", map[string]string{"Complaint": complaint}); err != nil {
		return "", fmt.Errorf("cascade: prompt: %w", err)
	}
	var answer struct {
		Scenario string `json:"scenario"`
	}
	err := c.LLM.JSON(ctx, chat.Request{
		Messages: []chat.Message{{Role: chat.System, Content: c.system}, {Role: chat.User, Content: user.String()}},
		Schema:   c.schema,
	}, &answer)
	return strings.TrimSpace(answer.Scenario), err
}
