package eval

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// table answers each query with a fixed ranking.
type table map[string][]string

func (t table) Search(_ context.Context, text string, k int) ([]string, error) {
	if text == "boom" {
		return nil, errors.New("store down")
	}
	r := t[text]
	if len(r) > k {
		r = r[:k]
	}
	return r, nil
}

func TestRetrievalByHand(t *testing.T) {
	pairs := []Pair{
		{"q0", "d0", 1}, // found at rank 1
		{"q1", "d1", 1}, // rank 3
		{"q2", "d2", 0}, // negative: not a document, not a query
		{"q3", "d3", 1}, // rank 7
		{"q4", "d4", 1}, // not in the top 10
	}
	ids, texts := Documents(pairs)
	if strings.Join(ids, ",") != "b0,b1,b3,b4" || strings.Join(texts, ",") != "d0,d1,d3,d4" {
		t.Fatalf("documents %v %v", ids, texts)
	}
	index := table{
		"q0": {"b0", "b1"},
		"q1": {"b4", "b0", "b1"},
		"q3": {"x1", "x2", "x3", "x4", "x5", "x6", "b3"},
		"q4": {"b0"},
	}
	exact := table{
		"q0": {"b0", "b1"},
		"q1": {"b4", "b0", "b1"},
		"q3": {"x1", "x2", "x3", "x4", "x5", "x6", "b3"},
		"q4": {"b1"}, // the index missed the true nearest neighbour here
	}
	r, err := Retrieval(context.Background(), pairs, index, exact)
	if err != nil {
		t.Fatal(err)
	}
	// 4 queries: r@1 1/4, r@5 2/4, r@10 3/4, MRR (1 + 1/3 + 1/7 + 0)/4 = .369
	// index recall: (1 + 1 + 1 + 0)/4
	want := map[string][2]float64{"r@1": {r.RecallAt1, 0.25}, "r@5": {r.RecallAt5, 0.5}, "r@10": {r.RecallAt10, 0.75}, "mrr": {r.MRR, 0.369}, "index": {r.IndexRecallAt10, 0.75}}
	for name, v := range want {
		if !near(v[0], v[1]) {
			t.Errorf("%s = %v, want %v", name, v[0], v[1])
		}
	}
	if r.Queries != 4 {
		t.Errorf("%d queries", r.Queries)
	}
	if _, err := Retrieval(context.Background(), []Pair{{"a", "b", 0}}, index, nil); !errors.Is(err, ErrNoItems) {
		t.Errorf("no positives: %v", err)
	}
	if _, err := Retrieval(context.Background(), []Pair{{"boom", "b", 1}}, index, nil); err == nil {
		t.Error("search error swallowed")
	}
}
