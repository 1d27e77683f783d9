package eval

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"
)

// Pair is a paraphrase pair: Label 1 means TextA and TextB say the same.
type Pair struct {
	TextA string `json:"text_a"`
	TextB string `json:"text_b"`
	Label int    `json:"label"`
}

// Searcher answers a query with document ids, best first.
type Searcher interface {
	Search(ctx context.Context, text string, k int) ([]string, error)
}

// RetrievalReport scores similar-case search on paraphrase pairs: every
// positive TextB is a document, every TextA a query whose answer is its
// own TextB.
type RetrievalReport struct {
	Store           string  `json:"store"`
	Embedder        string  `json:"embedder"`
	Documents       int     `json:"documents"`
	Queries         int     `json:"queries"`
	RecallAt1       float64 `json:"recall_at_1"`
	RecallAt5       float64 `json:"recall_at_5"`
	RecallAt10      float64 `json:"recall_at_10"`
	MRR             float64 `json:"mrr"` // reciprocal rank within the top 10
	IndexRecallAt10 float64 `json:"index_recall_at_10"`
	LatencyMicros   Latency `json:"latency_us"`
	IngestSeconds   float64 `json:"ingest_seconds"`
	Command         string  `json:"command,omitempty"`
	CreatedAt       string  `json:"created_at,omitempty"`
}

// Documents returns the positive pairs' TextB with their ids ("b<i>",
// i the pair's position), the documents of a retrieval run.
func Documents(pairs []Pair) (ids, texts []string) {
	for i, p := range pairs {
		if p.Label == 1 {
			ids = append(ids, fmt.Sprintf("b%d", i))
			texts = append(texts, p.TextB)
		}
	}
	return ids, texts
}

// Retrieval queries every positive TextA through index and compares the
// index's top 10 with exact's (the same vectors, scored exhaustively).
func Retrieval(ctx context.Context, pairs []Pair, index, exact Searcher) (*RetrievalReport, error) {
	r := &RetrievalReport{}
	var hits1, hits5, hits10, rr, overlap float64
	var lat []Prediction
	for i, p := range pairs {
		if p.Label != 1 {
			continue
		}
		if strings.TrimSpace(p.TextA) == "" {
			continue
		}
		want := fmt.Sprintf("b%d", i)
		t0 := time.Now()
		got, err := index.Search(ctx, p.TextA, 10)
		if err != nil {
			return nil, fmt.Errorf("eval: pair %d: %w", i+1, err)
		}
		lat = append(lat, Prediction{LatencyMicros: round(float64(time.Since(t0).Nanoseconds())/1e3, 1)})
		r.Queries++
		for rank, id := range got {
			if id != want {
				continue
			}
			if rank < 1 {
				hits1++
			}
			if rank < 5 {
				hits5++
			}
			hits10++
			rr += 1 / float64(rank+1)
			break
		}
		if exact != nil {
			ref, err := exact.Search(ctx, p.TextA, 10)
			if err != nil {
				return nil, fmt.Errorf("eval: pair %d: %w", i+1, err)
			}
			overlap += overlapShare(got, ref)
		}
	}
	if r.Queries == 0 {
		return nil, fmt.Errorf("%w: no positive pairs", ErrNoItems)
	}
	n := float64(r.Queries)
	r.RecallAt1, r.RecallAt5, r.RecallAt10, r.MRR = round(hits1/n, 4), round(hits5/n, 4), round(hits10/n, 4), round(rr/n, 4)
	r.IndexRecallAt10 = 1
	if exact != nil {
		r.IndexRecallAt10 = round(overlap/n, 4)
	}
	r.LatencyMicros = latency(lat)
	return r, nil
}

func overlapShare(got, ref []string) float64 {
	if len(ref) == 0 {
		return 1
	}
	in := map[string]bool{}
	for _, g := range got {
		in[g] = true
	}
	n := 0
	for _, x := range ref {
		if in[x] {
			n++
		}
	}
	return float64(n) / float64(len(ref))
}

// WriteSummary prints the retrieval report's headline.
func (r *RetrievalReport) WriteSummary(w io.Writer) {
	fmt.Fprintf(w, "store %s, embedder %s\n%d documents, %d queries\nrecall@1 %.3f  recall@5 %.3f  recall@10 %.3f  MRR %.3f\nindex recall@10 vs exact %.3f\nlatency p50/p95/p99 %.0f / %.0f / %.0f µs; ingest %.1fs\n",
		r.Store, r.Embedder, r.Documents, r.Queries, r.RecallAt1, r.RecallAt5, r.RecallAt10, r.MRR, r.IndexRecallAt10,
		r.LatencyMicros.P50, r.LatencyMicros.P95, r.LatencyMicros.P99, r.IngestSeconds)
}
