package classify

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
)

// benchmarksDir is the folder of public benchmark sets named by
// TRIAGE_BENCHMARKS (docs/benchmarks.md says how to get them; they are
// never committed). CI sets it, and there a missing folder is a failure;
// elsewhere an unset variable skips.
func benchmarksDir(t testing.TB) string {
	t.Helper()
	d := os.Getenv("TRIAGE_BENCHMARKS")
	if d == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("TRIAGE_BENCHMARKS is not set; CI must have the public benchmarks (docs/benchmarks.md)")
		}
		t.Skip("public benchmarks not configured: set TRIAGE_BENCHMARKS (docs/benchmarks.md)")
	}
	if st, err := os.Stat(d); err != nil || !st.IsDir() {
		t.Fatalf("TRIAGE_BENCHMARKS=%s is not a folder", d)
	}
	return d
}

type benchRow struct {
	Text  string `json:"text"`
	Label string `json:"label"`
	Lang  string `json:"lang"`
}

func readBench(t testing.TB, path string) []benchRow {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows []benchRow
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r benchRow
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		if strings.TrimSpace(r.Text) != "" {
			rows = append(rows, r)
		}
	}
	return rows
}

func benchExamples(rows []benchRow) []Example {
	out := make([]Example, len(rows))
	for i, r := range rows {
		out[i] = Example{Text: r.Text, Label: r.Label}
	}
	return out
}

// TestPublicBenchmarks trains on public intent and complaint datasets
// and must at least match the plain lexical softmax model's accuracy
// measured on them (benchmarks/README.md).
func TestPublicBenchmarks(t *testing.T) {
	if testing.Short() {
		t.Skip("trains on 20k texts")
	}
	dir := benchmarksDir(t)
	tests := []struct {
		name string
		min  float64 // the plain model's accuracy
	}{
		{"smp2017_ecdt_task1", 0.890},
		{"online_shopping_complaints_zh", 0.878},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			train := benchExamples(readBench(t, filepath.Join(dir, tt.name, "train.jsonl")))
			test := benchExamples(readBench(t, filepath.Join(dir, tt.name, "test.jsonl")))
			m, err := Train(train, nil, TrainOptions{})
			if err != nil {
				t.Fatal(err)
			}
			right := 0
			for _, ex := range test {
				if m.Predict(ex.Text).Top().Label == ex.Label {
					right++
				}
			}
			acc := float64(right) / float64(len(test))
			t.Logf("%s: accuracy %.4f on %d (plain lexical model %.3f), trained on %d in %.1fs", tt.name, acc, len(test), tt.min, len(train), m.Meta.Metrics.TrainSeconds)
			if acc < tt.min {
				t.Errorf("accuracy %.4f below the plain model's %.3f", acc, tt.min)
			}
		})
	}
}

// xsid77 builds a 77-label, ~10k-text training set from xSID: the label
// is language/intent, the 77 most frequent pairs.
func xsid77(b *testing.B) []Example {
	dir := benchmarksDir(b)
	rows := append(readBench(b, filepath.Join(dir, "xsid", "train.jsonl")), readBench(b, filepath.Join(dir, "xsid", "test.jsonl"))...)
	count := map[string]int{}
	for i := range rows {
		rows[i].Label = rows[i].Lang + "/" + rows[i].Label
		count[rows[i].Label]++
	}
	labels := make([]string, 0, len(count))
	for l := range count {
		labels = append(labels, l)
	}
	sort.Slice(labels, func(i, j int) bool {
		if count[labels[i]] != count[labels[j]] {
			return count[labels[i]] > count[labels[j]]
		}
		return labels[i] < labels[j]
	})
	keep := map[string]bool{}
	for _, l := range labels[:77] {
		keep[l] = true
	}
	var out []Example
	for _, r := range rows {
		if keep[r.Label] && len(out) < 10000 {
			out = append(out, Example{Text: r.Text, Label: r.Label})
		}
	}
	return out
}

// BenchmarkTrain10k77 trains on 10k real texts with 77 labels.
func BenchmarkTrain10k77(b *testing.B) {
	exs := xsid77(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Train(exs, nil, TrainOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(exs)), "texts")
}

// BenchmarkPredict classifies one 200-character complaint with the
// shipped model (no language detection).
func BenchmarkPredict(b *testing.B) {
	m := triageBundle(b).Scenario
	text := "I topped up 6480 gems with my card yesterday at 9pm, the bank shows two charges of $99.99 but the game only credited one pack. Order IDs GP-2231 and GP-2232. Please fix this or refund the extra one asap."
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.Predict(text)
	}
}

// BenchmarkClassify is the whole pipeline: detection, both models,
// escalation rules, routing.
func BenchmarkClassify(b *testing.B) {
	c := newTestClassifier(b)
	text := "充值了648元，钻石一直没到账，客服让我等三天，这是我第三次联系你们了，再不处理我就去12315投诉"
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := c.Classify(text); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkClassifyCore cycles the whole pipeline through the test
// split's complaints in the fourteen core languages: the mix the intake
// gateway sends.
func BenchmarkClassifyCore(b *testing.B) {
	c := newTestClassifier(b)
	tax, _, _, test := loadFixture(b)
	var texts []string
	for _, t := range test {
		if slices.Contains(tax.Languages[:14], t.Lang) {
			texts = append(texts, t.Text)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := c.Classify(texts[i%len(texts)]); err != nil {
			b.Fatal(err)
		}
	}
}
