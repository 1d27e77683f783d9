package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/triagedesk/triage"
	"github.com/triagedesk/triage/classify"
	"github.com/triagedesk/triage/datasets"
)

// Bundle returns the classifier models: TRIAGE_MODEL, or the default
// trained from the embedded datasets (cached in the data directory).
func (a *App) Bundle(ctx context.Context) (classify.Bundle, error) {
	if a.Config.Model != "" {
		return classify.Load(a.Config.Model)
	}
	return a.defaultBundle(ctx)
}

// defaultBundle returns the model trained on the embedded datasets
// (train split, calibrated on dev), from the cache when the data, the
// lexicon, the options and the format are unchanged.
func (a *App) defaultBundle(ctx context.Context) (classify.Bundle, error) {
	dir, err := a.Dir()
	if err != nil {
		return classify.Bundle{}, err
	}
	key, err := DefaultModelKey()
	if err != nil {
		return classify.Bundle{}, err
	}
	path := filepath.Join(dir, "models", "default-"+key+".model")
	if b, err := classify.Load(path); err == nil {
		a.Logger.Debug("default model from cache", "path", path)
		return b, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		a.Logger.Warn("cached default model unusable; retraining", "path", path, "err", err)
	}
	if err := ctx.Err(); err != nil {
		return classify.Bundle{}, err
	}
	b, err := TrainDefault(a.Taxonomy)
	if err != nil {
		return classify.Bundle{}, err
	}
	a.Logger.Info("trained the default model from the embedded datasets",
		"version", b.Scenario.Meta.Version, "dev_accuracy", round(b.Scenario.Meta.Metrics.DevAccuracy),
		"seconds", round(b.Scenario.Meta.Metrics.TrainSeconds), "cache", path)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		a.Logger.Warn("cannot cache the default model", "err", err)
		return b, nil
	}
	if err := b.Save(path); err != nil {
		a.Logger.Warn("cannot cache the default model", "err", err)
		return b, nil
	}
	// Models trained from older data are never used again.
	old, _ := filepath.Glob(filepath.Join(dir, "models", "default-*.model"))
	for _, o := range old {
		if o != path {
			os.Remove(o)
		}
	}
	return b, nil
}

// TrainDefault trains the shipped model from the embedded datasets.
func TrainDefault(tax *triage.Taxonomy) (classify.Bundle, error) {
	train, err := datasets.LoadComplaints(datasets.Train, tax)
	if err != nil {
		return classify.Bundle{}, err
	}
	dev, err := datasets.LoadComplaints(datasets.Dev, tax)
	if err != nil {
		return classify.Bundle{}, err
	}
	lex, err := datasets.LoadLexicon()
	if err != nil {
		return classify.Bundle{}, err
	}
	opts := classify.DefaultTrainOptions
	opts.Lexicon = lex.Concepts
	return classify.TrainTriage(train, dev, tax, opts)
}

// DefaultModelKey identifies the default model's inputs: the embedded
// files it is trained from, the training options and the format.
func DefaultModelKey() (string, error) {
	h := sha256.New()
	for _, name := range []string{"taxonomy.yaml", "lexicon.yaml", "complaints/train.jsonl", "complaints/dev.jsonl"} {
		data, err := fs.ReadFile(datasets.FS(), name)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s %d\n", name, len(data))
		h.Write(data)
	}
	opts, _ := json.Marshal(classify.DefaultTrainOptions)
	fmt.Fprintf(h, "options %s format %d", opts, classify.FormatVersion)
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}

func round(x float64) float64 { return float64(int(x*1000+0.5)) / 1000 }
