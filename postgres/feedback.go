package postgres

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/triagedesk/triage/feedback"
)

// feedbackTable holds the feedback entries (migration 003), the table
// feedback/pgfeedback used.
const feedbackTable = "triage_feedback"

// FeedbackStore keeps agents' corrections in the table triage_feedback,
// one JSON entry a row. It implements [feedback.Store], is safe for concurrent
// use, and works until its DB is closed.
type FeedbackStore struct {
	db *DB
}

var _ feedback.Store = (*FeedbackStore)(nil)

// Feedback returns the feedback store on db's pool.
func (db *DB) Feedback() *FeedbackStore {
	return &FeedbackStore{db: db}
}

// Add inserts e (committed before it returns).
func (s *FeedbackStore) Add(ctx context.Context, e feedback.Entry) error {
	b, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("postgres: feedback: %w", err)
	}
	if _, err := s.db.pool.Exec(ctx, "INSERT INTO "+feedbackTable+" (ticket_id, created_at, entry) VALUES ($1, $2, $3)", e.TicketID, e.CreatedAt, b); err != nil {
		return fmt.Errorf("postgres: feedback: %w", err)
	}
	return nil
}

// List returns every entry in the order they were added.
func (s *FeedbackStore) List(ctx context.Context) ([]feedback.Entry, error) {
	rows, err := s.db.pool.Query(ctx, "SELECT entry FROM "+feedbackTable+" ORDER BY seq")
	if err != nil {
		return nil, fmt.Errorf("postgres: feedback: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (feedback.Entry, error) {
		var e feedback.Entry
		var b []byte
		if err := r.Scan(&b); err != nil {
			return e, err
		}
		return e, json.Unmarshal(b, &e)
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: feedback: %w", err)
	}
	if out == nil {
		out = []feedback.Entry{}
	}
	return out, nil
}

// Ping reports whether the database answers, as [DB.Ping].
func (s *FeedbackStore) Ping(ctx context.Context) error { return s.db.Ping(ctx) }
