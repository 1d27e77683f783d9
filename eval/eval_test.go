package eval

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

// lookup predicts from a fixed table: the fake model of the tests.
type lookup map[string]Outcome

func (l lookup) Predict(_ context.Context, text string) (Outcome, error) {
	if text == "boom" {
		return Outcome{}, errors.New("model exploded")
	}
	return l[text], nil
}

func fixtureItems() ([]Item, lookup) {
	var items []Item
	table := lookup{}
	for _, p := range fixture() {
		items = append(items, Item{ID: p.ID, Text: p.Text, Gold: p.Gold, Lang: p.GoldLanguage, Channel: p.Channel,
			Severity: p.GoldSeverity, Queue: p.GoldQueue, BaselineSeverity: 2})
		table[p.Text] = Outcome{Label: p.Predicted, Confidence: p.Confidence, Language: p.Language, Severity: p.Severity, Queue: p.Queue, NeedsReview: p.NeedsReview}
	}
	return items, table
}

func TestRun(t *testing.T) {
	items, model := fixtureItems()
	var progress []int
	r, preds, err := Run(context.Background(), model, items, Options{Progress: func(d, n int) { progress = append(progress, d) }})
	if err != nil {
		t.Fatal(err)
	}
	if r.Accuracy != 0.7 || len(preds) != 10 || len(progress) != 10 || progress[9] != 10 {
		t.Errorf("accuracy %v, %d predictions, progress %v", r.Accuracy, len(preds), progress)
	}
	if r.ThroughputPerS <= 0 {
		t.Error("no throughput")
	}
	if _, _, err := Run(context.Background(), model, nil, Options{}); !errors.Is(err, ErrNoItems) {
		t.Errorf("empty data: %v", err)
	}
	_, _, err = Run(context.Background(), model, append(items, Item{ID: "x9", Text: "boom", Gold: "A"}), Options{})
	if err == nil || !strings.Contains(err.Error(), "item x9: model exploded") {
		t.Errorf("predictor error: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := Run(ctx, model, items, Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

func TestKFold(t *testing.T) {
	var items []Item
	for i, l := range []string{"A", "A", "A", "A", "B", "B"} {
		items = append(items, Item{ID: string(rune('a' + i)), Text: string(rune('a' + i)), Gold: l})
	}
	var trainSizes []int
	always := func(label string) TrainFunc {
		return func(_ context.Context, train []Item) (Predictor, []string, error) {
			trainSizes = append(trainSizes, len(train))
			return PredictorFunc(func(context.Context, string) (Outcome, error) { return Outcome{Label: label, Confidence: 1}, nil }), []string{"A", "B"}, nil
		}
	}
	r, preds, err := KFold(context.Background(), always("A"), items, 2, 1, Options{})
	if err != nil {
		t.Fatal(err)
	}
	// Stratified: each fold holds 2 A and 1 B, so "always A" scores 2/3
	// in both folds: mean .6667, std 0.
	if r.Folds == nil || r.Folds.K != 2 || !near(r.Folds.Accuracy.Mean, 0.6667) || r.Folds.Accuracy.Std != 0 || len(r.Folds.PerFold) != 2 {
		t.Errorf("folds %+v", r.Folds)
	}
	if len(preds) != 6 || trainSizes[0] != 3 || trainSizes[1] != 3 || !near(r.Accuracy, 0.6667) {
		t.Errorf("%d predictions, train sizes %v, accuracy %v", len(preds), trainSizes, r.Accuracy)
	}
	for _, p := range preds {
		if p.Fold < 1 || p.Fold > 2 {
			t.Errorf("fold %d", p.Fold)
		}
	}
	// Same seed, same folds.
	_, again, _ := KFold(context.Background(), always("A"), items, 2, 1, Options{})
	for i := range preds {
		if preds[i].ID != again[i].ID || preds[i].Fold != again[i].Fold {
			t.Fatal("k-fold is not deterministic for a seed")
		}
	}
	// A label with fewer examples than folds gets a clear message.
	_, _, err = KFold(context.Background(), always("A"), append(items, Item{ID: "z", Text: "z", Gold: "C"}), 2, 1, Options{})
	if !errors.Is(err, ErrFoldTooFew) || !strings.Contains(err.Error(), "C (1)") {
		t.Errorf("single-example label: %v", err)
	}
	if _, _, err := KFold(context.Background(), always("A"), items, 1, 1, Options{}); !errors.Is(err, ErrBadArgument) {
		t.Errorf("k=1: %v", err)
	}
}

func TestCompare(t *testing.T) {
	base := Compute(fixture(), nil)
	worse := fixture()
	worse[0].Predicted, worse[0].Correct = "B", false
	worse[1].Predicted, worse[1].Correct = "B", false
	next := Compute(worse, nil)
	c := Compare(base, next, 0.1)
	// accuracy .7 → .5 is a drop of .2 > .1
	if len(c.Regressions) == 0 || c.Regressions[0] != "accuracy" {
		t.Errorf("regressions %v", c.Regressions)
	}
	if c := Compare(base, next, 0.5); len(c.Regressions) != 0 {
		t.Errorf("within margin, got %v", c.Regressions)
	}
	if c := Compare(base, base, 0); len(c.Regressions) != 0 {
		t.Errorf("identical reports regress: %v", c.Regressions)
	}
	var out bytes.Buffer
	if err := c.Write(&out); err != nil || !strings.Contains(out.String(), "REGRESSION") || !strings.Contains(out.String(), "label F1") {
		t.Errorf("table:\n%s", out.String())
	}
}

// TestReportGolden renders the fixture's report.md and report.html and
// compares them with testdata/golden.*; run with -update to rewrite.
func TestReportGolden(t *testing.T) {
	r := Compute(fixture(), []string{"A", "B"})
	r.ModelVersion, r.Command, r.CreatedAt = "fixture01", "triage eval --data fixture.jsonl", "2026-11-23T00:00:00Z"
	r.ThroughputPerS = 1000
	for name, render := range map[string]func(*bytes.Buffer) error{
		"golden.md":   func(b *bytes.Buffer) error { return Markdown(b, r) },
		"golden.html": func(b *bytes.Buffer) error { return HTML(b, r) },
	} {
		var b bytes.Buffer
		if err := render(&b); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join("testdata", name)
		if *update {
			os.WriteFile(path, b.Bytes(), 0o644)
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test ./eval -update)", err)
		}
		if !bytes.Equal(b.Bytes(), want) {
			t.Errorf("%s differs from the golden file; inspect and run go test ./eval -run Golden -update", name)
		}
	}
}

func TestWriteDir(t *testing.T) {
	items, model := fixtureItems()
	r, preds, err := Run(context.Background(), model, items, Options{})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := WriteDir(dir, r, preds); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"report.json", "report.md", "report.html", "predictions.jsonl", "errors.jsonl"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	back, err := ReadReport(filepath.Join(dir, "report.json"))
	if err != nil || back.Accuracy != r.Accuracy || back.Labels["C"] != r.Labels["C"] {
		t.Errorf("round trip: %v %+v", err, back)
	}
	data, _ := os.ReadFile(filepath.Join(dir, "errors.jsonl"))
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	// three errors, most confident first: .6, .55, .3
	if len(lines) != 3 || !strings.Contains(lines[0], `"confidence":0.6`) || !strings.Contains(lines[2], `"confidence":0.3`) {
		t.Errorf("errors.jsonl:\n%s", data)
	}
	pl, _ := os.ReadFile(filepath.Join(dir, "predictions.jsonl"))
	for _, key := range []string{`"id"`, `"text"`, `"gold"`, `"predicted"`, `"confidence"`, `"correct"`, `"language"`} {
		if !strings.Contains(string(pl), key) {
			t.Errorf("predictions.jsonl lacks %s", key)
		}
	}
	if _, err := ReadReport(filepath.Join(dir, "predictions.jsonl")); err == nil {
		t.Error("a predictions file was read as a report")
	}
}

// TestHTMLRendersInBrowser opens report.html in headless Chromium: the
// page's own script marks it rendered when all three charts drew, and a
// screenshot must show more than a blank page.
func TestHTMLRendersInBrowser(t *testing.T) {
	bin := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			bin = p
			break
		}
	}
	if bin == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("no headless browser: CI must install chromium (see scripts/test-deps.sh)")
		}
		t.Skip("chromium not installed (apt-get install chromium)")
	}
	items, model := fixtureItems()
	r, preds, _ := Run(context.Background(), model, items, Options{})
	dir := t.TempDir()
	if err := WriteDir(dir, r, preds); err != nil {
		t.Fatal(err)
	}
	page := "file://" + filepath.Join(dir, "report.html")
	args := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + filepath.Join(dir, "profile")}
	dom, err := exec.Command(bin, append(args, "--dump-dom", page)...).Output()
	if err != nil {
		t.Fatalf("chromium: %v", err)
	}
	if !bytes.Contains(dom, []byte(`data-rendered="ok"`)) {
		t.Errorf("page did not mark itself rendered; DOM starts:\n%.400s", dom)
	}
	shot := filepath.Join(dir, "shot.png")
	if out, err := exec.Command(bin, append(args, "--window-size=1200,1600", "--screenshot="+shot, page)...).CombinedOutput(); err != nil {
		t.Fatalf("screenshot: %v\n%s", err, out)
	}
	f, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	b := img.Bounds()
	colored := 0
	for y := b.Min.Y; y < b.Max.Y; y += 4 {
		for x := b.Min.X; x < b.Max.X; x += 4 {
			r, g, bl, _ := img.At(x, y).RGBA()
			if r>>8 < 200 || g>>8 < 200 || bl>>8 < 200 {
				colored++
			}
		}
	}
	if colored < 500 {
		t.Errorf("screenshot is nearly blank (%d dark samples)", colored)
	}
}
