// Package eval is the offline evaluation harness: labelled items in,
// metrics and readable reports out. It knows nothing of how predictions
// are made; callers pass a Predictor (and, for cross-validation, a
// function that trains one).
package eval

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/triagedesk/triage"
)

// OutOfScope is the label the harness treats as out of scope (CLINC150).
const OutOfScope = "oos"

// Item is one labelled example.
type Item struct {
	ID       string
	Text     string
	Gold     string
	Lang     string // gold language, when the data has one
	Channel  string
	Severity int    // gold severity 1..5, 0 when unknown
	Queue    string // gold queue, when known
	// BaselineSeverity is what a trivial rule would say (the scenario's
	// default level), reported beside the model's severity accuracy.
	BaselineSeverity int
	// Hard marks an item written to be hard (reported as its own slice).
	Hard bool
}

// Outcome is what a predictor says about one text.
type Outcome struct {
	Label       string
	Confidence  float64
	Language    string // detected language, "" when not detected
	Severity    int    // predicted severity, 0 when not predicted
	Queue       string // predicted queue, "" when not routed
	NeedsReview bool
}

// Predictor classifies texts. Implementations must be safe to call from
// one goroutine at a time; the harness times each call.
type Predictor interface {
	Predict(ctx context.Context, text string) (Outcome, error)
}

// PredictorFunc adapts a function to Predictor.
type PredictorFunc func(ctx context.Context, text string) (Outcome, error)

// Predict calls f.
func (f PredictorFunc) Predict(ctx context.Context, text string) (Outcome, error) {
	return f(ctx, text)
}

// Prediction is one evaluated item, as written to predictions.jsonl.
type Prediction struct {
	ID            string  `json:"id"`
	Text          string  `json:"text"`
	Gold          string  `json:"gold"`
	Predicted     string  `json:"predicted"`
	Confidence    float64 `json:"confidence"`
	Correct       bool    `json:"correct"`
	Language      string  `json:"language,omitempty"`
	GoldLanguage  string  `json:"gold_language,omitempty"`
	Channel       string  `json:"channel,omitempty"`
	GoldSeverity  int     `json:"gold_severity,omitempty"`
	Severity      int     `json:"severity,omitempty"`
	BaseSeverity  int     `json:"baseline_severity,omitempty"`
	GoldQueue     string  `json:"gold_queue,omitempty"`
	Queue         string  `json:"queue,omitempty"`
	NeedsReview   bool    `json:"needs_review"`
	Hard          bool    `json:"hard,omitempty"`
	Fold          int     `json:"fold,omitempty"`
	LatencyMicros float64 `json:"latency_us"`
}

// Options configure a run.
type Options struct {
	// Labels are the labels the model knows; gold labels outside them are
	// reported as unseen. Empty: every gold label counts as known.
	Labels []string
	// Progress, when set, is called after each item with done and total.
	Progress func(done, total int)
}

// Errors callers branch on.
var (
	ErrNoItems     = triage.NewError(triage.EINVALID, "no items to evaluate")
	ErrFoldTooFew  = triage.NewError(triage.EINVALID, "too few examples for k-fold")
	ErrBadArgument = triage.NewError(triage.EINVALID, "invalid argument")
)

// Run predicts every item in order and computes the report.
func Run(ctx context.Context, p Predictor, items []Item, opt Options) (*Report, []Prediction, error) {
	if len(items) == 0 {
		return nil, nil, ErrNoItems
	}
	preds := make([]Prediction, 0, len(items))
	start := time.Now()
	for i, it := range items {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		t0 := time.Now()
		out, err := p.Predict(ctx, it.Text)
		lat := time.Since(t0)
		if err != nil {
			return nil, nil, fmt.Errorf("eval: item %s: %w", it.ID, err)
		}
		preds = append(preds, makePrediction(it, out, lat))
		if opt.Progress != nil {
			opt.Progress(i+1, len(items))
		}
	}
	wall := time.Since(start)
	r := Compute(preds, opt.Labels)
	r.ThroughputPerS = round(float64(len(items))/wall.Seconds(), 1)
	return r, preds, nil
}

