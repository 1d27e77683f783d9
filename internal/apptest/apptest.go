// Package apptest gives tests that run the real wiring a data directory
// that already holds the default model, so that each test does not train
// it again: the model is trained once per test binary, the way
// `triage serve` trains it on first start, and copied into each test's
// own directory.
package apptest

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/triagedesk/triage/internal/app"
)

var (
	once   sync.Once
	shared string
	err    error
)

// DataDir returns a new temporary data directory (removed with the test)
// seeded with the default model's cache file.
func DataDir(t testing.TB) string {
	t.Helper()
	once.Do(func() { shared, err = train() })
	if err != nil {
		t.Fatalf("apptest: training the default model: %v", err)
	}
	dir := t.TempDir()
	models, _ := filepath.Glob(filepath.Join(shared, "models", "*.model"))
	if err := os.MkdirAll(filepath.Join(dir, "models"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, m := range models {
		data, err := os.ReadFile(m)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "models", filepath.Base(m)), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// train caches the default model in a fresh directory through the
// application's own path (App.Bundle).
func train() (string, error) {
	dir, err := os.MkdirTemp("", "triage-apptest-")
	if err != nil {
		return "", err
	}
	cfg := app.Defaults()
	cfg.DataDir = dir
	a, err := app.New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		return "", err
	}
	defer a.Close()
	_, err = a.Bundle(context.Background())
	return dir, err
}
