package postgres

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/triagedesk/triage"
	"github.com/triagedesk/triage/feedback"
	"github.com/triagedesk/triage/internal/testdb"
	"github.com/triagedesk/triage/retrieve"
	"github.com/triagedesk/triage/retrieve/storetest"
)

// wantVersions are the versions of the embedded migrations, and goose's 0.
func wantVersions(t *testing.T) []int64 {
	t.Helper()
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil || len(names) == 0 {
		t.Fatalf("embedded migrations: %v %v", names, err)
	}
	want := []int64{0}
	for i := range names {
		want = append(want, int64(i+1))
	}
	return want
}

// checkSchema checks that every migration was applied exactly once and
// that the schema is in place.
func checkSchema(t *testing.T, db *DB) {
	t.Helper()
	ctx := context.Background()
	rows, err := db.pool.Query(ctx, "SELECT version_id FROM "+versionTable+" WHERE is_applied ORDER BY version_id")
	if err != nil {
		t.Fatal(err)
	}
	got, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		t.Fatal(err)
	}
	if want := wantVersions(t); !slices.Equal(got, want) {
		t.Errorf("applied versions %v, want %v (each once)", got, want)
	}
	var ext string
	if err := db.pool.QueryRow(ctx, "SELECT extversion FROM pg_extension WHERE extname = 'vector'").Scan(&ext); err != nil {
		t.Errorf("vector extension: %v", err)
	}
	for _, table := range []string{"triage_collections", "triage_feedback"} {
		var ok bool
		if err := db.pool.QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL", table).Scan(&ok); err != nil || !ok {
			t.Errorf("table %s: %v %v", table, ok, err)
		}
	}
	// retrieve/pgstore's migrator finds its two versions applied.
	rows, err = db.pool.Query(ctx, "SELECT version FROM triage_schema_migrations ORDER BY version")
	if err != nil {
		t.Fatal(err)
	}
	old, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil || !slices.Equal(old, []int32{1, 2}) {
		t.Errorf("triage_schema_migrations: %v %v", old, err)
	}
}

func TestMigrationsAreIdempotent(t *testing.T) {
	url := freshDatabase(t)
	for range 2 {
		db, err := Open(context.Background(), url, Options{})
		if err != nil {
			t.Fatal(err)
		}
		checkSchema(t, db)
		db.Close()
	}
}

// TestMigrateConcurrently: replicas starting at once on a new database
// all succeed, and the advisory lock has each migration applied once.
func TestMigrateConcurrently(t *testing.T) {
	url := freshDatabase(t)
	const n = 3
	dbs := make([]*DB, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dbs[i], errs[i] = Open(context.Background(), url, Options{})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Open %d: %v", i, err)
		}
		defer dbs[i].Close()
	}
	checkSchema(t, dbs[0])
	for i, db := range dbs {
		s, err := db.Cases(context.Background(), fmt.Sprintf("c%d", i))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.SetMeta(context.Background(), retrieve.Meta{EmbedderVersion: "v", Dimensions: 4}); err != nil {
			t.Errorf("store on handle %d: %v", i, err)
		}
	}
}

// legacySchema is what retrieve/pgstore's migrator (its 001 and 002,
// recorded in triage_schema_migrations) and feedback/pgfeedback left in a
// database, with one collection and one feedback entry in it.
const legacySchema = `
CREATE TABLE IF NOT EXISTS triage_schema_migrations (
	version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now());
-- 001_vector.sql
CREATE EXTENSION IF NOT EXISTS vector;
-- 002_collections.sql
CREATE TABLE triage_collections (
	name             text PRIMARY KEY,
	table_name       text NOT NULL UNIQUE,
	embedder_version text NOT NULL,
	dimensions       integer NOT NULL CHECK (dimensions > 0 AND dimensions <= 4000),
	embedder_state   bytea,
	created_at       timestamptz NOT NULL DEFAULT now()
);
INSERT INTO triage_schema_migrations (version, name) VALUES (1, '001_vector.sql'), (2, '002_collections.sql');
-- pgfeedback.New
CREATE TABLE IF NOT EXISTS triage_feedback (
	seq        bigserial PRIMARY KEY,
	ticket_id  text NOT NULL,
	created_at timestamptz NOT NULL,
	entry      jsonb NOT NULL
);
INSERT INTO triage_feedback (ticket_id, created_at, entry) VALUES
	('T-9', '2026-01-02T03:04:05Z', '{"ticket_id":"T-9","text":"old entry","scenario":"technical_issue","created_at":"2026-01-02T03:04:05Z"}');
INSERT INTO triage_collections (name, table_name, embedder_version, dimensions, embedder_state)
	VALUES ('legacy', 'cases_legacy', 'test/1', 16, 'state');
`

