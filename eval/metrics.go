package eval

import (
	"math"
	"sort"
)

// Report holds every metric of one evaluation; report.json is this,
// encoded. Field names are part of the documented schema.
type Report struct {
	// Provenance.
	ModelVersion string            `json:"model_version,omitempty"`
	DataHashes   map[string]string `json:"data_hashes,omitempty"` // file → sha256
	Command      string            `json:"command,omitempty"`
	CreatedAt    string            `json:"created_at,omitempty"`
	Classifier   string            `json:"classifier,omitempty"`

	Items        int                     `json:"items"`
	Accuracy     float64                 `json:"accuracy"`
	MacroF1      float64                 `json:"macro_f1"`
	WeightedF1   float64                 `json:"weighted_f1"`
	Labels       map[string]LabelMetrics `json:"labels"`
	Confusion    Confusion               `json:"confusion"`
	MostConfused []ConfusedPair          `json:"most_confused"`
	// UnseenLabels counts test items whose gold label the model was never
	// trained on (always wrong, never a crash).
	UnseenLabels map[string]int `json:"unseen_labels,omitempty"`

	RoutingAccuracy  *float64  `json:"routing_accuracy,omitempty"`
	Severity         *Severity `json:"severity,omitempty"`
	LanguageAccuracy *float64  `json:"language_accuracy,omitempty"`
	Review           Review    `json:"review"`

	Calibration Calibration     `json:"calibration"`
	Coverage    []CoveragePoint `json:"coverage"`
	OOS         *OOS            `json:"oos,omitempty"`
	Slices      Slices          `json:"slices"`

	LatencyMicros  Latency `json:"latency_us"`
	ThroughputPerS float64 `json:"throughput_per_s"`
	Folds          *Folds  `json:"folds,omitempty"`
}

// LabelMetrics are one label's scores.
type LabelMetrics struct {
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1"`
	Support   int     `json:"support"`
	Predicted int     `json:"predicted"`
}

// Confusion is the confusion matrix: Matrix[i][j] counts gold Labels[i]
// predicted as Labels[j].
type Confusion struct {
	Labels []string `json:"labels"`
	Matrix [][]int  `json:"matrix"`
}

// ConfusedPair is a frequent off-diagonal cell.
type ConfusedPair struct {
	Gold      string `json:"gold"`
	Predicted string `json:"predicted"`
	Count     int    `json:"count"`
}

// Severity scores predicted severity against the gold level.
type Severity struct {
	Items    int     `json:"items"`
	Accuracy float64 `json:"accuracy"`
	// UnderTriageRate is the share of gold level 4–5 items predicted lower.
	UnderTriageRate float64   `json:"under_triage_rate"`
	Baseline        *float64  `json:"baseline_accuracy,omitempty"`
	Confusion       Confusion `json:"confusion"`
}

// Review is how many items the pipeline sent to a human, and how
// accurate the rest were.
type Review struct {
	Rate             float64 `json:"rate"`
	AutoAccuracy     float64 `json:"auto_routed_accuracy"`
	ReviewedAccuracy float64 `json:"reviewed_accuracy"`
	// AutoRouting is the queue accuracy of the auto-routed items, when
	// the data has gold queues.
	AutoRouting *float64 `json:"auto_routed_routing_accuracy,omitempty"`
}

// Calibration is the expected calibration error over equal-width bins
// of top-1 confidence, and the bins themselves (the reliability diagram).
type Calibration struct {
	ECE  float64    `json:"ece"`
	Bins []CalibBin `json:"bins"`
}

// CalibBin is one reliability-diagram bin.
type CalibBin struct {
	Lower      float64 `json:"lower"`
	Upper      float64 `json:"upper"`
	Count      int     `json:"count"`
	Confidence float64 `json:"confidence"` // mean confidence
	Accuracy   float64 `json:"accuracy"`
}

// CoveragePoint: with a review threshold t, Coverage is the share of
// items auto-routed (confidence ≥ t) and Accuracy the accuracy on them.
type CoveragePoint struct {
	Threshold float64 `json:"threshold"`
	Coverage  float64 `json:"coverage"`
	Accuracy  float64 `json:"accuracy"`
	Items     int     `json:"items"`
}

// OOS are the out-of-scope metrics of Larson et al. (CLINC150):
// in-scope accuracy over in-scope items (predicting oos counts as wrong),
// and recall and precision of the oos label.
type OOS struct {
	InScopeAccuracy float64 `json:"in_scope_accuracy"`
	Recall          float64 `json:"recall"`
	Precision       float64 `json:"precision"`
	InScopeItems    int     `json:"in_scope_items"`
	OOSItems        int     `json:"oos_items"`
}

