package classify

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/triagedesk/triage"
	"github.com/triagedesk/triage/features"
)

// Example is one labelled training text.
type Example struct {
	Text  string
	Label string
	// Group, when set, keeps examples together in cross-validation (the
	// writer of a complaint): a fold is then text nobody in training wrote.
	Group string
}

// TrainOptions control training. The zero value of a field means its
// default (see DefaultTrainOptions).
type TrainOptions struct {
	Seed         uint64          `json:"seed"`
	Epochs       int             `json:"epochs"`
	L2           float64         `json:"l2"`
	LearningRate float64         `json:"learning_rate"`
	MinDF        int             `json:"min_df"`
	MaxFeatures  int             `json:"max_features"`
	Features     features.Config `json:"features"`
	// Lexicon adds cross-lingual concept features (stored in the model).
	Lexicon []triage.Concept `json:"-"`
	// TaxonomyHash is recorded in the model when the labels are the
	// taxonomy's scenarios.
	TaxonomyHash string `json:"-"`
}

// DefaultTrainOptions are the options the shipped model is trained with.
var DefaultTrainOptions = TrainOptions{
	Seed:         1,
	Epochs:       20,
	L2:           1e-5,
	LearningRate: 0.5,
	MinDF:        2,
	MaxFeatures:  400_000,
	Features:     DefaultFeatures,
}

func (o TrainOptions) withDefaults() TrainOptions {
	d := DefaultTrainOptions
	if o.Seed == 0 {
		o.Seed = d.Seed
	}
	if o.Epochs == 0 {
		o.Epochs = d.Epochs
	}
	if o.L2 == 0 {
		o.L2 = d.L2
	}
	if o.LearningRate == 0 {
		o.LearningRate = d.LearningRate
	}
	if o.MinDF == 0 {
		o.MinDF = d.MinDF
	}
	if o.MaxFeatures == 0 {
		o.MaxFeatures = d.MaxFeatures
	}
	if o.Features == (features.Config{}) {
		o.Features = d.Features
	}
	return o
}

// Errors Train returns for unusable data.
var (
	ErrNoData     = triage.NewError(triage.EINVALID, "no training examples")
	ErrFewLabels  = triage.NewError(triage.EINVALID, "training needs at least two labels")
	ErrEmptyText  = triage.NewError(triage.EINVALID, "empty text")
	ErrEmptyLabel = triage.NewError(triage.EINVALID, "empty label")
)

var scratchPool = sync.Pool{New: func() any { return newScratch() }}

// Train fits a model on train and calibrates its probabilities on dev
// (temperature scaling). Without dev examples the temperature stays 1.
// Training is deterministic for a given seed and data order.
func Train(train, dev []Example, opts TrainOptions) (*Model, error) {
	start := time.Now()
	opts = opts.withDefaults()
	if len(train) == 0 {
		return nil, fmt.Errorf("train: %w", ErrNoData)
	}
	for i, ex := range append(append([]Example{}, train...), dev...) {
		if strings.TrimSpace(ex.Text) == "" {
			return nil, fmt.Errorf("train: example %d: %w", i+1, ErrEmptyText)
		}
		if strings.TrimSpace(ex.Label) == "" {
			return nil, fmt.Errorf("train: example %d: %w", i+1, ErrEmptyLabel)
		}
	}
	labelIndex := map[string]int{}
	for _, ex := range train {
		labelIndex[ex.Label] = 0
	}
	if len(labelIndex) < 2 {
		return nil, fmt.Errorf("train: %w (got %d)", ErrFewLabels, len(labelIndex))
	}
	labels := make([]string, 0, len(labelIndex))
	for l := range labelIndex {
		labels = append(labels, l)
	}
	sort.Strings(labels)
	for i, l := range labels {
		labelIndex[l] = i
	}

	texts := make([]string, len(train))
	for i, ex := range train {
		texts[i] = ex.Text
	}
	vec := fitVectorizer(opts.Features, opts.Lexicon, texts, opts.MinDF, opts.MaxFeatures)
	xs, ys := vectorizeAll(vec, train, labelIndex)

	m := &Model{vec: vec, bias: make([]float32, len(labels)), w: make([]float32, len(vec.idf)*len(labels))}
	m.Meta = Meta{
		FormatVersion: FormatVersion,
		Labels:        labels,
		TaxonomyHash:  opts.TaxonomyHash,
		DataHash:      hashExamples(train, dev),
		Features:      opts.Features,
		Lexicon:       opts.Lexicon,
		Options:       opts,
	}
	loss := m.sgd(xs, ys, opts)

	met := &m.Meta.Metrics
	met.Examples, met.Features, met.FinalLoss = len(train), len(vec.idf), loss
	met.TrainAccuracy = m.accuracy(xs, ys, 1)
	met.Temperature = 1
	if len(dev) > 0 {
		dxs, dys := vectorizeAll(vec, dev, labelIndex)
		met.DevExamples = len(dev)
		met.DevNLLRaw = m.nll(dxs, dys, 1)
		met.Temperature = m.fitTemperature(dxs, dys)
		met.DevNLL = m.nll(dxs, dys, met.Temperature)
		met.DevAccuracy = m.accuracy(dxs, dys, met.Temperature)
	}
	met.TrainSeconds = time.Since(start).Seconds()
	m.Meta.TrainedAt = time.Now().UTC().Truncate(time.Second)
	m.Meta.Version = modelVersion(m.Meta)
	return m, nil
}