// TestAdoptsPgstoreDatabase: a database set up by the old migrator and
// pgfeedback is migrated in place, its data intact.
func TestAdoptsPgstoreDatabase(t *testing.T) {
	ctx := context.Background()
	url := freshDatabase(t)
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, legacySchema); err != nil {
		t.Fatal(err)
	}
	var ddl strings.Builder
	if err := collectionTmpl.Execute(&ddl, map[string]any{"Table": `"cases_legacy"`, "Prefix": "cases_legacy", "Dims": 16, "IndexParams": hnswParams}); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, ddl.String()); err != nil {
		t.Fatal(err)
	}
	old := storetest.Records(3, 5)
	for _, r := range old {
		vec := strings.ReplaceAll(fmt.Sprint(r.Vector), " ", ",")
		if _, err := conn.Exec(ctx, `INSERT INTO cases_legacy (id, text, lang, scenario, severity, embedder_version, embedding) VALUES ($1, $2, $3, $4, $5, 'test/1', $6::halfvec)`,
			r.ID, r.Text, r.Lang, r.Scenario, r.Severity, vec); err != nil {
			t.Fatal(err)
		}
	}

	db := openDB(t, url, Options{})
	checkSchema(t, db)

	cases, err := db.Cases(ctx, "legacy")
	if err != nil {
		t.Fatal(err)
	}
	if m, err := cases.Meta(ctx); err != nil || m.EmbedderVersion != "test/1" || m.Dimensions != 16 || string(m.EmbedderState) != "state" {
		t.Errorf("meta of the old collection: %+v, %v", m, err)
	}
	if got, err := cases.Get(ctx, old[1].ID); err != nil || got.Text != old[1].Text {
		t.Errorf("get an old case: %+v, %v", got, err)
	}
	res, err := cases.Search(ctx, old[2].Vector, 1, retrieve.Filter{})
	if err != nil || len(res) != 1 || res[0].ID != old[2].ID {
		t.Errorf("search the old collection: %+v, %v", res, err)
	}
	if err := cases.Upsert(ctx, storetest.Records(10, 6)); err != nil {
		t.Fatal(err)
	}
	if n, err := cases.Count(ctx); err != nil || n != 10 { // Records(10) reuses the ids case-0000…case-0002
		t.Errorf("count after an upsert: %d, %v", n, err)
	}

	fb := db.Feedback()
	if err := fb.Add(ctx, feedback.Entry{TicketID: "T-10", Text: "new entry", Scenario: "technical_issue", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	entries, err := fb.List(ctx)
	if err != nil || len(entries) != 2 || entries[0].TicketID != "T-9" || entries[1].TicketID != "T-10" {
		t.Errorf("feedback after adoption: %+v, %v", entries, err)
	}

	// And the rest of the contract on the adopted database.
	storetest.Run(t, func(t *testing.T) retrieve.Store { return fresh(t, db) })
}

func TestPingAfterClose(t *testing.T) {
	db, err := Open(context.Background(), databaseURL(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Ping(context.Background()); err != nil {
		t.Fatalf("ping: %v", err)
	}
	fb := db.Feedback()
	db.Close()
	if err := db.Ping(context.Background()); triage.ErrorCode(err) != triage.EUNAVAILABLE {
		t.Errorf("ping after close: %v", err)
	}
	if err := fb.Ping(context.Background()); triage.ErrorCode(err) != triage.EUNAVAILABLE {
		t.Errorf("feedback ping after close: %v", err)
	}
	db.Close() // twice is harmless
}

// TestPingDeadServer: the database goes away under an open DB.
func TestPingDeadServer(t *testing.T) {
	p, through := testdb.NewProxy(t, databaseURL(t))
	db := openDB(t, through, Options{})
	ctx := context.Background()
	if err := db.Ping(ctx); err != nil {
		t.Fatalf("ping through the proxy: %v", err)
	}
	p.Cut()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	err := db.Ping(ctx)
	if triage.ErrorCode(err) != triage.EUNAVAILABLE {
		t.Errorf("ping a dead server: %v (code %q)", err, triage.ErrorCode(err))
	}
	if !strings.Contains(triage.ErrorMessage(err), "unreachable") {
		t.Errorf("message %q", triage.ErrorMessage(err))
	}
}

// TestOpenUnreachable needs no database: nothing listens on the port.
func TestOpenUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err = Open(ctx, "postgres://postgres@"+addr+"/triage?sslmode=disable&connect_timeout=5", Options{})
	if triage.ErrorCode(err) != triage.EUNAVAILABLE {
		t.Errorf("open with no server: %v (code %q)", err, triage.ErrorCode(err))
	}
}

func TestOpenInvalidURL(t *testing.T) {
	_, err := Open(context.Background(), "postgres://a:b@c:notaport/x", Options{})
	var e *triage.Error
	if !errors.As(err, &e) || e.Code != triage.EINVALID {
		t.Errorf("invalid URL: %v", err)
	}
}