// Slices break accuracy down by language and channel.
type Slices struct {
	Language map[string]Slice `json:"language,omitempty"`
	Channel  map[string]Slice `json:"channel,omitempty"`
	// Hard splits items written to be hard from the rest ("hard",
	// "ordinary"), when the data marks any.
	Hard map[string]Slice `json:"hard,omitempty"`
}

// Slice is the score of a subset.
type Slice struct {
	Items    int     `json:"items"`
	Accuracy float64 `json:"accuracy"`
	MacroF1  float64 `json:"macro_f1"`
}

// Latency percentiles in microseconds.
type Latency struct {
	P50 float64 `json:"p50"`
	P95 float64 `json:"p95"`
	P99 float64 `json:"p99"`
}

// Folds summarise k-fold cross-validation.
type Folds struct {
	K        int         `json:"k"`
	Accuracy MeanStd     `json:"accuracy"`
	MacroF1  MeanStd     `json:"macro_f1"`
	PerFold  []FoldScore `json:"per_fold"`
}

// MeanStd is a mean and (population) standard deviation.
type MeanStd struct {
	Mean float64 `json:"mean"`
	Std  float64 `json:"std"`
}

// FoldScore is one fold's headline scores.
type FoldScore struct {
	Fold     int     `json:"fold"`
	Accuracy float64 `json:"accuracy"`
	MacroF1  float64 `json:"macro_f1"`
}

// CalibrationBins is the number of reliability bins.
const CalibrationBins = 10

// Compute derives every metric from predictions. known lists the labels
// the model was trained on (nil: all gold labels are known).
func Compute(preds []Prediction, known []string) *Report {
	r := &Report{Items: len(preds)}
	r.Accuracy, r.MacroF1, r.WeightedF1, r.Labels, r.Confusion = classification(preds)
	r.MostConfused = mostConfused(r.Confusion, 10)
	if known != nil {
		k := map[string]bool{}
		for _, l := range known {
			k[l] = true
		}
		for _, p := range preds {
			if !k[p.Gold] {
				if r.UnseenLabels == nil {
					r.UnseenLabels = map[string]int{}
				}
				r.UnseenLabels[p.Gold]++
			}
		}
	}
	r.RoutingAccuracy = routing(preds)
	r.Severity = severity(preds)
	r.LanguageAccuracy = language(preds)
	r.Review = review(preds)
	r.Calibration = calibration(preds, CalibrationBins)
	r.Coverage = coverage(preds)
	r.OOS = oos(preds)
	r.Slices = slices(preds)
	r.LatencyMicros = latency(preds)
	return r
}

// classification computes accuracy, macro and support-weighted F1, the
// per-label table and the confusion matrix over the union of gold and
// predicted labels (sorted).
func classification(preds []Prediction) (acc, macro, weighted float64, labels map[string]LabelMetrics, conf Confusion) {
	set := map[string]bool{}
	for _, p := range preds {
		set[p.Gold] = true
		set[p.Predicted] = true
	}
	names := make([]string, 0, len(set))
	for l := range set {
		names = append(names, l)
	}
	sort.Strings(names)
	index := map[string]int{}
	for i, l := range names {
		index[l] = i
	}
	m := make([][]int, len(names))
	for i := range m {
		m[i] = make([]int, len(names))
	}
	right := 0
	for _, p := range preds {
		m[index[p.Gold]][index[p.Predicted]]++
		if p.Gold == p.Predicted {
			right++
		}
	}
	labels = map[string]LabelMetrics{}
	var sumF1, sumWF1 float64
	nGold := 0
	for i, l := range names {
		tp := m[i][i]
		support, predicted := 0, 0
		for j := range names {
			support += m[i][j]
			predicted += m[j][i]
		}
		lm := LabelMetrics{Support: support, Predicted: predicted}
		lm.Precision = ratio(tp, predicted)
		lm.Recall = ratio(tp, support)
		if lm.Precision+lm.Recall > 0 {
			lm.F1 = 2 * lm.Precision * lm.Recall / (lm.Precision + lm.Recall)
		}
		// Macro F1 averages over labels present in the gold data; a
		// label only ever predicted still lowers precision elsewhere.
		if support > 0 {
			sumF1 += lm.F1
			sumWF1 += lm.F1 * float64(support)
			nGold++
		}
		lm.Precision, lm.Recall, lm.F1 = round(lm.Precision, 4), round(lm.Recall, 4), round(lm.F1, 4)
		labels[l] = lm
	}
	if len(preds) > 0 {
		acc = float64(right) / float64(len(preds))
		weighted = sumWF1 / float64(len(preds))
	}
	if nGold > 0 {
		macro = sumF1 / float64(nGold)
	}
	return round(acc, 4), round(macro, 4), round(weighted, 4), labels, Confusion{Labels: names, Matrix: m}
}

