package postgres

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/triagedesk/triage/internal/testdb"
)

// databaseURL is the test database (testdb.URL).
func databaseURL(t testing.TB) string { return testdb.URL(t) }

var seq atomic.Int64

// openDB opens url and closes it when the test ends.
func openDB(t testing.TB, url string, opt Options) *DB {
	t.Helper()
	db, err := Open(context.Background(), url, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	return db
}

// fresh returns a collection with a unique name on db, dropped afterwards.
func fresh(t *testing.T, db *DB) *CaseStore {
	t.Helper()
	s, err := db.Cases(context.Background(), fmt.Sprintf("t%d_%d", time.Now().UnixNano()%1e9, seq.Add(1)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Drop(context.Background()) })
	return s
}

// freshDatabase creates an empty database beside the test database (no
// extension, no tables: a first deployment) and returns its URL; it is
// dropped when the test ends.
func freshDatabase(t *testing.T) string {
	t.Helper()
	base := databaseURL(t)
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		t.Fatalf("DATABASE_URL must be a postgres:// URL for the tests that need a database of their own (%v)", err)
	}
	name := fmt.Sprintf("triage_test_%d_%d", os.Getpid(), seq.Add(1))
	ctx := context.Background()
	admin := func(sql string) error {
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			return err
		}
		defer conn.Close(ctx)
		_, err = conn.Exec(ctx, sql)
		return err
	}
	if err := admin("CREATE DATABASE " + name); err != nil {
		t.Fatalf("create a test database (the role needs CREATEDB): %v", err)
	}
	t.Cleanup(func() {
		if err := admin("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)"); err != nil {
			t.Logf("drop test database %s: %v", name, err)
		}
	})
	u.Path = "/" + name
	return u.String()
}

// pgxpool's settings in the URL size the pool (pool_max_conns), and the
// migrations, which connect on their own, are not confused by them.
func TestPoolSettingsInURL(t *testing.T) {
	url := databaseURL(t)
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	db, err := Open(context.Background(), url+sep+"pool_max_conns=20&pool_min_conns=1", Options{})
	if err != nil {
		t.Fatalf("open with pool settings: %v", err)
	}
	defer db.Close()
	if got := db.pool.Config().MaxConns; got != 20 {
		t.Errorf("MaxConns %d, want 20", got)
	}
	if err := db.Ping(context.Background()); err != nil {
		t.Error(err)
	}
}
