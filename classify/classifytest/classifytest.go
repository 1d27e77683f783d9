// Package classifytest gives tests of other packages the default
// pipeline: the scenario and severity models trained once per test binary
// on the embedded train split (calibrated on dev), with lingua's
// low-accuracy detector for a fast start.
package classifytest

import (
	"sync"
	"testing"

	"github.com/triagedesk/triage"
	"github.com/triagedesk/triage/classify"
	"github.com/triagedesk/triage/datasets"
)

var (
	once sync.Once
	tax  *triage.Taxonomy
	pipe *classify.Classifier
	err  error
)

// Default returns the taxonomy and a classifier trained on it. Callers
// may copy the classifier to change its settings, not mutate it.
func Default(t testing.TB) (*triage.Taxonomy, *classify.Classifier) {
	t.Helper()
	once.Do(func() { tax, pipe, err = train() })
	if err != nil {
		t.Fatal(err)
	}
	return tax, pipe
}

func train() (*triage.Taxonomy, *classify.Classifier, error) {
	tax, err := datasets.LoadTaxonomy()
	if err != nil {
		return nil, nil, err
	}
	lex, err := datasets.LoadLexicon()
	if err != nil {
		return nil, nil, err
	}
	train, err := datasets.LoadComplaints(datasets.Train, tax)
	if err != nil {
		return nil, nil, err
	}
	dev, err := datasets.LoadComplaints(datasets.Dev, tax)
	if err != nil {
		return nil, nil, err
	}
	b, err := classify.TrainTriage(train, dev, tax, classify.TrainOptions{Lexicon: lex.Concepts})
	if err != nil {
		return nil, nil, err
	}
	det, err := classify.NewDetector(classify.DetectorConfig{LowAccuracy: true})
	if err != nil {
		return nil, nil, err
	}
	c := classify.NewClassifier(det, b.Scenario, tax)
	c.Severity = b.Severity
	return tax, c, nil
}
