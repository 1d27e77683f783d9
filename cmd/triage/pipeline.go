package main

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
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/triagedesk/triage"
	"github.com/triagedesk/triage/classify"
	"github.com/triagedesk/triage/datasets"
)

// modelFlags are the flags (and environment variables) that choose the
// classifier: the model file and the language detector.
type modelFlags struct {
	model      string // TRIAGE_MODEL
	dataDir    string // TRIAGE_DATA_DIR
	languages  string // TRIAGE_LANGUAGES
	langLowAcc bool   // TRIAGE_LANG_ACCURACY=low
	noSeverity bool
}

func (a *app) addModelFlags(cmd *cobra.Command, f *modelFlags) {
	cmd.Flags().StringVar(&f.model, "model", a.getenv("TRIAGE_MODEL"), "trained model file (env TRIAGE_MODEL; default: trained from the embedded datasets and cached)")
	cmd.Flags().StringVar(&f.dataDir, "data-dir", a.getenv("TRIAGE_DATA_DIR"), "where the default model is cached (env TRIAGE_DATA_DIR; default: the user cache directory)")
	cmd.Flags().StringVar(&f.languages, "languages", a.getenv("TRIAGE_LANGUAGES"), "comma-separated ISO 639-1 codes to detect (env TRIAGE_LANGUAGES; default: "+strings.Join(classify.DefaultLanguages, ",")+")")
	cmd.Flags().BoolVar(&f.langLowAcc, "lang-low-accuracy", strings.EqualFold(a.getenv("TRIAGE_LANG_ACCURACY"), "low"), "low-accuracy language models: ~20x less memory, weaker on short text (env TRIAGE_LANG_ACCURACY=low)")
}

// dataDir returns the directory for cached models and local state.
func (f *modelFlags) dir() (string, error) {
	if f.dataDir != "" {
		return f.dataDir, nil
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no data directory: set TRIAGE_DATA_DIR (%w)", err)
	}
	return filepath.Join(d, "triage"), nil
}

// classifier builds the whole classification pipeline.
func (a *app) classifier(ctx context.Context, f *modelFlags) (*classify.Classifier, error) {
	tax, err := datasets.LoadTaxonomy()
	if err != nil {
		return nil, err
	}
	var b classify.Bundle
	if f.model != "" {
		if b, err = classify.Load(f.model); err != nil {
			return nil, err
		}
	} else if b, err = a.defaultBundle(ctx, f, tax); err != nil {
		return nil, err
	}
	det, err := a.detector(f)
	if err != nil {
		return nil, err
	}
	return a.pipeline(det, b, tax, f), nil
}

// detector builds the language detector the flags ask for.
func (a *app) detector(f *modelFlags) (*classify.Detector, error) {
	cfg := classify.DetectorConfig{LowAccuracy: f.langLowAcc}
	if f.languages != "" {
		for _, l := range strings.Split(f.languages, ",") {
			cfg.Languages = append(cfg.Languages, strings.TrimSpace(l))
		}
	}
	start := time.Now()
	det, err := classify.NewDetector(cfg)
	if err != nil {
		return nil, err
	}
	a.logger.Debug("language detector ready", "languages", len(det.Languages()), "low_accuracy", cfg.LowAccuracy, "took", time.Since(start).Round(time.Millisecond))
	return det, nil
}

// pipeline wires a detector and a model bundle into a classifier.
func (a *app) pipeline(det *classify.Detector, b classify.Bundle, tax *triage.Taxonomy, f *modelFlags) *classify.Classifier {
	c := classify.NewClassifier(det, b.Scenario, tax)
	if c.Taxonomy != nil && !f.noSeverity {
		c.Severity = b.Severity
	}
	return c
}

// defaultBundle returns the model trained on the embedded datasets
// (train split, calibrated on dev), from the cache when the data, the
// lexicon, the options and the format are unchanged.
func (a *app) defaultBundle(ctx context.Context, f *modelFlags, tax *triage.Taxonomy) (classify.Bundle, error) {
	dir, err := f.dir()
	if err != nil {
		return classify.Bundle{}, err
	}
	key, err := defaultModelKey()
	if err != nil {
		return classify.Bundle{}, err
	}
	path := filepath.Join(dir, "models", "default-"+key+".model")
	if b, err := classify.Load(path); err == nil {
		a.logger.Debug("default model from cache", "path", path)
		return b, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		a.logger.Warn("cached default model unusable; retraining", "path", path, "err", err)
	}
	if err := ctx.Err(); err != nil {
		return classify.Bundle{}, err
	}
	b, err := trainDefault(tax)
	if err != nil {
		return classify.Bundle{}, err
	}
	a.logger.Info("trained the default model from the embedded datasets",
		"version", b.Scenario.Meta.Version, "dev_accuracy", round(b.Scenario.Meta.Metrics.DevAccuracy),
		"seconds", round(b.Scenario.Meta.Metrics.TrainSeconds), "cache", path)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		a.logger.Warn("cannot cache the default model", "err", err)
		return b, nil
	}
	if err := b.Save(path); err != nil {
		a.logger.Warn("cannot cache the default model", "err", err)
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

// trainDefault trains the shipped model from the embedded datasets.
func trainDefault(tax *triage.Taxonomy) (classify.Bundle, error) {
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

// defaultModelKey identifies the default model's inputs: the embedded
// files it is trained from, the training options and the format.
func defaultModelKey() (string, error) {
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