func mostConfused(c Confusion, n int) []ConfusedPair {
	var out []ConfusedPair
	for i, row := range c.Matrix {
		for j, v := range row {
			if i != j && v > 0 {
				out = append(out, ConfusedPair{c.Labels[i], c.Labels[j], v})
			}
		}
	}
	sort.SliceStable(out, func(a, b int) bool {
		if out[a].Count != out[b].Count {
			return out[a].Count > out[b].Count
		}
		if out[a].Gold != out[b].Gold {
			return out[a].Gold < out[b].Gold
		}
		return out[a].Predicted < out[b].Predicted
	})
	if len(out) > n {
		out = out[:n]
	}
	if out == nil {
		out = []ConfusedPair{}
	}
	return out
}

// routing: share of items whose predicted queue is the gold queue, over
// items with a gold queue and a prediction routed at all.
func routing(preds []Prediction) *float64 {
	right, n := 0, 0
	for _, p := range preds {
		if p.GoldQueue == "" {
			continue
		}
		n++
		if p.Queue == p.GoldQueue {
			right++
		}
	}
	if n == 0 {
		return nil
	}
	v := round(ratio(right, n), 4)
	return &v
}

func severity(preds []Prediction) *Severity {
	var gold, got []string
	right, under, n45, n, base, nBase := 0, 0, 0, 0, 0, 0
	for _, p := range preds {
		if p.GoldSeverity == 0 || p.Severity == 0 {
			continue
		}
		n++
		if p.BaseSeverity != 0 {
			nBase++
			if p.BaseSeverity == p.GoldSeverity {
				base++
			}
		}
		if p.Severity == p.GoldSeverity {
			right++
		}
		if p.GoldSeverity >= 4 {
			n45++
			if p.Severity < p.GoldSeverity {
				under++
			}
		}
		gold = append(gold, string(rune('0'+p.GoldSeverity)))
		got = append(got, string(rune('0'+p.Severity)))
	}
	if n == 0 {
		return nil
	}
	s := &Severity{Items: n, Accuracy: round(ratio(right, n), 4), UnderTriageRate: round(ratio(under, n45), 4)}
	s.Confusion = confusionOf(gold, got, []string{"1", "2", "3", "4", "5"})
	if nBase > 0 {
		b := round(ratio(base, nBase), 4)
		s.Baseline = &b
	}
	return s
}

func confusionOf(gold, got, labels []string) Confusion {
	index := map[string]int{}
	for i, l := range labels {
		index[l] = i
	}
	m := make([][]int, len(labels))
	for i := range m {
		m[i] = make([]int, len(labels))
	}
	for i := range gold {
		m[index[gold[i]]][index[got[i]]]++
	}
	return Confusion{Labels: labels, Matrix: m}
}

func language(preds []Prediction) *float64 {
	right, n := 0, 0
	for _, p := range preds {
		if p.GoldLanguage == "" || p.Language == "" {
			continue
		}
		n++
		if p.Language == p.GoldLanguage {
			right++
		}
	}
	if n == 0 {
		return nil
	}
	v := round(ratio(right, n), 4)
	return &v
}

func review(preds []Prediction) Review {
	var rev, revRight, auto, autoRight int
	for _, p := range preds {
		if p.NeedsReview {
			rev++
			if p.Correct {
				revRight++
			}
		} else {
			auto++
			if p.Correct {
				autoRight++
			}
		}
	}
	r := Review{Rate: round(ratio(rev, len(preds)), 4), AutoAccuracy: round(ratio(autoRight, auto), 4), ReviewedAccuracy: round(ratio(revRight, rev), 4)}
	var autoPreds []Prediction
	for _, p := range preds {
		if !p.NeedsReview {
			autoPreds = append(autoPreds, p)
		}
	}
	r.AutoRouting = routing(autoPreds)
	return r
}