// vectorizeAll turns examples into vectors; labels unknown to the model
// get class -1 (they count as errors in accuracy and are skipped in NLL).
func vectorizeAll(vec *vectorizer, exs []Example, labelIndex map[string]int) ([]Vector, []int) {
	xs := make([]Vector, len(exs))
	ys := make([]int, len(exs))
	var wg sync.WaitGroup
	const workers = 4
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			s := newScratch()
			for i := w; i < len(exs); i += workers {
				xs[i] = vec.vectorize(exs[i].Text, s)
				if k, ok := labelIndex[exs[i].Label]; ok {
					ys[i] = k
				} else {
					ys[i] = -1
				}
			}
		}(w)
	}
	wg.Wait()
	return xs, ys
}

// sgd minimises the L2-regularised cross-entropy with stochastic
// gradient descent (Bottou's schedule, weights kept as scale × V so the
// decay costs O(1) per step). It returns the last epoch's mean loss.
func (m *Model) sgd(xs []Vector, ys []int, o TrainOptions) float64 {
	k := len(m.bias)
	rng := rand.New(rand.NewPCG(o.Seed, 0x7269616765))
	order := make([]int, len(xs))
	for i := range order {
		order[i] = i
	}
	scale := 1.0
	z := make([]float64, k)
	g := make([]float32, k)
	t := 0.0
	var loss float64
	for epoch := 0; epoch < o.Epochs; epoch++ {
		rng.Shuffle(len(order), func(a, b int) { order[a], order[b] = order[b], order[a] })
		loss = 0
		for _, i := range order {
			x, y := xs[i], ys[i]
			if y < 0 {
				continue
			}
			eta := o.LearningRate / (1 + o.LearningRate*o.L2*t)
			t++
			// forward
			for c := range z {
				z[c] = 0
			}
			for j, f := range x.Index {
				v := float64(x.Value[j])
				row := m.w[int(f)*k : int(f)*k+k]
				for c := range row {
					z[c] += v * float64(row[c])
				}
			}
			for c := range z {
				z[c] = z[c]*scale + float64(m.bias[c])
			}
			p := softmax(z, 1)
			loss -= math.Log(math.Max(p[y], 1e-12))
			// backward
			scale *= 1 - eta*o.L2
			for c := range g {
				gc := p[c]
				if c == y {
					gc--
				}
				g[c] = float32(eta * gc / scale)
				m.bias[c] -= float32(eta * gc)
			}
			for j, f := range x.Index {
				v := x.Value[j]
				row := m.w[int(f)*k : int(f)*k+k]
				for c := range row {
					row[c] -= v * g[c]
				}
			}
			if scale < 1e-6 {
				m.rescale(scale)
				scale = 1
			}
		}
		loss /= float64(len(xs))
	}
	m.rescale(scale)
	return loss
}

func (m *Model) rescale(s float64) {
	f := float32(s)
	for i := range m.w {
		m.w[i] *= f
	}
}

func (m *Model) accuracy(xs []Vector, ys []int, temperature float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	right := 0
	z := make([]float64, len(m.bias))
	for i, x := range xs {
		m.logits(x, z)
		best := 0
		for c := range z {
			if z[c] > z[best] {
				best = c
			}
		}
		if best == ys[i] {
			right++
		}
	}
	return float64(right) / float64(len(xs))
}

// nll is the mean negative log-likelihood at a temperature.
func (m *Model) nll(xs []Vector, ys []int, temperature float64) float64 {
	var sum float64
	n := 0
	z := make([]float64, len(m.bias))
	for i, x := range xs {
		if ys[i] < 0 {
			continue
		}
		p := softmax(m.logits(x, z), temperature)
		sum -= math.Log(math.Max(p[ys[i]], 1e-12))
		n++
	}
	if n == 0 {
		return 0
	}
	return sum / float64(n)
}

// fitTemperature finds the temperature minimising dev NLL by golden-
// section search over log T in [-3, 3].
func (m *Model) fitTemperature(xs []Vector, ys []int) float64 {
	logits := make([][]float64, len(xs))
	for i, x := range xs {
		logits[i] = m.logits(x, nil)
	}
	f := func(logT float64) float64 {
		T := math.Exp(logT)
		var sum float64
		for i, z := range logits {
			if ys[i] < 0 {
				continue
			}
			sum -= math.Log(math.Max(softmax(z, T)[ys[i]], 1e-12))
		}
		return sum
	}
	a, b := -3.0, 3.0
	phi := (math.Sqrt(5) - 1) / 2
	c, d := b-phi*(b-a), a+phi*(b-a)
	fc, fd := f(c), f(d)
	for i := 0; i < 60; i++ {
		if fc < fd {
			b, d, fd = d, c, fc
			c = b - phi*(b-a)
			fc = f(c)
		} else {
			a, c, fc = c, d, fd
			d = a + phi*(b-a)
			fd = f(d)
		}
	}
	return math.Exp((a + b) / 2)
}

func hashExamples(sets ...[]Example) string {
	h := sha256.New()
	var n [8]byte
	for _, set := range sets {
		binary.LittleEndian.PutUint64(n[:], uint64(len(set)))
		h.Write(n[:])
		for _, ex := range set {
			for _, s := range []string{ex.Label, ex.Text} {
				binary.LittleEndian.PutUint64(n[:], uint64(len(s)))
				h.Write(n[:])
				h.Write([]byte(s))
			}
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

func modelVersion(m Meta) string {
	b, _ := json.Marshal(struct {
		Labels   []string
		Data     string
		Taxonomy string
		Options  TrainOptions
		Lexicon  []triage.Concept
	}{m.Labels, m.DataHash, m.TaxonomyHash, m.Options, m.Lexicon})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:6])
}
