package classify

import (
	"math"
	"sort"
	"time"

	"github.com/triagedesk/triage"
	"github.com/triagedesk/triage/features"
)

// FormatVersion is the model file format this package reads and writes.
const FormatVersion = 1

// Meta describes a trained model: what it was trained on and how well it
// did. It is stored in the model file's header.
type Meta struct {
	FormatVersion int              `json:"format_version"`
	Version       string           `json:"version"` // short content hash of labels, data and options
	Labels        []string         `json:"labels"`
	TaxonomyHash  string           `json:"taxonomy_hash,omitempty"`
	DataHash      string           `json:"data_hash"`
	TrainedAt     time.Time        `json:"trained_at"`
	Features      features.Config  `json:"features"`
	Lexicon       []triage.Concept `json:"lexicon,omitempty"`
	Options       TrainOptions     `json:"options"`
	Metrics       TrainMetrics     `json:"metrics"`
	// Escalate holds a severity model's decision thresholds (see
	// TrainSeverity); zero for scenario models.
	Escalate EscalateThresholds `json:"escalate,omitzero"`
}

// TrainMetrics are measured while training.
type TrainMetrics struct {
	Examples       int     `json:"examples"`
	DevExamples    int     `json:"dev_examples"`
	Features       int     `json:"features"`
	TrainAccuracy  float64 `json:"train_accuracy"`
	DevAccuracy    float64 `json:"dev_accuracy,omitempty"`
	DevNLL         float64 `json:"dev_nll,omitempty"`              // after calibration
	DevNLLRaw      float64 `json:"dev_nll_uncalibrated,omitempty"` // before
	DevUnderTriage float64 `json:"dev_under_triage,omitempty"`     // severity models
	Temperature    float64 `json:"temperature"`
	FinalLoss      float64 `json:"final_loss"`
	TrainSeconds   float64 `json:"train_seconds"`
}

// Model is a trained scenario classifier: TF-IDF n-gram features and a
// multinomial linear model, with a calibrated temperature. It is safe
// for concurrent use.
type Model struct {
	Meta Meta

	vec *vectorizer
	// w holds the weights feature-major: w[f*classes+k].
	w    []float32
	bias []float32
}

// Scored is a label with its calibrated probability.
type Scored struct {
	Label       string  `json:"id"`
	Probability float64 `json:"confidence"`
}

// Prediction is the model's answer for one text: every label by
// probability, most likely first.
type Prediction struct {
	Ranked []Scored
}

// Top returns the most likely label.
func (p Prediction) Top() Scored {
	if len(p.Ranked) == 0 {
		return Scored{}
	}
	return p.Ranked[0]
}

// Margin is the probability gap between the two most likely labels.
func (p Prediction) Margin() float64 {
	if len(p.Ranked) < 2 {
		return 1
	}
	return p.Ranked[0].Probability - p.Ranked[1].Probability
}

// Labels returns the label set in model order.
func (m *Model) Labels() []string { return m.Meta.Labels }

// Predict classifies one text.
func (m *Model) Predict(text string) Prediction {
	s := scratchPool.Get().(*scratch)
	defer scratchPool.Put(s)
	return m.predictVector(m.vec.vectorize(text, s))
}

// predictVector is Predict on a vector from this model's vectorizer.
func (m *Model) predictVector(x Vector) Prediction {
	z := m.logits(x, nil)
	probs := softmax(z, m.Meta.Metrics.Temperature)
	ranked := make([]Scored, len(probs))
	for k, p := range probs {
		ranked[k] = Scored{m.Meta.Labels[k], p}
	}
	sort.SliceStable(ranked, func(a, b int) bool { return ranked[a].Probability > ranked[b].Probability })
	return Prediction{Ranked: ranked}
}

// logits computes W·x + b into dst (allocated when nil).
func (m *Model) logits(x Vector, dst []float64) []float64 {
	k := len(m.bias)
	if dst == nil {
		dst = make([]float64, k)
	}
	acc := make([]float32, k)
	copy(acc, m.bias)
	for i, f := range x.Index {
		v := x.Value[i]
		row := m.w[int(f)*k : int(f)*k+k]
		for c := range row {
			acc[c] += v * row[c]
		}
	}
	for c := range acc {
		dst[c] = float64(acc[c])
	}
	return dst
}

// softmax returns exp(z/T) normalised; T ≤ 0 means 1.
func softmax(z []float64, temperature float64) []float64 {
	if temperature <= 0 {
		temperature = 1
	}
	max := math.Inf(-1)
	for _, v := range z {
		max = math.Max(max, v)
	}
	out := make([]float64, len(z))
	var sum float64
	for i, v := range z {
		out[i] = math.Exp((v - max) / temperature)
		sum += out[i]
	}
	for i := range out {
		out[i] /= sum
	}
	return out
}
