package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/triagedesk/triage/feedback"
	"github.com/triagedesk/triage/feedback/feedbacktest"
)

func TestFeedbackContract(t *testing.T) {
	feedbacktest.Run(t, func(t *testing.T) (feedback.Store, func() feedback.Store) {
		url := freshDatabase(t) // an empty triage_feedback
		db := openDB(t, url, Options{})
		return db.Feedback(), func() feedback.Store { return openDB(t, url, Options{}).Feedback() }
	})
}

// TestFeedbackBesideCases: feedback and cases live on one pool.
func TestFeedbackBesideCases(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, freshDatabase(t), Options{})
	if _, err := db.Cases(ctx, ""); err != nil {
		t.Fatal(err)
	}
	fb := db.Feedback()
	if err := fb.Add(ctx, feedback.Entry{TicketID: "T-1", Text: "x", Scenario: "technical_issue", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.pool.QueryRow(ctx, "SELECT count(*) FROM triage_feedback").Scan(&n); err != nil || n != 1 {
		t.Errorf("rows in triage_feedback: %d, %v", n, err)
	}
}
