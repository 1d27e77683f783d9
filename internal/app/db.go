package app

import (
	"context"
	"time"

	"github.com/triagedesk/triage/feedback"
	"github.com/triagedesk/triage/postgres"
	"github.com/triagedesk/triage/retrieve"
)

// database is the PostgreSQL behind DATABASE_URL: one pool per App.
type database struct {
	db *postgres.DB
}

func (a *App) database(ctx context.Context) (*database, error) {
	if a.db != nil {
		return a.db, nil
	}
	db, err := postgres.Open(ctx, a.Config.DatabaseURL, postgres.Options{Logger: a.Logger})
	if err != nil {
		return nil, err
	}
	a.db = &database{db: db}
	a.closers = append(a.closers, db.Close)
	return a.db, nil
}

func (d *database) cases(ctx context.Context, collection string) (retrieve.Store, error) {
	return d.db.Cases(ctx, collection)
}

func (d *database) feedback(context.Context) (feedback.Store, error) {
	return d.db.Feedback(), nil
}

// ping is readiness: the database answers within 2 s.
func (d *database) ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	return d.db.Ping(ctx)
}
