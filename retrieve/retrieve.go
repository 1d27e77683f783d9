// Package retrieve finds resolved cases similar to a new complaint. An
// Embedder turns text into vectors (a local multilingual lexical
// embedding by default, or any OpenAI-compatible endpoint); a Store keeps
// cases with their vectors and searches them (PostgreSQL + pgvector in
// the postgres package, or in process in retrieve/memstore). Index ties the
// two together and makes sure queries and stored vectors always come from
// the same embedder.
package retrieve

import (
	"context"
	"fmt"
	"strings"

	"github.com/triagedesk/triage"
)

// Record is a case with its embedding, as stored.
type Record struct {
	triage.Case
	Vector []float32
}

// Filter restricts a search; empty fields match everything.
type Filter struct {
	Scenario string
	Lang     string
}

// Result is one similar case.
type Result struct {
	triage.Case
	// Score is the cosine similarity to the query, in [-1, 1].
	Score float64
}

// Meta records which embedder produced a collection's vectors, so that
// queries are always embedded the same way.
type Meta struct {
	EmbedderVersion string
	Dimensions      int
	// EmbedderState is the serialised local embedder (vocabulary and
	// IDF), empty for remote embedders.
	EmbedderState []byte
}

// Store keeps cases and their vectors. Implementations: postgres.CaseStore and
// memstore; retrieve/storetest is the contract suite both pass.
type Store interface {
	// Meta returns the collection's embedder record; ErrNoCollection
	// before the first SetMeta.
	Meta(ctx context.Context) (Meta, error)
	// SetMeta creates the collection for an embedder. It fails with
	// ErrEmbedderMismatch when the collection exists for another one.
	SetMeta(ctx context.Context, m Meta) error
	// Upsert inserts or replaces records by id; a record's vector must
	// have the collection's dimension.
	Upsert(ctx context.Context, recs []Record) error
	// Search returns the k records most similar to query (cosine) that
	// match the filter, best first: the true top k, not an approximation
	// that loses rows under a selective filter.
	Search(ctx context.Context, query []float32, k int, f Filter) ([]Result, error)
	// Get returns the case stored under id; ErrNotFound when there is none.
	Get(ctx context.Context, id string) (triage.Case, error)
	// Delete removes the case stored under id; ErrNotFound when there is none.
	Delete(ctx context.Context, id string) error
	// Count returns the number of records.
	Count(ctx context.Context) (int, error)
	// Drop removes the collection and its records.
	Drop(ctx context.Context) error
}

// Errors callers branch on.
var (
	ErrNoCollection     = triage.NewError(triage.EUNAVAILABLE, "collection not created")
	ErrEmbedderMismatch = triage.NewError(triage.ECONFLICT, "collection was built with another embedder")
	ErrDimension        = triage.NewError(triage.EINVALID, "vector dimension mismatch")
	ErrEmptyQuery       = triage.NewError(triage.EINVALID, "empty query")
	ErrInvalidRecord    = triage.NewError(triage.EINVALID, "invalid record")
	ErrNotFound         = triage.NewError(triage.ENOTFOUND, "case not found")
)

// MaxK bounds the number of results of one search.
const MaxK = 100

// CheckRecord validates what every store requires of a record.
func CheckRecord(r Record, dims int) error {
	switch {
	case strings.TrimSpace(r.ID) == "":
		return fmt.Errorf("%w: missing id", ErrInvalidRecord)
	case strings.TrimSpace(r.Text) == "":
		return fmt.Errorf("%w: %s: empty text", ErrInvalidRecord, r.ID)
	case len(r.Vector) != dims:
		return fmt.Errorf("%w: %s: vector has %d dimensions, collection %d", ErrDimension, r.ID, len(r.Vector), dims)
	}
	return nil
}

// CheckSearch validates search arguments.
func CheckSearch(query []float32, k, dims int) error {
	switch {
	case len(query) != dims:
		return fmt.Errorf("%w: query has %d dimensions, collection %d", ErrDimension, len(query), dims)
	case k < 1 || k > MaxK:
		return fmt.Errorf("k must be 1..%d, got %d", MaxK, k)
	}
	return nil
}
