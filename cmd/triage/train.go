package main

import (
	"fmt"
	"os"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/triagedesk/triage"
	"github.com/triagedesk/triage/classify"
	"github.com/triagedesk/triage/datasets"
)

type trainFlags struct {
	data          []string
	dev           string
	textField     string
	labelField    string
	severityField string
	out           string
	seed          uint64
	epochs        int
	l2            float64
	noLexicon     bool
	lexicon       string
}

func (a *tool) trainCommand() *cobra.Command {
	var f trainFlags
	cmd := &cobra.Command{
		Use:   "train --data FILE [--data FILE…] [--dev FILE] --out MODEL",
		Short: "Train a scenario classifier from labelled JSONL or CSV",
		Long: `Train a scenario classifier from labelled JSONL or CSV files.

The text and label come from --text-field and --label-field, so public
datasets can be used as they are. Probabilities are calibrated on --dev, or,
without it, on a stratified 10% held out of the training data. When the
labels are the taxonomy's scenarios and rows carry a severity 1..5, a
severity model is trained too and stored in the same file.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.train(cmd, f) },
	}
	fl := cmd.Flags()
	fl.StringArrayVar(&f.data, "data", nil, "training file, JSONL or CSV (repeatable)")
	fl.StringVar(&f.dev, "dev", "", "calibration file (default: 10% held out of --data)")
	fl.StringVar(&f.textField, "text-field", "text", "field holding the text")
	fl.StringVar(&f.labelField, "label-field", "scenario", "field holding the label")
	fl.StringVar(&f.severityField, "severity-field", "severity", "field holding severity 1..5 (taxonomy labels only)")
	fl.StringVar(&f.out, "out", "", "model file to write")
	fl.Uint64Var(&f.seed, "seed", classify.DefaultTrainOptions.Seed, "random seed (training is deterministic for a seed)")
	fl.IntVar(&f.epochs, "epochs", classify.DefaultTrainOptions.Epochs, "passes over the training data")
	fl.Float64Var(&f.l2, "l2", classify.DefaultTrainOptions.L2, "L2 regularisation strength")
	fl.BoolVar(&f.noLexicon, "no-lexicon", false, "do not add the cross-lingual concept features")
	fl.StringVar(&f.lexicon, "lexicon", "", "concept lexicon YAML (default: the embedded one)")
	cmd.MarkFlagRequired("data")
	cmd.MarkFlagRequired("out")
	return cmd
}

func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return &usageError{fmt.Errorf("%s takes no arguments, got %q", cmd.Name(), args[0])}
	}
	return nil
}

func (a *tool) train(cmd *cobra.Command, f trainFlags) error {
	opt := datasets.TableOptions{TextField: f.textField, LabelField: f.labelField}
	var rows []datasets.Row
	for _, path := range f.data {
		rs, err := readTable(path, opt)
		if err != nil {
			return err
		}
		rows = append(rows, rs...)
	}
	if len(rows) == 0 {
		return fmt.Errorf("no training rows in %v", f.data)
	}
	var dev []datasets.Row
	if f.dev != "" {
		var err error
		if dev, err = readTable(f.dev, opt); err != nil {
			return err
		}
	} else {
		rows, dev = classify.HoldOut(rows, 0.10, f.seed, func(r datasets.Row) string { return r.Label },
			func(r datasets.Row) string { return r.ID + "/" + strconv.Itoa(r.Line) })
	}

	opts := classify.DefaultTrainOptions
	opts.Seed, opts.Epochs, opts.L2 = f.seed, f.epochs, f.l2
	if !f.noLexicon {
		lex, err := a.lexicon(f.lexicon)
		if err != nil {
			return err
		}
		opts.Lexicon = lex.Concepts
	}
	tax, err := datasets.LoadTaxonomy()
	if err != nil {
		return err
	}
	b, err := classify.TrainLabelled(rowComplaints(rows), rowComplaints(dev), tax, opts, f.labelField == "scenario")
	if err != nil {
		return err
	}
	if err := b.Save(f.out); err != nil {
		return err
	}
	met := b.Scenario.Meta.Metrics
	fmt.Fprintf(cmd.OutOrStdout(), "model %s → %s\n", b.Scenario.Meta.Version, f.out)
	fmt.Fprintf(cmd.OutOrStdout(), "  %d examples, %d labels, %d features, %.1fs\n", met.Examples, len(b.Scenario.Labels()), met.Features, met.TrainSeconds)
	fmt.Fprintf(cmd.OutOrStdout(), "  train accuracy %.3f, dev accuracy %.3f on %d, temperature %.2f (dev NLL %.3f → %.3f)\n",
		met.TrainAccuracy, met.DevAccuracy, met.DevExamples, met.Temperature, met.DevNLLRaw, met.DevNLL)
	if b.Severity != nil {
		sm := b.Severity.Meta
		fmt.Fprintf(cmd.OutOrStdout(), "  severity model: cross-validated accuracy %.3f, under-triage of levels 4–5 %.3f (escalate at P(≥4) %.3g, P(5) %.3g)\n",
			sm.Metrics.DevAccuracy, sm.Metrics.DevUnderTriage, sm.Escalate.Four, sm.Escalate.Five)
	}
	return nil
}

func (a *tool) lexicon(path string) (*triage.Lexicon, error) {
	if path == "" {
		return datasets.LoadLexicon()
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return datasets.ParseLexicon(path, data)
}

func readTable(path string, opt datasets.TableOptions) ([]datasets.Row, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return datasets.ReadTable(f, path, opt)
}

// rowComplaints carries labelled rows as complaints (the label in
// Scenario) for classify.TrainLabelled.
func rowComplaints(rows []datasets.Row) []triage.Complaint {
	out := make([]triage.Complaint, len(rows))
	for i, r := range rows {
		out[i] = triage.Complaint{ID: r.ID, Text: r.Text, Lang: r.Lang, Scenario: r.Label, Severity: r.Severity, Channel: r.Channel}
	}
	return out
}
