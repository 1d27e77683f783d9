// Package memstore is the embedded case store: exact cosine search in
// process, persisted to one file. It is the default when no database is
// configured.
package memstore

import (
	"container/heap"
	"context"
	"encoding/gob"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"
	"sync"

	"github.com/triagedesk/triage"
	"github.com/triagedesk/triage/retrieve"
)

// Store is an in-process case store. The zero value is not usable; call
// Open. It is safe for concurrent use.
type Store struct {
	path string // "" for memory only

	mu      sync.RWMutex
	meta    *retrieve.Meta
	records map[string]int // id → index in recs
	recs    []entry
}

type entry struct {
	Rec  retrieve.Record
	Norm float32
}

// Open loads the store persisted at path, or starts an empty one there.
// An empty path keeps everything in memory.
func Open(path string) (*Store, error) {
	s := &Store{path: path, records: map[string]int{}}
	if path == "" {
		return s, nil
	}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return nil, fmt.Errorf("memstore: %w", err)
	}
	defer f.Close()
	var snap snapshot
	if err := gob.NewDecoder(f).Decode(&snap); err != nil {
		return nil, fmt.Errorf("memstore: %s is unreadable (delete it to rebuild): %w", path, err)
	}
	s.meta = snap.Meta
	for _, r := range snap.Records {
		s.put(r)
	}
	return s, nil
}

type snapshot struct {
	Meta    *retrieve.Meta
	Records []retrieve.Record
}

// Path is where the store persists ("" in memory).
func (s *Store) Path() string { return s.path }

// Meta returns the collection's embedder record.
func (s *Store) Meta(context.Context) (retrieve.Meta, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.meta == nil {
		return retrieve.Meta{}, retrieve.ErrNoCollection
	}
	return *s.meta, nil
}

// SetMeta creates the collection for an embedder.
func (s *Store) SetMeta(_ context.Context, m retrieve.Meta) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.meta != nil {
		if s.meta.EmbedderVersion != m.EmbedderVersion || s.meta.Dimensions != m.Dimensions {
			return fmt.Errorf("%w: stored %s (%d dims), given %s (%d dims)", retrieve.ErrEmbedderMismatch, s.meta.EmbedderVersion, s.meta.Dimensions, m.EmbedderVersion, m.Dimensions)
		}
		return nil
	}
	if m.Dimensions <= 0 {
		return fmt.Errorf("memstore: dimensions must be positive")
	}
	s.meta = &m
	return s.save()
}

// Upsert inserts or replaces records by id and persists the store.
func (s *Store) Upsert(ctx context.Context, recs []retrieve.Record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.meta == nil {
		return retrieve.ErrNoCollection
	}
	for _, r := range recs {
		if err := retrieve.CheckRecord(r, s.meta.Dimensions); err != nil {
			return err
		}
	}
	for _, r := range recs {
		r.Vector = append([]float32(nil), r.Vector...)
		s.put(r)
	}
	return s.save()
}

func (s *Store) put(r retrieve.Record) {
	e := entry{Rec: r, Norm: norm(r.Vector)}
	if i, ok := s.records[r.ID]; ok {
		s.recs[i] = e
		return
	}
	s.records[r.ID] = len(s.recs)
	s.recs = append(s.recs, e)
}

func (s *Store) save() error {
	if s.path == "" {
		return nil
	}
	snap := snapshot{Meta: s.meta, Records: make([]retrieve.Record, len(s.recs))}
	for i, e := range s.recs {
		snap.Records[i] = e.Rec
	}
	if err := os.MkdirAll(filepath.Dir(s.path), 0o755); err != nil {
		return fmt.Errorf("memstore: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(s.path), ".cases-*")
	if err != nil {
		return fmt.Errorf("memstore: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := gob.NewEncoder(tmp).Encode(snap); err != nil {
		tmp.Close()
		return fmt.Errorf("memstore: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("memstore: %w", err)
	}
	if err := os.Rename(tmp.Name(), s.path); err != nil {
		return fmt.Errorf("memstore: %w", err)
	}
	return nil
}

// Search is exact: every matching record is scored.
func (s *Store) Search(ctx context.Context, query []float32, k int, f retrieve.Filter) ([]retrieve.Result, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.meta == nil {
		return nil, retrieve.ErrNoCollection
	}
	if err := retrieve.CheckSearch(query, k, s.meta.Dimensions); err != nil {
		return nil, err
	}
	qn := norm(query)
	if qn == 0 {
		return nil, retrieve.ErrEmptyQuery
	}
	h := &topK{}
	for i := range s.recs {
		if i%4096 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		e := &s.recs[i]
		if (f.Scenario != "" && e.Rec.Scenario != f.Scenario) || (f.Lang != "" && e.Rec.Lang != f.Lang) {
			continue
		}
		score := 0.0
		if e.Norm > 0 {
			score = float64(dot(query, e.Rec.Vector)) / float64(qn*e.Norm)
		}
		if h.Len() < k {
			heap.Push(h, scored{i, score, e.Rec.ID})
		} else if better(scored{i, score, e.Rec.ID}, (*h)[0]) {
			(*h)[0] = scored{i, score, e.Rec.ID}
			heap.Fix(h, 0)
		}
	}
	out := make([]retrieve.Result, h.Len())
	sorted := append([]scored(nil), (*h)...)
	sort.Slice(sorted, func(a, b int) bool { return better(sorted[a], sorted[b]) })
	for i, sc := range sorted {
		out[i] = retrieve.Result{Case: s.recs[sc.i].Rec.Case, Score: sc.score}
	}
	return out, nil
}

// Get returns the case stored under id.
func (s *Store) Get(_ context.Context, id string) (triage.Case, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	i, ok := s.records[id]
	if !ok {
		return triage.Case{}, retrieve.ErrNotFound
	}
	return s.recs[i].Rec.Case, nil
}

// Delete removes the case stored under id and persists the store.
func (s *Store) Delete(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	i, ok := s.records[id]
	if !ok {
		return retrieve.ErrNotFound
	}
	last := len(s.recs) - 1
	s.recs[i] = s.recs[last]
	s.records[s.recs[i].Rec.ID] = i
	s.recs = s.recs[:last]
	delete(s.records, id)
	return s.save()
}

// Count returns the number of records.
func (s *Store) Count(context.Context) (int, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.recs), nil
}

// Drop removes every record, the collection record and the file.
func (s *Store) Drop(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.meta, s.records, s.recs = nil, map[string]int{}, nil
	if s.path != "" {
		if err := os.Remove(s.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("memstore: %w", err)
		}
	}
	return nil
}

type scored struct {
	i     int
	score float64
	id    string
}

// better orders by score, then id, so ties are deterministic.
func better(a, b scored) bool {
	if a.score != b.score {
		return a.score > b.score
	}
	return a.id < b.id
}

// topK is a min-heap of the best k so far (worst at the root).
type topK []scored

func (h topK) Len() int           { return len(h) }
func (h topK) Less(i, j int) bool { return better(h[j], h[i]) }
func (h topK) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *topK) Push(x any)        { *h = append(*h, x.(scored)) }
func (h *topK) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

func dot(a, b []float32) float32 {
	var s float32
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

func norm(v []float32) float32 { return float32(math.Sqrt(float64(dot(v, v)))) }
