package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/triagedesk/triage"
	"github.com/triagedesk/triage/retrieve"
	"github.com/triagedesk/triage/retrieve/storetest"
)

func TestContract(t *testing.T) {
	db := openDB(t, databaseURL(t), Options{})
	storetest.Run(t, func(t *testing.T) retrieve.Store { return fresh(t, db) })
}

// TestContractIndexPath forces every filtered search through the HNSW
// index with iterative scans, the path large collections take.
func TestContractIndexPath(t *testing.T) {
	db := openDB(t, databaseURL(t), Options{ExactThreshold: -1})
	storetest.Run(t, func(t *testing.T) retrieve.Store { return fresh(t, db) })
}

func TestCollectionName(t *testing.T) {
	db := &DB{} // the name is checked before the database is used
	for _, bad := range []string{"Cases", "drop table", "x;y", "1abc", "a-b", "a2345678901234567890123456789012345678901"} {
		_, err := db.Cases(context.Background(), bad)
		if !errors.Is(err, ErrCollectionName) || triage.ErrorCode(err) != triage.EINVALID {
			t.Errorf("%q: %v (code %q)", bad, err, triage.ErrorCode(err))
		}
	}
}

func TestDefaultCollection(t *testing.T) {
	db := openDB(t, freshDatabase(t), Options{})
	s, err := db.Cases(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	if s.Collection() != DefaultCollection || s.raw != "cases" {
		t.Errorf("collection %q, table %q", s.Collection(), s.raw)
	}
	named, err := db.Cases(context.Background(), "eval")
	if err != nil {
		t.Fatal(err)
	}
	if named.raw != "cases_eval" {
		t.Errorf("table %q", named.raw)
	}
}

func TestDimensions(t *testing.T) {
	s := fresh(t, openDB(t, databaseURL(t), Options{}))
	for _, d := range []int{0, -1, 4001} {
		err := s.SetMeta(context.Background(), retrieve.Meta{EmbedderVersion: "v", Dimensions: d})
		if triage.ErrorCode(err) != triage.EINVALID {
			t.Errorf("%d dimensions: %v", d, err)
		}
	}
}

// TestStoresShareThePool: the stores of one DB see each other's writes
// and one collection's metadata is visible to a new handle.
func TestStoresShareThePool(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, databaseURL(t), Options{})
	s := fresh(t, db)
	if err := s.SetMeta(ctx, retrieve.Meta{EmbedderVersion: "v", Dimensions: 16}); err != nil {
		t.Fatal(err)
	}
	if err := s.Upsert(ctx, storetest.Records(5, 1)); err != nil {
		t.Fatal(err)
	}
	again, err := db.Cases(ctx, s.Collection())
	if err != nil {
		t.Fatal(err)
	}
	if n, err := again.Count(ctx); err != nil || n != 5 {
		t.Errorf("count through a second handle: %d, %v", n, err)
	}
	if m, err := again.Meta(ctx); err != nil || m.EmbedderVersion != "v" || m.Dimensions != 16 {
		t.Errorf("meta through a second handle: %+v, %v", m, err)
	}
}

func TestEstimateUsesStatistics(t *testing.T) {
	s := fresh(t, openDB(t, databaseURL(t), Options{}))
	ctx := context.Background()
	if err := s.SetMeta(ctx, retrieve.Meta{EmbedderVersion: "v", Dimensions: 16}); err != nil {
		t.Fatal(err)
	}
	if err := s.Upsert(ctx, storetest.Records(3000, 7)); err != nil { // ≥ 1000 rows: analysed
		t.Fatal(err)
	}
	var want int
	s.db.pool.QueryRow(ctx, "SELECT count(*) FROM "+s.table+" WHERE scenario = 'privacy_minors' AND lang = 'ja'").Scan(&want)
	where, args := filterSQL(retrieve.Filter{Scenario: "privacy_minors", Lang: "ja"}, 2)
	got, err := s.estimate(ctx, where, args)
	if err != nil {
		t.Fatal(err)
	}
	if got < want/2 || got > want*2+5 {
		t.Errorf("planner estimate %d rows, actual %d", got, want)
	}
}

func TestBulkLoad(t *testing.T) {
	db := openDB(t, databaseURL(t), Options{})
	s := fresh(t, db)
	ctx := context.Background()
	if err := s.SetMeta(ctx, retrieve.Meta{EmbedderVersion: "v", Dimensions: 16}); err != nil {
		t.Fatal(err)
	}
	recs := storetest.Records(1500, 11)
	var bl retrieve.BulkLoader = s
	if err := bl.BulkLoad(ctx, recs); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.Count(ctx); n != 1500 {
		t.Fatalf("count %d", n)
	}
	var indexed bool
	db.pool.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_indexes WHERE tablename = $1 AND indexdef LIKE '%hnsw%ef_construction%')", s.raw).Scan(&indexed)
	if !indexed {
		t.Error("HNSW index not rebuilt after the bulk load")
	}
	res, err := s.Search(ctx, recs[100].Vector, 1, retrieve.Filter{})
	if err != nil || len(res) != 1 || res[0].ID != recs[100].ID {
		t.Errorf("search after bulk load: %v %v", res, err)
	}
	// A second bulk load into a non-empty collection is an upsert.
	if err := s.BulkLoad(ctx, recs[:1200]); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.Count(ctx); n != 1500 {
		t.Errorf("count after re-load %d", n)
	}
}

// Overlapping batches upserted at once, in opposite orders, do not
// deadlock: rows are locked in id order.
func TestConcurrentOverlappingUpserts(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, databaseURL(t), Options{})
	s := fresh(t, db)
	if err := s.SetMeta(ctx, retrieve.Meta{EmbedderVersion: "v", Dimensions: 16}); err != nil {
		t.Fatal(err)
	}
	recs := storetest.Records(200, 1)
	for round := range 10 {
		forward := slices.Clone(recs)
		backward := slices.Clone(recs)
		slices.Reverse(backward)
		for i := range forward {
			forward[i].Text += fmt.Sprintf(" (round %d a)", round)
			backward[i].Text += fmt.Sprintf(" (round %d b)", round)
		}
		errs := make(chan error, 2)
		go func() { errs <- s.Upsert(ctx, forward) }()
		go func() { errs <- s.Upsert(ctx, backward) }()
		for range 2 {
			if err := <-errs; err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
		}
	}
}
