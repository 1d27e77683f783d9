package classify

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"github.com/triagedesk/triage"
	"github.com/triagedesk/triage/datasets"
)

var (
	fixtureOnce sync.Once
	fixture     struct {
		tax             *triage.Taxonomy
		train, dev, tst []triage.Complaint
		err             error
	}
)

// loadFixture reads the embedded datasets once for all tests.
func loadFixture(t testing.TB) (tax *triage.Taxonomy, train, dev, test []triage.Complaint) {
	t.Helper()
	fixtureOnce.Do(func() {
		f := &fixture
		if f.tax, f.err = datasets.LoadTaxonomy(); f.err != nil {
			return
		}
		if f.train, f.err = datasets.LoadComplaints(datasets.Train, f.tax); f.err != nil {
			return
		}
		if f.dev, f.err = datasets.LoadComplaints(datasets.Dev, f.tax); f.err != nil {
			return
		}
		f.tst, f.err = datasets.LoadComplaints(datasets.Test, f.tax)
	})
	if fixture.err != nil {
		t.Fatal(fixture.err)
	}
	return fixture.tax, fixture.train, fixture.dev, fixture.tst
}

func scenarioExamples(cs []triage.Complaint) []Example {
	out := make([]Example, len(cs))
	for i, c := range cs {
		out[i] = Example{Text: c.Text, Label: c.Scenario}
	}
	return out
}

func TestTrainIsDeterministic(t *testing.T) {
	_, train, dev, _ := loadFixture(t)
	tr, dv := scenarioExamples(train[:400]), scenarioExamples(dev[:100])
	a, err := Train(tr, dv, TrainOptions{Seed: 7, Epochs: 5})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Train(tr, dv, TrainOptions{Seed: 7, Epochs: 5})
	c, _ := Train(tr, dv, TrainOptions{Seed: 8, Epochs: 5})
	if a.Meta.Version != b.Meta.Version {
		t.Errorf("same inputs, versions %s and %s", a.Meta.Version, b.Meta.Version)
	}
	if !equalFloats(a.w, b.w) || a.Meta.Metrics.Temperature != b.Meta.Metrics.Temperature {
		t.Error("same seed gave different weights")
	}
	if equalFloats(a.w, c.w) {
		t.Error("different seeds gave identical weights")
	}
	if a.Meta.Version == c.Meta.Version {
		t.Error("different seeds share a version")
	}
}

