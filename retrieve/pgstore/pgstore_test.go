package pgstore

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/triagedesk/triage/internal/testdb"
	"github.com/triagedesk/triage/retrieve"
	"github.com/triagedesk/triage/retrieve/storetest"
)

// databaseURL is the test database (testdb.URL).
func databaseURL(t testing.TB) string { return testdb.URL(t) }

var seq atomic.Int64

// fresh opens a collection with a unique name and drops it afterwards.
func fresh(t *testing.T, opt Options) *Store {
	t.Helper()
	opt.Collection = fmt.Sprintf("t%d_%d", time.Now().UnixNano()%1e9, seq.Add(1))
	s, err := Open(context.Background(), databaseURL(t), opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.Drop(context.Background())
		s.Close()
	})
	return s
}

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) retrieve.Store { return fresh(t, Options{}) })
}

// TestContractIndexPath forces every filtered search through the HNSW
// index with iterative scans, the path large collections take.
func TestContractIndexPath(t *testing.T) {
	storetest.Run(t, func(t *testing.T) retrieve.Store { return fresh(t, Options{ExactThreshold: -1}) })
}

func TestMigrationsAreIdempotent(t *testing.T) {
	url := databaseURL(t)
	ctx := context.Background()
	for i := 0; i < 2; i++ {
		s, err := Open(ctx, url, Options{})
		if err != nil {
			t.Fatal(err)
		}
		var n int
		if err := s.pool.QueryRow(ctx, "SELECT count(*) FROM triage_schema_migrations").Scan(&n); err != nil || n != 2 {
			t.Errorf("applied migrations: %d, %v", n, err)
		}
		var ext string
		if err := s.pool.QueryRow(ctx, "SELECT extversion FROM pg_extension WHERE extname = 'vector'").Scan(&ext); err != nil {
			t.Errorf("vector extension: %v", err)
		}
		s.Close()
	}
}

func TestCollectionName(t *testing.T) {
	for _, bad := range []string{"Cases", "drop table", "x;y", "1abc", "a-b"} {
		if _, err := Open(context.Background(), "postgres://unused", Options{Collection: bad}); !errors.Is(err, ErrCollectionName) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func TestEstimateUsesStatistics(t *testing.T) {
	s := fresh(t, Options{})
	ctx := context.Background()
	if err := s.SetMeta(ctx, retrieve.Meta{EmbedderVersion: "v", Dimensions: 16}); err != nil {
		t.Fatal(err)
	}
	if err := s.Upsert(ctx, storetest.Records(3000, 7)); err != nil { // ≥ 1000 rows: analysed
		t.Fatal(err)
	}
	var want int
	s.pool.QueryRow(ctx, "SELECT count(*) FROM "+s.table+" WHERE scenario = 'privacy_minors' AND lang = 'ja'").Scan(&want)
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
	s := fresh(t, Options{})
	ctx := context.Background()
	if err := s.SetMeta(ctx, retrieve.Meta{EmbedderVersion: "v", Dimensions: 16}); err != nil {
		t.Fatal(err)
	}
	recs := storetest.Records(1500, 11)
	if err := s.BulkLoad(ctx, recs); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.Count(ctx); n != 1500 {
		t.Fatalf("count %d", n)
	}
	var indexed bool
	s.pool.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_indexes WHERE tablename = $1 AND indexdef LIKE '%hnsw%ef_construction%')", s.raw).Scan(&indexed)
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