func makePrediction(it Item, out Outcome, lat time.Duration) Prediction {
	return Prediction{
		ID: it.ID, Text: it.Text, Gold: it.Gold, Predicted: out.Label, Confidence: out.Confidence,
		Correct: out.Label == it.Gold, Language: out.Language, GoldLanguage: it.Lang, Channel: it.Channel,
		GoldSeverity: it.Severity, Severity: out.Severity, BaseSeverity: it.BaselineSeverity, GoldQueue: it.Queue, Queue: out.Queue, Hard: it.Hard,
		NeedsReview: out.NeedsReview, LatencyMicros: round(float64(lat.Nanoseconds())/1e3, 1),
	}
}

// TrainFunc trains a predictor on items, for cross-validation; it also
// returns the labels the predictor knows.
type TrainFunc func(ctx context.Context, train []Item) (Predictor, []string, error)

// KFold runs stratified k-fold cross-validation: items are dealt into k
// folds per label in a seeded order; each fold is predicted by a model
// trained on the others. The report covers every out-of-fold prediction
// and adds per-fold mean and standard deviation.
func KFold(ctx context.Context, train TrainFunc, items []Item, k int, seed uint64, opt Options) (*Report, []Prediction, error) {
	if len(items) == 0 {
		return nil, nil, ErrNoItems
	}
	if k < 2 {
		return nil, nil, fmt.Errorf("%w: --folds must be at least 2, got %d", ErrBadArgument, k)
	}
	byLabel := map[string][]int{}
	for i, it := range items {
		byLabel[it.Gold] = append(byLabel[it.Gold], i)
	}
	var few []string
	for l, idx := range byLabel {
		if len(idx) < k {
			few = append(few, fmt.Sprintf("%s (%d)", l, len(idx)))
		}
	}
	if len(few) > 0 {
		sort.Strings(few)
		return nil, nil, fmt.Errorf("%w: %d-fold needs at least %d examples per label; too few for %v — add examples, lower --folds, or drop those labels", ErrFoldTooFew, k, k, few)
	}
	fold := make([]int, len(items))
	labels := make([]string, 0, len(byLabel))
	for l := range byLabel {
		labels = append(labels, l)
	}
	sort.Strings(labels)
	offset := 0
	for _, l := range labels {
		idx := byLabel[l]
		sort.Slice(idx, func(a, b int) bool { return mix(seed, items[idx[a]].ID, idx[a]) < mix(seed, items[idx[b]].ID, idx[b]) })
		for j, i := range idx {
			fold[i] = (j + offset) % k // rotate so small labels spread over folds
		}
		offset += len(idx)
	}
	var all []Prediction
	var accs, f1s []float64
	done := 0
	start := time.Now()
	for f := 0; f < k; f++ {
		var tr, te []Item
		for i, it := range items {
			if fold[i] == f {
				te = append(te, it)
			} else {
				tr = append(tr, it)
			}
		}
		p, known, err := train(ctx, tr)
		if err != nil {
			return nil, nil, fmt.Errorf("eval: fold %d: %w", f+1, err)
		}
		inner := opt
		inner.Labels = known
		inner.Progress = func(d, _ int) {
			if opt.Progress != nil {
				opt.Progress(done+d, len(items))
			}
		}
		r, preds, err := Run(ctx, p, te, inner)
		if err != nil {
			return nil, nil, fmt.Errorf("eval: fold %d: %w", f+1, err)
		}
		done += len(te)
		for i := range preds {
			preds[i].Fold = f + 1
		}
		all = append(all, preds...)
		accs = append(accs, r.Accuracy)
		f1s = append(f1s, r.MacroF1)
	}
	r := Compute(all, nil)
	r.ThroughputPerS = round(float64(len(items))/time.Since(start).Seconds(), 1)
	r.Folds = &Folds{K: k, Accuracy: meanStd(accs), MacroF1: meanStd(f1s), PerFold: perFold(accs, f1s)}
	return r, all, nil
}

func mix(seed uint64, id string, i int) uint64 {
	h := seed ^ 0x9e3779b97f4a7c15
	for j := 0; j < len(id); j++ {
		h = (h ^ uint64(id[j])) * 1099511628211
	}
	h ^= uint64(i) * 0xbf58476d1ce4e5b9
	h ^= h >> 31
	return h
}

func perFold(accs, f1s []float64) []FoldScore {
	out := make([]FoldScore, len(accs))
	for i := range accs {
		out[i] = FoldScore{Fold: i + 1, Accuracy: round(accs[i], 4), MacroF1: round(f1s[i], 4)}
	}
	return out
}
