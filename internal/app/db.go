package app

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/triagedesk/triage/feedback"
	"github.com/triagedesk/triage/feedback/pgfeedback"
	"github.com/triagedesk/triage/retrieve"
	"github.com/triagedesk/triage/retrieve/pgstore"
)

// database is the PostgreSQL behind DATABASE_URL, opened once per App.
type database struct {
	url        string
	collection string
	store      *pgstore.Store
	logger     *slog.Logger
	closers    *[]func()
}

func (a *App) database(ctx context.Context) (*database, error) {
	if a.db != nil {
		return a.db, nil
	}
	s, err := pgstore.Open(ctx, a.Config.DatabaseURL, pgstore.Options{Collection: a.Config.Collection, Logger: a.Logger})
	if err != nil {
		return nil, err
	}
	a.db = &database{url: a.Config.DatabaseURL, collection: a.Config.Collection, store: s, logger: a.Logger, closers: &a.closers}
	a.closers = append(a.closers, s.Close)
	return a.db, nil
}

func (d *database) cases(ctx context.Context, collection string) (retrieve.Store, error) {
	if collection == d.collection {
		return d.store, nil
	}
	s, err := pgstore.Open(ctx, d.url, pgstore.Options{Collection: collection, Logger: d.logger})
	if err != nil {
		return nil, err
	}
	*d.closers = append(*d.closers, s.Close)
	return s, nil
}

func (d *database) feedback(ctx context.Context) (feedback.Store, error) {
	return pgfeedback.New(ctx, d.store.Pool(), "")
}

// ping is readiness: the database answers within 2 s.
func (d *database) ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := d.store.Pool().Ping(ctx); err != nil {
		return fmt.Errorf("database unreachable: %w", err)
	}
	return nil
}
