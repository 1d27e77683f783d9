// Command loadtest drives one endpoint of a running triage server with
// concurrent keep-alive clients and reports throughput, latency
// percentiles and errors. Bodies are the embedded test split's
// complaints, so the classifier sees real, varied text.
//
//	go run ./tools/loadtest -url http://127.0.0.1:8080/v1/classify -c 16 -d 10s
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/triagedesk/triage/datasets"
)

func main() {
	target := flag.String("url", "http://127.0.0.1:8080/v1/classify", "endpoint; POST with a complaint body unless -get")
	get := flag.Bool("get", false, "send GET requests without a body")
	conc := flag.Int("c", 16, "concurrent clients")
	dur := flag.Duration("d", 10*time.Second, "duration")
	key := flag.String("key", os.Getenv("TRIAGE_LOAD_KEY"), "API key (env TRIAGE_LOAD_KEY)")
	langs := flag.String("langs", "zh,en,ja,ko,es,pt,fr,de,ru,tr,vi,th,id,ar", "languages of the bodies, comma-separated (\"\": all); the default is the 14 core languages, the mix throughput figures are quoted for")
	flag.Parse()

	tax, err := datasets.LoadTaxonomy()
	if err != nil {
		fail(err)
	}
	test, err := datasets.LoadComplaints(datasets.Test, tax)
	if err != nil {
		fail(err)
	}
	var bodies [][]byte
	for _, c := range test {
		if *langs == "" || slices.Contains(strings.Split(*langs, ","), c.Lang) {
			b, _ := json.Marshal(map[string]string{"text": c.Text, "ticket_id": c.ID})
			bodies = append(bodies, b)
		}
	}
	if len(bodies) == 0 {
		fail(fmt.Errorf("no test complaints in %q", *langs))
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: *conc, MaxConnsPerHost: *conc}, Timeout: 30 * time.Second}

	var (
		n, errs atomic.Int64
		mu      sync.Mutex
		lat     []time.Duration
		wg      sync.WaitGroup
		codes   sync.Map
	)
	stop := time.Now().Add(*dur)
	start := time.Now()
	for w := range *conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			for i := w; time.Now().Before(stop); i += *conc {
				var req *http.Request
				if *get {
					req, _ = http.NewRequest(http.MethodGet, *target, nil)
				} else {
					req, _ = http.NewRequest(http.MethodPost, *target, bytes.NewReader(bodies[i%len(bodies)]))
					req.Header.Set("Content-Type", "application/json")
				}
				if *key != "" {
					req.Header.Set("Authorization", "Bearer "+*key)
				}
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					errs.Add(1)
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				mine = append(mine, time.Since(t0))
				n.Add(1)
				if resp.StatusCode != http.StatusOK {
					errs.Add(1)
					v, _ := codes.LoadOrStore(resp.StatusCode, new(atomic.Int64))
					v.(*atomic.Int64).Add(1)
				}
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	pct := func(p float64) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		return lat[min(len(lat)-1, int(p*float64(len(lat))))]
	}
	fmt.Printf("%s  %d clients  %v\n", *target, *conc, dur.Round(time.Second))
	fmt.Printf("  requests %d  errors %d  throughput %.0f req/s\n", n.Load(), errs.Load(), float64(n.Load())/elapsed.Seconds())
	fmt.Printf("  latency p50 %v  p90 %v  p99 %v  max %v\n", pct(0.50).Round(10*time.Microsecond), pct(0.90).Round(10*time.Microsecond), pct(0.99).Round(10*time.Microsecond), pct(1).Round(10*time.Microsecond))
	codes.Range(func(k, v any) bool {
		fmt.Printf("  status %d: %d\n", k, v.(*atomic.Int64).Load())
		return true
	})
	if errs.Load() > 0 {
		os.Exit(1)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "loadtest:", err)
	os.Exit(1)
}