func equalFloats(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestTrainConverges(t *testing.T) {
	_, train, _, _ := loadFixture(t)
	tr := scenarioExamples(train)
	one, _ := Train(tr, nil, TrainOptions{Epochs: 1})
	many, err := Train(tr, nil, TrainOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !(many.Meta.Metrics.FinalLoss < one.Meta.Metrics.FinalLoss/2) {
		t.Errorf("loss after 1 epoch %.3f, after %d %.3f: not converging", one.Meta.Metrics.FinalLoss, DefaultTrainOptions.Epochs, many.Meta.Metrics.FinalLoss)
	}
	if many.Meta.Metrics.TrainAccuracy < 0.97 {
		t.Errorf("train accuracy %.3f: the model cannot fit its own data", many.Meta.Metrics.TrainAccuracy)
	}
}

// TestCalibration: temperature scaling must lower the dev NLL and the
// expected calibration error on held-out data.
func TestCalibration(t *testing.T) {
	_, train, dev, test := loadFixture(t)
	m, err := Train(scenarioExamples(train), scenarioExamples(dev), TrainOptions{})
	if err != nil {
		t.Fatal(err)
	}
	met := m.Meta.Metrics
	if met.Temperature == 1 || met.DevNLL > met.DevNLLRaw {
		t.Errorf("temperature %.3f, dev NLL %.3f → %.3f", met.Temperature, met.DevNLLRaw, met.DevNLL)
	}
	ece := func(temp float64) float64 {
		const bins = 10
		var conf, acc [bins]float64
		var n [bins]int
		s := newScratch()
		for _, c := range test {
			p := softmax(m.logits(m.vec.vectorize(c.Text, s), nil), temp)
			best := 0
			for k := range p {
				if p[k] > p[best] {
					best = k
				}
			}
			b := min(int(p[best]*bins), bins-1)
			conf[b] += p[best]
			if m.Meta.Labels[best] == c.Scenario {
				acc[b]++
			}
			n[b]++
		}
		var e float64
		for b := range n {
			if n[b] > 0 {
				e += math.Abs(conf[b]-acc[b]) / float64(len(test))
			}
		}
		return e
	}
	raw, cal := ece(1), ece(met.Temperature)
	if cal >= raw {
		t.Errorf("test ECE %.3f uncalibrated, %.3f calibrated: calibration did not help", raw, cal)
	}
	t.Logf("temperature %.3f; test ECE %.3f → %.3f", met.Temperature, raw, cal)
}

func TestTrainErrors(t *testing.T) {
	ok := []Example{{Text: "my parcel never came", Label: "order"}, {Text: "refund me now", Label: "refund"}}
	tests := []struct {
		name  string
		train []Example
		dev   []Example
		want  error
	}{
		{"no data", nil, nil, ErrNoData},
		{"one label", []Example{{Text: "a b c", Label: "x"}, {Text: "d e f", Label: "x"}}, nil, ErrFewLabels},
		{"empty text", append(ok, Example{Text: "  ", Label: "order"}), nil, ErrEmptyText},
		{"empty label", append(ok, Example{Text: "hello there", Label: ""}), nil, ErrEmptyLabel},
		{"empty dev text", ok, []Example{{Text: "", Label: "order"}}, ErrEmptyText},
	}
	for _, tt := range tests {
		if _, err := Train(tt.train, tt.dev, TrainOptions{}); !errors.Is(err, tt.want) {
			t.Errorf("%s: err = %v, want %v", tt.name, err, tt.want)
		}
	}
	// A dev label the model never saw is not an error: it counts as wrong.
	m, err := Train(ok, []Example{{Text: "where is my parcel", Label: "unseen"}}, TrainOptions{MinDF: 1})
	if err != nil || m.Meta.Metrics.DevAccuracy != 0 {
		t.Errorf("unseen dev label: %v, dev accuracy %v", err, m.Meta.Metrics.DevAccuracy)
	}
}

func TestModelFileRoundTrip(t *testing.T) {
	_, train, dev, test := loadFixture(t)
	b, err := TrainTriage(train[:500], dev[:100], fixture.tax, TrainOptions{Epochs: 5})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "m.model")
	if err := b.Save(path); err != nil {
		t.Fatal(err)
	}
	got, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.Severity == nil || got.Scenario.Meta.Version != b.Scenario.Meta.Version || got.Scenario.Meta.TaxonomyHash != fixture.tax.Hash {
		t.Fatalf("metadata lost: %+v", got.Scenario.Meta)
	}
	if got.Severity.Meta.Escalate != b.Severity.Meta.Escalate {
		t.Error("severity decision threshold lost")
	}
	for _, c := range test[:50] {
		p, q := b.Scenario.Predict(c.Text), got.Scenario.Predict(c.Text)
		if p.Top() != q.Top() {
			t.Fatalf("%s: prediction %v before saving, %v after", c.ID, p.Top(), q.Top())
		}
		l1, _ := b.Severity.Level(c.Text)
		l2, _ := got.Severity.Level(c.Text)
		if l1 != l2 {
			t.Fatalf("%s: severity %d before saving, %d after", c.ID, l1, l2)
		}
	}
}

func TestReadBundleRejects(t *testing.T) {
	_, train, _, _ := loadFixture(t)
	m, err := Train(scenarioExamples(train[:200]), nil, TrainOptions{Epochs: 2})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := (Bundle{Scenario: m}).WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	good := buf.Bytes()
	otherVersion := append([]byte{}, good...)
	binary.LittleEndian.PutUint32(otherVersion[len(modelMagic):], FormatVersion+1)
	flipped := append([]byte{}, good...)
	flipped[len(flipped)/2] ^= 0xff
	tests := []struct {
		name string
		data []byte
		want error
	}{
		{"empty", nil, ErrNotModel},
		{"not a model", []byte(`{"labels":["a","b"]}`), ErrNotModel},
		{"other format version", otherVersion, ErrModelVersion},
		{"truncated", good[:len(good)/3], ErrModelCorrupt},
		{"bit flip", flipped, ErrModelCorrupt},
	}
	for _, tt := range tests {
		_, err := ReadBundle(bytes.NewReader(tt.data))
		if !errors.Is(err, tt.want) {
			t.Errorf("%s: err = %v, want %v", tt.name, err, tt.want)
		}
	}
	if _, err := ReadBundle(bytes.NewReader(otherVersion)); err == nil || !bytes.Contains([]byte(err.Error()), []byte("format "+strconv.Itoa(FormatVersion+1))) {
		t.Errorf("version error does not name the file's format: %v", err)
	}
}
