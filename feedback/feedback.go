// Package feedback keeps agents' corrections of triage results (the
// scenario, severity or queue they changed, whether the suggested reply
// was used) durably, and exports them as training data.
package feedback

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/triagedesk/triage"
)

// ErrInvalid: an entry that cannot be stored as it is.
var ErrInvalid = triage.NewError(triage.EINVALID, "invalid feedback")

// Entry is one agent's correction of a triaged ticket.
type Entry struct {
	TicketID string `json:"ticket_id"`
	Text     string `json:"text"`
	Lang     string `json:"lang,omitempty"`
	Channel  string `json:"channel,omitempty"`
	// The corrected labels; empty or 0 when the agent kept ours.
	Scenario string `json:"scenario,omitempty"`
	Severity int    `json:"severity,omitempty"`
	Queue    string `json:"queue,omitempty"`
	// What the classifier had said, for error analysis.
	Predicted string `json:"predicted_scenario,omitempty"`
	// Whether the suggested reply was sent, and whether it was edited.
	SuggestionUsed   *bool     `json:"suggestion_used,omitempty"`
	SuggestionEdited *bool     `json:"suggestion_edited,omitempty"`
	Agent            string    `json:"agent,omitempty"`
	Comment          string    `json:"comment,omitempty"`
	CreatedAt        time.Time `json:"created_at"`
}

// Validate checks e against the taxonomy: a ticket id, a valid text,
// known labels, and something to record.
func (e Entry) Validate(tax *triage.Taxonomy) error {
	switch {
	case strings.TrimSpace(e.TicketID) == "" || len(e.TicketID) > 200:
		return fmt.Errorf("%w: ticket_id is required (at most 200 bytes)", ErrInvalid)
	case e.Scenario == "" && e.Severity == 0 && e.Queue == "" && e.SuggestionUsed == nil && e.SuggestionEdited == nil:
		return fmt.Errorf("%w: nothing to record: give a corrected scenario, severity or queue, or suggestion_used/suggestion_edited", ErrInvalid)
	case len(e.Comment) > 4000 || len(e.Agent) > 200:
		return fmt.Errorf("%w: comment or agent too long", ErrInvalid)
	case strings.ContainsRune(e.TicketID+e.Comment+e.Agent+e.Queue+e.Channel+e.Scenario, 0):
		return fmt.Errorf("%w: a field contains a NUL character", ErrInvalid)
	}
	if err := triage.CheckText(e.Text); err != nil {
		return fmt.Errorf("%w: text: %w", ErrInvalid, err)
	}
	if e.Scenario != "" && e.Scenario != triage.OutOfScope {
		if _, ok := tax.Scenario(e.Scenario); !ok {
			return fmt.Errorf("%w: %w %q", ErrInvalid, triage.ErrUnknownScenario, e.Scenario)
		}
	}
	if e.Severity != 0 {
		if _, ok := tax.Level(e.Severity); !ok {
			return fmt.Errorf("%w: severity %d outside 1..5", ErrInvalid, e.Severity)
		}
	}
	if e.Queue != "" {
		if _, ok := tax.Queue(e.Queue); !ok {
			return fmt.Errorf("%w: unknown queue %q", ErrInvalid, e.Queue)
		}
	}
	if e.Channel != "" && !tax.HasChannel(e.Channel) {
		return fmt.Errorf("%w: unknown channel %q", ErrInvalid, e.Channel)
	}
	return nil
}

// Store keeps entries. FileStore and postgres.FeedbackStore implement it;
// feedback/feedbacktest is the contract both pass.
type Store interface {
	// Add stores e durably before it returns.
	Add(ctx context.Context, e Entry) error
	// List returns every entry, oldest first.
	List(ctx context.Context) ([]Entry, error)
	// Ping reports whether the store is reachable.
	Ping(ctx context.Context) error
}

// trainingRow is a labelled complaint as training reads it.
type trainingRow struct {
	ID       string `json:"id"`
	Text     string `json:"text"`
	Lang     string `json:"lang,omitempty"`
	Scenario string `json:"scenario"`
	Severity int    `json:"severity,omitempty"`
	Queue    string `json:"queue,omitempty"`
	Channel  string `json:"channel,omitempty"`
}

// Export writes the entries that carry a corrected scenario as labelled
// JSONL for `triage train` (the latest correction of a ticket wins) and
// returns how many it wrote.
func Export(w io.Writer, entries []Entry) (int, error) {
	latest := map[string]int{}
	var order []string
	for i, e := range entries {
		if e.Scenario == "" {
			continue
		}
		if _, seen := latest[e.TicketID]; !seen {
			order = append(order, e.TicketID)
		}
		latest[e.TicketID] = i
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for _, id := range order {
		e := entries[latest[id]]
		row := trainingRow{ID: e.TicketID, Text: e.Text, Lang: e.Lang, Scenario: e.Scenario, Severity: e.Severity, Queue: e.Queue, Channel: e.Channel}
		if err := enc.Encode(row); err != nil {
			return 0, fmt.Errorf("feedback: export: %w", err)
		}
	}
	return len(order), nil
}