// calibration: ECE = Σ_b (n_b / N) · |accuracy_b − confidence_b| over
// equal-width bins; a confidence of exactly 1 falls in the last bin.
func calibration(preds []Prediction, bins int) Calibration {
	count := make([]int, bins)
	conf := make([]float64, bins)
	right := make([]int, bins)
	for _, p := range preds {
		b := int(p.Confidence * float64(bins))
		b = max(0, min(b, bins-1))
		count[b]++
		conf[b] += p.Confidence
		if p.Correct {
			right[b]++
		}
	}
	c := Calibration{Bins: make([]CalibBin, bins)}
	var ece float64
	for b := 0; b < bins; b++ {
		bin := CalibBin{Lower: round(float64(b)/float64(bins), 4), Upper: round(float64(b+1)/float64(bins), 4), Count: count[b]}
		if count[b] > 0 {
			bin.Confidence = conf[b] / float64(count[b])
			bin.Accuracy = float64(right[b]) / float64(count[b])
			ece += float64(count[b]) / float64(len(preds)) * math.Abs(bin.Accuracy-bin.Confidence)
		}
		bin.Confidence, bin.Accuracy = round(bin.Confidence, 4), round(bin.Accuracy, 4)
		c.Bins[b] = bin
	}
	c.ECE = round(ece, 4)
	return c
}

// coverage: for thresholds 0, 0.05, …, 1, the share of items with
// confidence ≥ threshold and the accuracy on them.
func coverage(preds []Prediction) []CoveragePoint {
	var out []CoveragePoint
	for i := 0; i <= 20; i++ {
		t := float64(i) / 20
		n, right := 0, 0
		for _, p := range preds {
			if p.Confidence >= t-1e-12 {
				n++
				if p.Correct {
					right++
				}
			}
		}
		out = append(out, CoveragePoint{Threshold: round(t, 2), Coverage: round(ratio(n, len(preds)), 4), Accuracy: round(ratio(right, n), 4), Items: n})
	}
	return out
}

func oos(preds []Prediction) *OOS {
	var o OOS
	inRight, oosRight, predOOS := 0, 0, 0
	for _, p := range preds {
		if p.Predicted == OutOfScope {
			predOOS++
		}
		if p.Gold == OutOfScope {
			o.OOSItems++
			if p.Predicted == OutOfScope {
				oosRight++
			}
		} else {
			o.InScopeItems++
			if p.Correct {
				inRight++
			}
		}
	}
	if o.OOSItems == 0 {
		return nil
	}
	o.InScopeAccuracy = round(ratio(inRight, o.InScopeItems), 4)
	o.Recall = round(ratio(oosRight, o.OOSItems), 4)
	o.Precision = round(ratio(oosRight, predOOS), 4)
	return &o
}

func slices(preds []Prediction) Slices {
	var hard map[string]Slice
	by := func(key func(Prediction) string) map[string]Slice {
		groups := map[string][]Prediction{}
		for _, p := range preds {
			if k := key(p); k != "" {
				groups[k] = append(groups[k], p)
			}
		}
		if len(groups) == 0 {
			return nil
		}
		out := map[string]Slice{}
		for k, g := range groups {
			acc, macro, _, _, _ := classification(g)
			out[k] = Slice{Items: len(g), Accuracy: acc, MacroF1: macro}
		}
		return out
	}
	if slicesAny(preds, func(p Prediction) bool { return p.Hard }) {
		hard = by(func(p Prediction) string {
			if p.Hard {
				return "hard"
			}
			return "ordinary"
		})
	}
	return Slices{
		Language: by(func(p Prediction) string {
			if p.GoldLanguage != "" {
				return p.GoldLanguage
			}
			return p.Language
		}),
		Channel: by(func(p Prediction) string { return p.Channel }),
		Hard:    hard,
	}
}

func slicesAny(preds []Prediction, f func(Prediction) bool) bool {
	for _, p := range preds {
		if f(p) {
			return true
		}
	}
	return false
}

// latency percentiles by the nearest-rank method.
func latency(preds []Prediction) Latency {
	if len(preds) == 0 {
		return Latency{}
	}
	ls := make([]float64, len(preds))
	for i, p := range preds {
		ls[i] = p.LatencyMicros
	}
	sort.Float64s(ls)
	rank := func(q float64) float64 {
		i := int(math.Ceil(q*float64(len(ls)))) - 1
		return ls[max(0, min(i, len(ls)-1))]
	}
	return Latency{P50: rank(0.50), P95: rank(0.95), P99: rank(0.99)}
}

func meanStd(xs []float64) MeanStd {
	if len(xs) == 0 {
		return MeanStd{}
	}
	var sum float64
	for _, x := range xs {
		sum += x
	}
	mean := sum / float64(len(xs))
	var v float64
	for _, x := range xs {
		v += (x - mean) * (x - mean)
	}
	return MeanStd{Mean: round(mean, 4), Std: round(math.Sqrt(v/float64(len(xs))), 4)}
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func round(x float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(x*p) / p
}
