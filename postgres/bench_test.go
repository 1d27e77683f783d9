package postgres

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/triagedesk/triage"
	"github.com/triagedesk/triage/retrieve"
)

// The search benchmark: TRIAGE_BENCH_ROWS synthetic cases (default
// 100,000) of 384-dim clustered vectors, with scenario and language drawn
// from skewed distributions so filters range from 30% of rows to 0.05%.
// The collection is kept between runs (bench_<rows>) so the load is paid
// once. Recall@10 is measured against exact search in Go.
//
//	scripts/pg.sh start; export DATABASE_URL=…
//	TRIAGE_BENCH_ROWS=1000000 go test ./postgres -run '^$' -bench Search -benchtime 200x -timeout 3h

const benchDims = 384

type benchData struct {
	store *CaseStore
	recs  []retrieve.Record
	load  time.Duration
}

var (
	benchOnce sync.Once
	bench     benchData
	benchErr  error
)

var benchScenarios = []string{"payment_recharge", "account_security", "order_delivery", "technical_issue", "refund_cancellation", "service_quality", "virtual_items", "rewards_promotions", "account_access", "service_outage", "fairness_dispute", "privacy_minors"}
var benchLangs = []string{"zh", "en", "ja", "ko", "es", "pt", "fr", "de", "ru", "tr", "vi", "th", "id", "ar"}

// zipf picks index i with probability ∝ 1/(i+1)^s.
func zipf(rng *rand.Rand, n int, s float64) int {
	var total float64
	for i := 0; i < n; i++ {
		total += 1 / math.Pow(float64(i+1), s)
	}
	x := rng.Float64() * total
	for i := 0; i < n; i++ {
		x -= 1 / math.Pow(float64(i+1), s)
		if x <= 0 {
			return i
		}
	}
	return n - 1
}

func benchVectors(rng *rand.Rand, centroids [][]float32, n int) [][]float32 {
	out := make([][]float32, n)
	for i := range out {
		c := centroids[rng.IntN(len(centroids))]
		v := make([]float32, benchDims)
		var norm float64
		for j := range v {
			v[j] = c[j] + float32(rng.NormFloat64()*0.7)
			norm += float64(v[j]) * float64(v[j])
		}
		for j := range v {
			v[j] /= float32(math.Sqrt(norm))
		}
		out[i] = v
	}
	return out
}

func benchCentroids(rng *rand.Rand) [][]float32 {
	cs := make([][]float32, 300)
	for i := range cs {
		cs[i] = make([]float32, benchDims)
		for j := range cs[i] {
			cs[i][j] = float32(rng.NormFloat64())
		}
	}
	return cs
}

func loadBench(b *testing.B) benchData {
	benchOnce.Do(func() {
		rows := 100_000
		if v := os.Getenv("TRIAGE_BENCH_ROWS"); v != "" {
			rows, _ = strconv.Atoi(v)
		}
		rng := rand.New(rand.NewPCG(42, 7))
		vecs := benchVectors(rng, benchCentroids(rng), rows)
		recs := make([]retrieve.Record, rows)
		for i := range recs {
			recs[i] = retrieve.Record{Vector: vecs[i], Case: triage.Case{Complaint: triage.Complaint{
				ID: fmt.Sprintf("b%07d", i), Text: "synthetic case", Scenario: benchScenarios[zipf(rng, 12, 1.1)], Lang: benchLangs[zipf(rng, 14, 1.6)]}}}
		}
		ctx := context.Background()
		ef, _ := strconv.Atoi(os.Getenv("TRIAGE_BENCH_EF")) // 0: the store's default
		db, err := Open(ctx, databaseURL(b), Options{EfSearch: ef})
		if err != nil {
			benchErr = err
			return
		}
		s, err := db.Cases(ctx, fmt.Sprintf("bench_%d", rows))
		if err != nil {
			db.Close()
			benchErr = err
			return
		}
		if err := s.SetMeta(ctx, retrieve.Meta{EmbedderVersion: "bench/1", Dimensions: benchDims}); err != nil {
			benchErr = err
			return
		}
		var load time.Duration
		if n, _ := s.Count(ctx); n != rows {
			s.Drop(ctx)
			s.SetMeta(ctx, retrieve.Meta{EmbedderVersion: "bench/1", Dimensions: benchDims})
			start := time.Now()
			if err := s.BulkLoad(ctx, recs); err != nil {
				benchErr = err
				return
			}
			load = time.Since(start)
			fmt.Printf("loaded %d rows in %v (%.0f rows/s, HNSW build included)\n", rows, load.Round(time.Second), float64(rows)/load.Seconds())
		}
		bench = benchData{store: s, recs: recs, load: load}
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return bench
}

func BenchmarkSearch(b *testing.B) {
	d := loadBench(b)
	ctx := context.Background()
	total := float64(len(d.recs))
	count := func(f retrieve.Filter) int {
		n := 0
		for _, r := range d.recs {
			if (f.Scenario == "" || r.Scenario == f.Scenario) && (f.Lang == "" || r.Lang == f.Lang) {
				n++
			}
		}
		return n
	}
	filters := []struct {
		name string
		f    retrieve.Filter
	}{
		{"none", retrieve.Filter{}},
		{"scenario_common", retrieve.Filter{Scenario: benchScenarios[0]}},
		{"lang_mid", retrieve.Filter{Lang: benchLangs[3]}},
		{"scenario_lang_mid", retrieve.Filter{Scenario: benchScenarios[2], Lang: benchLangs[2]}},
		{"lang_rare", retrieve.Filter{Lang: benchLangs[13]}},
		{"scenario_lang_rare", retrieve.Filter{Scenario: benchScenarios[11], Lang: benchLangs[10]}},
	}
	rng := rand.New(rand.NewPCG(99, 1))
	queries := benchVectors(rng, benchCentroids(rand.New(rand.NewPCG(42, 7))), 200)
	for _, fc := range filters {
		sel := float64(count(fc.f)) / total
		b.Run(fmt.Sprintf("%s_%.3f%%", fc.name, 100*sel), func(b *testing.B) {
			var lat []time.Duration
			var recall float64
			for i := 0; i < b.N; i++ {
				q := queries[i%len(queries)]
				start := time.Now()
				res, err := d.store.Search(ctx, q, 10, fc.f)
				lat = append(lat, time.Since(start))
				if err != nil {
					b.Fatal(err)
				}
				want := retrieve.ExactTopK(d.recs, q, 10, fc.f)
				got := map[string]bool{}
				for _, r := range res {
					got[r.ID] = true
				}
				hit := 0
				for _, w := range want {
					if got[w] {
						hit++
					}
				}
				if len(want) > 0 {
					recall += float64(hit) / float64(len(want))
				} else {
					recall++
				}
			}
			sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
			b.ReportMetric(recall/float64(b.N), "recall@10")
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[min(len(lat)-1, len(lat)*99/100)].Microseconds())/1000, "p99-ms")
			b.ReportMetric(0, "ns/op")
		})
	}
}
