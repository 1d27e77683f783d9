// Package postgres is triage's PostgreSQL database: one connection pool
// (pgvector's types registered on every connection), one versioned
// migration set, and the stores on that pool — the case store
// ([DB.Cases], a [retrieve.Store]) and the feedback store ([DB.Feedback],
// a [feedback.Store]). [DB.Ping] is the readiness check.
//
// # Migrations
//
// The schema lives in migrations/*.sql (embedded) and is applied by
// [Open] with github.com/pressly/goose/v3, chosen over golang-migrate and
// tern: it is actively maintained; its Provider reads migrations from an
// [fs.FS] (so from embed) and keeps no global state; it runs on a plain
// database/sql handle, here from pgx's own stdlib package, so no second
// PostgreSQL driver comes in; it applies each SQL migration in a
// transaction, so a failed one leaves nothing half done (golang-migrate
// instead marks the database "dirty" and refuses to go on until someone
// forces a version by hand, and needs its own driver registry and URL
// scheme); and it ships a session-level advisory lock
// (lock.NewPostgresSessionLocker), so that replicas starting at once apply
// each migration exactly once. tern is pgx-native and locks too, but it
// is a smaller project with rarer releases, records only the current
// version rather than each migration applied, and is not among the
// modules this project's module proxy is known to serve.
//
// The versions are kept in triage_goose_db_version. The lock ID is the one
// retrieve/pgstore's hand-written migrator used, so the two never run at
// once. Every migration is idempotent (IF NOT EXISTS), so a database that
// migrator set up (versions in triage_schema_migrations, the vector
// extension, triage_collections, and feedback/pgfeedback's
// triage_feedback) is adopted as it is; migration 004 records the old
// migrator's versions as applied, so a binary still built on
// retrieve/pgstore keeps working on a database this package set up.
//
// Collection tables (cases, cases_<name>) are not schema versions: they
// are named by data, one per collection, and are created at run time from
// collection.sql.tmpl when a collection's embedder is first recorded
// ([CaseStore.SetMeta]), and dropped by [CaseStore.Drop].
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	pgxvec "github.com/pgvector/pgvector-go/pgx"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/triagedesk/triage"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Options configure a database handle and the case stores made on it.
type Options struct {
	// ExactThreshold: a filtered search the planner expects to match at
	// most this many rows is answered by exact search (default 20,000;
	// negative: never, every search walks the HNSW index).
	ExactThreshold int
	// EfSearch is the HNSW candidate list size (default: 200 up to
	// 200,000 rows, 400 above, where the graph needs a wider search to keep
	// recall@10 ≥ 0.95).
	EfSearch int
	// Logger receives migration messages (default: discard).
	Logger *slog.Logger
}

// DB is a migrated triage database: one connection pool shared by every
// store made from it. It is safe for concurrent use.
type DB struct {
	pool *pgxpool.Pool
	opt  Options
}

// DefaultConnectTimeout bounds a new connection (TCP, TLS and startup)
// when the URL sets no connect_timeout.
const DefaultConnectTimeout = 5 * time.Second

// migrationLockID is the advisory lock migrations run under: the one
// retrieve/pgstore's migrator takes, so the two exclude each other.
const migrationLockID = 7_241_113_001

// versionTable keeps goose's record of applied migrations.
const versionTable = "triage_goose_db_version"

// Open connects to the database at url, applies the pending migrations
// under an advisory lock, and returns the handle. Close releases it.
func Open(ctx context.Context, url string, opt Options) (*DB, error) {
	if opt.ExactThreshold == 0 {
		opt.ExactThreshold = 20_000
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, &triage.Error{Code: triage.EINVALID, Message: "postgres: invalid database URL", Err: err}
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		// Without a bound, a connection attempted during a network
		// partition waits for the kernel's SYN retries (about two
		// minutes) and holds its pool slot all that time; with every slot
		// held, the service cannot recover when the network does.
		cfg.ConnConfig.ConnectTimeout = DefaultConnectTimeout
	}
	// The migrations run first, on a connection of their own: the
	// pool's AfterConnect needs the vector type that the first one creates.
	if err := migrate(ctx, cfg.ConnConfig.Copy(), opt.Logger); err != nil {
		return nil, err
	}
	cfg.AfterConnect = func(ctx context.Context, conn *pgx.Conn) error {
		return pgxvec.RegisterTypes(ctx, conn)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return &DB{pool: pool, opt: opt}, nil
}

// migrate applies the embedded migrations with goose over a database/sql
// handle on one connection configuration.
func migrate(ctx context.Context, cc *pgx.ConnConfig, log *slog.Logger) error {
	sqldb := stdlib.OpenDB(*cc)
	defer sqldb.Close()
	if err := sqldb.PingContext(ctx); err != nil {
		return unavailable(err)
	}
	locker, err := lock.NewPostgresSessionLocker(
		lock.WithLockID(migrationLockID),
		// Try every second for up to five minutes: a replica that lost
		// the race waits for the winner's migrations.
		lock.WithLockTimeout(1, 300),
	)
	if err != nil {
		return fmt.Errorf("postgres: migration lock: %w", err)
	}
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, sqldb, sub,
		goose.WithTableName(versionTable),
		goose.WithSessionLocker(locker),
		goose.WithDisableGlobalRegistry(true),
	)
	if err != nil {
		return fmt.Errorf("postgres: migrations: %w", err)
	}
	results, err := p.Up(ctx)
	if err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	for _, r := range results {
		log.Info("applied migration", "migration", r.Source.Path, "duration", r.Duration)
	}
	return nil
}

// Close releases the pool; the stores made from db stop working.
func (db *DB) Close() { db.pool.Close() }

// Ping reports whether the database answers (readiness): an EUNAVAILABLE
// error when it does not, or after Close.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.pool.Ping(ctx); err != nil {
		return unavailable(err)
	}
	return nil
}

// dbError wraps the error of operation op: a failure to reach the
// database (it refused or dropped the connection) is EUNAVAILABLE, so
// callers answer 503; a deadline or cancellation keeps its own code.
func dbError(op string, err error) error {
	wrapped := fmt.Errorf("postgres: %s: %w", op, err)
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return wrapped
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	if errors.As(err, &ce) || errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || pgconn.SafeToRetry(err) {
		return unavailable(wrapped)
	}
	return wrapped
}

// unavailable codes a failure to reach the database.
func unavailable(err error) error {
	return &triage.Error{Code: triage.EUNAVAILABLE, Message: "postgres: database unreachable", Err: err}
}
