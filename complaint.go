package triage

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// Complaint is one labelled complaint: what a customer wrote, in which
// language and channel, and how it was triaged.
type Complaint struct {
	ID       string `json:"id"`
	Text     string `json:"text"`
	Lang     string `json:"lang"`
	Scenario string `json:"scenario"`
	Severity int    `json:"severity"`
	Queue    string `json:"queue"`
	Channel  string `json:"channel"`
	// Sentiment and Emotion are the writer's, as the text shows them
	// (the taxonomy's sentiments and emotions); empty on older rows.
	Sentiment string `json:"sentiment,omitempty"`
	Emotion   string `json:"emotion,omitempty"`
	// Hard marks a row written to be hard: words pointing at another
	// scenario, two problems, sarcasm, severe signals said indirectly.
	Hard bool `json:"hard,omitempty"`
	// Writer names the writer (a persona and batch) who wrote the row,
	// when known: cross-validation keeps a writer's rows in one fold.
	Writer string `json:"writer,omitempty"`
}

// Case is a resolved past case: a complaint plus what was done and said.
type Case struct {
	Complaint
	Resolution   string        `json:"resolution"`
	Reply        string        `json:"reply"`
	Compensation *Compensation `json:"compensation,omitempty"`
	ResolvedAt   time.Time     `json:"resolved_at"`
}

// Errors of records that break the schema or name labels the taxonomy
// does not have.
var (
	ErrInvalidRecord = NewError(EINVALID, "schema violation")
	ErrUnknownLabel  = NewError(EINVALID, "unknown label")
)

// Validate checks the required fields and, with a non-nil taxonomy, that
// the labels exist and the queue is the scenario's.
func (c *Complaint) Validate(tax *Taxonomy) error {
	switch {
	case strings.TrimSpace(c.ID) == "":
		return fmt.Errorf("%w: missing id", ErrInvalidRecord)
	case strings.TrimSpace(c.Text) == "":
		return fmt.Errorf("%w: %s: empty text", ErrInvalidRecord, c.ID)
	case !isLangCode(c.Lang):
		return fmt.Errorf("%w: %s: lang %q is not an ISO 639-1 code", ErrInvalidRecord, c.ID, c.Lang)
	case c.Severity < 1 || c.Severity > 5:
		return fmt.Errorf("%w: %s: severity %d outside 1..5", ErrInvalidRecord, c.ID, c.Severity)
	}
	if tax == nil {
		return nil
	}
	s, ok := tax.Scenario(c.Scenario)
	if !ok {
		return fmt.Errorf("%w: %s: scenario %q is not in the taxonomy", ErrUnknownLabel, c.ID, c.Scenario)
	}
	if c.Queue != s.Queue {
		return fmt.Errorf("%w: %s: queue %q, but scenario %s routes to %q", ErrUnknownLabel, c.ID, c.Queue, s.ID, s.Queue)
	}
	if !tax.HasChannel(c.Channel) {
		return fmt.Errorf("%w: %s: channel %q is not in the taxonomy", ErrUnknownLabel, c.ID, c.Channel)
	}
	if c.Sentiment != "" && !slices.Contains(tax.Sentiments, c.Sentiment) {
		return fmt.Errorf("%w: %s: sentiment %q is not in the taxonomy", ErrUnknownLabel, c.ID, c.Sentiment)
	}
	if c.Emotion != "" && !slices.Contains(tax.Emotions, c.Emotion) {
		return fmt.Errorf("%w: %s: emotion %q is not in the taxonomy", ErrUnknownLabel, c.ID, c.Emotion)
	}
	return nil
}

// isLangCode reports whether s is two lower-case ASCII letters.
func isLangCode(s string) bool {
	return len(s) == 2 && s[0] >= 'a' && s[0] <= 'z' && s[1] >= 'a' && s[1] <= 'z'
}

// Validate checks the complaint, the resolution, the reply and the time,
// and, with a non-nil taxonomy, that the compensation is what the policy
// computes.
func (c *Case) Validate(tax *Taxonomy) error {
	if err := c.Complaint.Validate(tax); err != nil {
		return err
	}
	switch {
	case strings.TrimSpace(c.Resolution) == "":
		return fmt.Errorf("%w: %s: empty resolution", ErrInvalidRecord, c.ID)
	case strings.TrimSpace(c.Reply) == "":
		return fmt.Errorf("%w: %s: empty reply", ErrInvalidRecord, c.ID)
	case c.ResolvedAt.IsZero():
		return fmt.Errorf("%w: %s: missing resolved_at", ErrInvalidRecord, c.ID)
	}
	if c.Compensation == nil || tax == nil {
		return nil
	}
	got := *c.Compensation
	if !tax.HasForm(got.Form) {
		return fmt.Errorf("%w: %s: compensation form %q is not in the taxonomy", ErrUnknownLabel, c.ID, got.Form)
	}
	want, err := tax.Compensate(c.Scenario, got.Loss, got.Currency, got.DelayDays)
	if err != nil {
		return fmt.Errorf("%w: %s: %w", ErrUnknownLabel, c.ID, err)
	}
	if got.Policy != want.Policy {
		return fmt.Errorf("%w: %s: compensation policy %q, but scenario %s uses %q", ErrUnknownLabel, c.ID, got.Policy, c.Scenario, want.Policy)
	}
	if math.Abs(got.Amount-want.Amount) > 0.005 {
		return fmt.Errorf("%w: %s: compensation amount %.2f %s, policy allows %.2f", ErrInvalidRecord, c.ID, got.Amount, got.Currency, want.Amount)
	}
	return nil
}
