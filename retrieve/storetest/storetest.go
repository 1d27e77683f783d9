// Package storetest is the contract every retrieve.Store passes: run it
// from each store's tests with a function that opens a fresh, empty
// collection.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/triagedesk/triage"
	"github.com/triagedesk/triage/retrieve"
)

// Open returns a fresh, empty store; the suite drops what it creates.
type Open func(t *testing.T) retrieve.Store

const dims = 16

var scenarios = []string{"payment_recharge", "account_security", "order_delivery", "privacy_minors"}
var langs = []string{"zh", "en", "ja"}

// Records makes n deterministic records with random unit vectors;
// scenarios and languages are skewed so filters have varied selectivity.
func Records(n int, seed uint64) []retrieve.Record {
	rng := rand.New(rand.NewPCG(seed, 1))
	out := make([]retrieve.Record, n)
	for i := range out {
		v := make([]float32, dims)
		for j := range v {
			v[j] = float32(rng.NormFloat64())
		}
		sc := scenarios[min(int(rng.ExpFloat64()*1.2), len(scenarios)-1)]
		lang := langs[min(int(rng.ExpFloat64()), len(langs)-1)]
		out[i] = retrieve.Record{Vector: v, Case: triage.Case{
			Complaint:  triage.Complaint{ID: fmt.Sprintf("case-%04d", i), Text: fmt.Sprintf("complaint number %d", i), Lang: lang, Scenario: sc, Severity: 1 + i%5, Queue: "payments", Channel: "chat"},
			Resolution: "checked the logs", Reply: "we fixed it",
		}}
		if i%3 == 0 {
			out[i].Compensation = &triage.Compensation{Policy: "loss", Loss: 80, Currency: "CNY", DelayDays: 2, Amount: 164, Form: "original_payment"}
			out[i].ResolvedAt = time.Date(2025, 3, 14, 1, 21, 0, 0, time.UTC)
		}
	}
	return out
}

