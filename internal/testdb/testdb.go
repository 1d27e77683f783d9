// Package testdb gives tests the PostgreSQL (with pgvector) that
// `make test` starts: in CI a missing database fails the test, locally
// the test is skipped with directions.
package testdb

import (
	"os"
	"testing"
)

// URL returns DATABASE_URL, or fails (CI) or skips (elsewhere) t.
func URL(t testing.TB) string {
	t.Helper()
	url := os.Getenv("DATABASE_URL")
	if url == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("DATABASE_URL is not set: CI must run the tests through scripts/pg.sh run")
		}
		t.Skip("no DATABASE_URL: run `make test`, or `scripts/pg.sh run go test ./...`, or point DATABASE_URL at PostgreSQL with pgvector")
	}
	return url
}
