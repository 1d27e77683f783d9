// Package feedbacktest is the contract every feedback.Store passes.
package feedbacktest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/triagedesk/triage/feedback"
)

// Run checks a store; open returns an empty store, and reopen a new
// handle on the same data (a restart).
func Run(t *testing.T, open func(t *testing.T) (s feedback.Store, reopen func() feedback.Store)) {
	ctx := context.Background()
	yes := true
	t.Run("round trip, order and restart", func(t *testing.T) {
		s, reopen := open(t)
		if got, err := s.List(ctx); err != nil || len(got) != 0 {
			t.Fatalf("empty store: %v %v", got, err)
		}
		at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
		want := []feedback.Entry{
			{TicketID: "T-1", Text: "充了648没到账", Lang: "zh", Scenario: "payment_recharge", Severity: 3, Queue: "payments", Predicted: "refund_cancellation", SuggestionUsed: &yes, Agent: "li", CreatedAt: at},
			{TicketID: "T-2", Text: "parcel lost", SuggestionEdited: &yes, Comment: "tone", CreatedAt: at.Add(time.Minute)},
		}
		for _, e := range want {
			if err := s.Add(ctx, e); err != nil {
				t.Fatal(err)
			}
		}
		for name, st := range map[string]feedback.Store{"same handle": s, "after a restart": reopen()} {
			got, err := st.List(ctx)
			if err != nil || len(got) != len(want) {
				t.Fatalf("%s: %d entries, %v", name, len(got), err)
			}
			for i := range want {
				g, w := got[i], want[i]
				if g.TicketID != w.TicketID || g.Text != w.Text || g.Scenario != w.Scenario || g.Severity != w.Severity || g.Predicted != w.Predicted ||
					!g.CreatedAt.Equal(w.CreatedAt) || (w.SuggestionUsed != nil) != (g.SuggestionUsed != nil) || (w.SuggestionEdited != nil) != (g.SuggestionEdited != nil) {
					t.Errorf("%s: entry %d = %+v, want %+v", name, i, g, w)
				}
			}
		}
		if err := s.Ping(ctx); err != nil {
			t.Errorf("ping: %v", err)
		}
	})
	t.Run("concurrent adds all land", func(t *testing.T) {
		s, _ := open(t)
		var wg sync.WaitGroup
		for i := range 40 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := s.Add(ctx, feedback.Entry{TicketID: fmt.Sprint("C-", i), Text: "x", Scenario: "technical_issue", CreatedAt: time.Now()}); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if got, err := s.List(ctx); err != nil || len(got) != 40 {
			t.Errorf("%d entries, %v", len(got), err)
		}
	})
}