// Run exercises the contract.
func Run(t *testing.T, open Open) {
	ctx := context.Background()
	meta := retrieve.Meta{EmbedderVersion: "test/1", Dimensions: dims, EmbedderState: []byte("state")}

	t.Run("before the collection exists", func(t *testing.T) {
		s := open(t)
		if _, err := s.Meta(ctx); !errors.Is(err, retrieve.ErrNoCollection) {
			t.Errorf("Meta: %v", err)
		}
		if err := s.Upsert(ctx, Records(1, 1)); !errors.Is(err, retrieve.ErrNoCollection) {
			t.Errorf("Upsert: %v", err)
		}
		if _, err := s.Search(ctx, make([]float32, dims), 3, retrieve.Filter{}); !errors.Is(err, retrieve.ErrNoCollection) {
			t.Errorf("Search: %v", err)
		}
	})

	t.Run("meta", func(t *testing.T) {
		s := open(t)
		if err := s.SetMeta(ctx, meta); err != nil {
			t.Fatal(err)
		}
		if err := s.SetMeta(ctx, meta); err != nil {
			t.Errorf("same embedder again: %v", err)
		}
		got, err := s.Meta(ctx)
		if err != nil || got.EmbedderVersion != meta.EmbedderVersion || got.Dimensions != dims || string(got.EmbedderState) != "state" {
			t.Errorf("Meta = %+v, %v", got, err)
		}
		other := meta
		other.EmbedderVersion = "test/2"
		if err := s.SetMeta(ctx, other); !errors.Is(err, retrieve.ErrEmbedderMismatch) {
			t.Errorf("other embedder: %v", err)
		}
	})

	t.Run("upsert is idempotent", func(t *testing.T) {
		s := open(t)
		must(t, s.SetMeta(ctx, meta))
		recs := Records(50, 2)
		must(t, s.Upsert(ctx, recs))
		must(t, s.Upsert(ctx, recs))
		if n, err := s.Count(ctx); err != nil || n != 50 {
			t.Errorf("count after two ingests = %d, %v; want 50", n, err)
		}
		changed := recs[7]
		changed.Reply = "updated reply"
		dup := changed
		dup.Reply = "the last one wins"
		must(t, s.Upsert(ctx, []retrieve.Record{changed, dup}))
		res, err := s.Search(ctx, changed.Vector, 1, retrieve.Filter{})
		if err != nil || len(res) != 1 || res[0].ID != changed.ID || res[0].Reply != "the last one wins" {
			t.Errorf("updated record: %+v, %v", res, err)
		}
		if n, _ := s.Count(ctx); n != 50 {
			t.Errorf("count after update = %d", n)
		}
	})

	t.Run("search returns the true top k under every filter", func(t *testing.T) {
		s := open(t)
		must(t, s.SetMeta(ctx, meta))
		recs := Records(400, 3)
		must(t, s.Upsert(ctx, recs))
		queries := Records(10, 99)
		filters := []retrieve.Filter{{}, {Scenario: "payment_recharge"}, {Lang: "ja"}, {Scenario: "privacy_minors", Lang: "ja"}, {Scenario: "order_delivery", Lang: "en"}}
		for _, f := range filters {
			for _, q := range queries {
				want := retrieve.ExactTopK(recs, q.Vector, 10, f)
				got, err := s.Search(ctx, q.Vector, 10, f)
				if err != nil {
					t.Fatalf("filter %+v: %v", f, err)
				}
				ids := make([]string, len(got))
				for i, r := range got {
					ids[i] = r.ID
					if (f.Scenario != "" && r.Scenario != f.Scenario) || (f.Lang != "" && r.Lang != f.Lang) {
						t.Errorf("filter %+v returned %s (%s, %s)", f, r.ID, r.Scenario, r.Lang)
					}
					if i > 0 && r.Score > got[i-1].Score+1e-3 {
						t.Errorf("results not ordered by score")
					}
				}
				if recall(ids, want) < 1 {
					t.Errorf("filter %+v: got %v, want %v", f, ids, want)
				}
			}
		}
		if got, err := s.Search(ctx, queries[0].Vector, 5, retrieve.Filter{Scenario: "no_such_scenario"}); err != nil || len(got) != 0 {
			t.Errorf("no match: %v, %v", got, err)
		}
	})

	t.Run("fields round-trip", func(t *testing.T) {
		s := open(t)
		must(t, s.SetMeta(ctx, meta))
		recs := Records(6, 4)
		must(t, s.Upsert(ctx, recs))
		res, err := s.Search(ctx, recs[3].Vector, 1, retrieve.Filter{})
		if err != nil || len(res) != 1 {
			t.Fatalf("%v %v", res, err)
		}
		want := recs[3].Case
		got := res[0].Case
		if got.ID != want.ID || got.Text != want.Text || got.Lang != want.Lang || got.Scenario != want.Scenario || got.Severity != want.Severity ||
			got.Queue != want.Queue || got.Channel != want.Channel || got.Resolution != want.Resolution || got.Reply != want.Reply ||
			!got.ResolvedAt.Equal(want.ResolvedAt) || got.Compensation == nil || *got.Compensation != *want.Compensation {
			t.Errorf("round trip:\n got %+v\nwant %+v", got, want)
		}
		if math.Abs(res[0].Score-1) > 1e-2 {
			t.Errorf("self-similarity %v, want ≈ 1", res[0].Score)
		}
	})

	t.Run("get and delete", func(t *testing.T) {
		s := open(t)
		if _, err := s.Get(ctx, "nope"); !errors.Is(err, retrieve.ErrNotFound) {
			t.Errorf("get before the collection exists: %v", err)
		}
		must(t, s.SetMeta(ctx, meta))
		recs := Records(8, 7)
		must(t, s.Upsert(ctx, recs))
		got, err := s.Get(ctx, recs[2].ID)
		if err != nil || got.ID != recs[2].ID || got.Text != recs[2].Text || got.Reply != recs[2].Reply {
			t.Fatalf("get: %+v %v", got, err)
		}
		must(t, s.Delete(ctx, recs[2].ID))
		if _, err := s.Get(ctx, recs[2].ID); !errors.Is(err, retrieve.ErrNotFound) {
			t.Errorf("get after delete: %v", err)
		}
		if err := s.Delete(ctx, recs[2].ID); !errors.Is(err, retrieve.ErrNotFound) {
			t.Errorf("second delete: %v", err)
		}
		if n, _ := s.Count(ctx); n != len(recs)-1 {
			t.Errorf("count %d after one delete of %d", n, len(recs))
		}
		res, err := s.Search(ctx, recs[2].Vector, len(recs), retrieve.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res {
			if r.ID == recs[2].ID {
				t.Error("a deleted case is still found")
			}
		}
		// The others are intact (the memory store moves its last row).
		for _, r := range recs {
			if r.ID == recs[2].ID {
				continue
			}
			if got, err := s.Get(ctx, r.ID); err != nil || got.Text != r.Text {
				t.Errorf("get %s after another delete: %v", r.ID, err)
			}
		}
	})

	t.Run("bad input", func(t *testing.T) {
		s := open(t)
		must(t, s.SetMeta(ctx, meta))
		good := Records(1, 5)[0]
		short := good
		short.Vector = good.Vector[:3]
		noID := good
		noID.ID = ""
		noText := good
		noText.Text = " "
		for name, tc := range map[string]struct {
			rec  retrieve.Record
			want error
		}{"short vector": {short, retrieve.ErrDimension}, "no id": {noID, retrieve.ErrInvalidRecord}, "no text": {noText, retrieve.ErrInvalidRecord}} {
			if err := s.Upsert(ctx, []retrieve.Record{good, tc.rec}); !errors.Is(err, tc.want) {
				t.Errorf("%s: %v", name, err)
			}
		}
		if n, _ := s.Count(ctx); n != 0 {
			t.Errorf("a rejected batch wrote %d rows", n)
		}
		if _, err := s.Search(ctx, good.Vector[:4], 3, retrieve.Filter{}); !errors.Is(err, retrieve.ErrDimension) {
			t.Errorf("short query: %v", err)
		}
		if _, err := s.Search(ctx, make([]float32, dims), 3, retrieve.Filter{}); !errors.Is(err, retrieve.ErrEmptyQuery) {
			t.Errorf("zero query: %v", err)
		}
		for _, k := range []int{0, -1, retrieve.MaxK + 1} {
			if _, err := s.Search(ctx, good.Vector, k, retrieve.Filter{}); err == nil {
				t.Errorf("k=%d accepted", k)
			}
		}
	})

	t.Run("drop", func(t *testing.T) {
		s := open(t)
		must(t, s.SetMeta(ctx, meta))
		must(t, s.Upsert(ctx, Records(5, 6)))
		must(t, s.Drop(ctx))
		if _, err := s.Meta(ctx); !errors.Is(err, retrieve.ErrNoCollection) {
			t.Errorf("Meta after drop: %v", err)
		}
		if n, _ := s.Count(ctx); n != 0 {
			t.Errorf("count after drop: %d", n)
		}
	})
}

// Recall is the share of want found in got.
func recall(got, want []string) float64 {
	if len(want) == 0 {
		return 1
	}
	in := map[string]bool{}
	for _, g := range got {
		in[g] = true
	}
	n := 0
	for _, w := range want {
		if in[w] {
			n++
		}
	}
	return float64(n) / float64(len(want))
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
