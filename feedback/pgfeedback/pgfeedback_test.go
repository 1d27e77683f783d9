package pgfeedback_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/triagedesk/triage/feedback"
	"github.com/triagedesk/triage/feedback/feedbacktest"
	"github.com/triagedesk/triage/feedback/pgfeedback"
	"github.com/triagedesk/triage/internal/testdb"
)

func TestContract(t *testing.T) {
	url := testdb.URL(t)
	ctx := context.Background()
	feedbacktest.Run(t, func(t *testing.T) (feedback.Store, func() feedback.Store) {
		pool, err := pgxpool.New(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(pool.Close)
		table := fmt.Sprintf("feedback_test_%d", time.Now().UnixNano()%1e9)
		t.Cleanup(func() { pool.Exec(ctx, "DROP TABLE IF EXISTS "+table) })
		s, err := pgfeedback.New(ctx, pool, table)
		if err != nil {
			t.Fatal(err)
		}
		return s, func() feedback.Store {
			p2, err := pgxpool.New(ctx, url)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(p2.Close)
			s2, err := pgfeedback.New(ctx, p2, table)
			if err != nil {
				t.Fatal(err)
			}
			return s2
		}
	})
}
