// Package pgfeedback keeps feedback in PostgreSQL, in the table
// triage_feedback of the case store's database.
package pgfeedback

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/triagedesk/triage/feedback"
)

// DefaultTable holds feedback unless New is given another name.
const DefaultTable = "triage_feedback"

var tableRe = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// Store is feedback in PostgreSQL.
type Store struct {
	pool  *pgxpool.Pool
	table string
}

// New creates the table (DefaultTable when "") if missing and returns
// the store; the pool stays the caller's.
func New(ctx context.Context, pool *pgxpool.Pool, table string) (*Store, error) {
	if table == "" {
		table = DefaultTable
	}
	if !tableRe.MatchString(table) {
		return nil, fmt.Errorf("pgfeedback: invalid table name %q", table)
	}
	_, err := pool.Exec(ctx, `CREATE TABLE IF NOT EXISTS `+table+` (
		seq        bigserial PRIMARY KEY,
		ticket_id  text NOT NULL,
		created_at timestamptz NOT NULL,
		entry      jsonb NOT NULL
	)`)
	if err != nil {
		return nil, fmt.Errorf("pgfeedback: %w", err)
	}
	return &Store{pool: pool, table: table}, nil
}

// Add inserts e (committed before it returns).
func (s *Store) Add(ctx context.Context, e feedback.Entry) error {
	b, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("pgfeedback: %w", err)
	}
	if _, err := s.pool.Exec(ctx, "INSERT INTO "+s.table+" (ticket_id, created_at, entry) VALUES ($1, $2, $3)", e.TicketID, e.CreatedAt, b); err != nil {
		return fmt.Errorf("pgfeedback: %w", err)
	}
	return nil
}

// List returns every entry in the order they were added.
func (s *Store) List(ctx context.Context) ([]feedback.Entry, error) {
	rows, err := s.pool.Query(ctx, "SELECT entry FROM "+s.table+" ORDER BY seq")
	if err != nil {
		return nil, fmt.Errorf("pgfeedback: %w", err)
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
		return nil, fmt.Errorf("pgfeedback: %w", err)
	}
	if out == nil {
		out = []feedback.Entry{}
	}
	return out, nil
}

// Ping checks the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("pgfeedback: %w", err)
	}
	return nil
}
