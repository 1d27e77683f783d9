package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/triagedesk/triage"
	"github.com/triagedesk/triage/classify"
	"github.com/triagedesk/triage/classify/cascade"
	"github.com/triagedesk/triage/datasets"
	"github.com/triagedesk/triage/eval"
	"github.com/triagedesk/triage/internal/app"
)

type evalFlags struct {
	data       []string
	train      []string
	dev        string
	folds      int
	seed       uint64
	textField  string
	labelField string
	out        string
	compare    bool
	maxDrop    float64
}

func (a *tool) evalCommand() *cobra.Command {
	var f evalFlags
	cmd := &cobra.Command{
		Use:   "eval [--model MODEL | --train FILE | --folds K] [--data FILE] [--out DIR]",
		Short: "Evaluate routing quality: metrics, reports, cross-validation, comparisons",
		Long: `Evaluate a classifier on labelled data and write reports.

  triage eval                                  the default model on the embedded test split
  triage eval --model M --data test.jsonl      a trained model on your data
  triage eval --train train.jsonl --data test.jsonl   train, then evaluate
  triage eval --folds 5 --data all.jsonl       stratified 5-fold cross-validation
  triage eval --classifier cascade             the model, asking the LLM when it abstains
  triage eval --compare BASE.json NEW.json --max-drop 0.02
                                               exit 3 when accuracy, macro-F1 or
                                               routing accuracy fell by more than 0.02

--out DIR writes report.json, report.md, report.html, predictions.jsonl and
errors.jsonl. A one-screen summary goes to stdout; progress to stderr when it
is a terminal.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if f.compare {
				return a.compareReports(cmd, args, f.maxDrop)
			}
			if len(args) > 0 {
				return &usageError{fmt.Errorf("unexpected argument %q (did you mean --compare?)", args[0])}
			}
			return a.evaluate(cmd.Context(), f)
		},
	}
	a.cfg.Flags(cmd.Flags(), app.GroupClassifier, app.GroupLLM, app.GroupLog)
	cmd.AddCommand(a.evalRetrievalCommand())
	fl := cmd.Flags()
	fl.StringArrayVar(&f.data, "data", nil, "labelled JSONL or CSV to evaluate on (repeatable; default: the embedded test split, or all splits with --folds)")
	fl.StringArrayVar(&f.train, "train", nil, "train a model on this file first (repeatable)")
	fl.StringVar(&f.dev, "dev", "", "with --train: calibration file (default: 10% held out)")
	fl.IntVar(&f.folds, "folds", 0, "stratified k-fold cross-validation over --data")
	fl.Uint64Var(&f.seed, "seed", classify.DefaultTrainOptions.Seed, "seed for training and fold assignment")
	fl.StringVar(&f.textField, "text-field", "text", "field holding the text")
	fl.StringVar(&f.labelField, "label-field", "scenario", "field holding the label")
	fl.StringVar(&f.out, "out", "", "directory for report.json, report.md, report.html, predictions.jsonl, errors.jsonl")
	fl.BoolVar(&f.compare, "compare", false, "compare two report.json files given as arguments: BASE NEW")
	fl.Float64Var(&f.maxDrop, "max-drop", 0.02, "with --compare: largest allowed fall of accuracy, macro-F1 or routing accuracy")
	return cmd
}

func (a *tool) compareReports(cmd *cobra.Command, args []string, maxDrop float64) error {
	if len(args) != 2 {
		return &usageError{errors.New("--compare needs two report files: BASE.json NEW.json")}
	}
	base, err := eval.ReadReport(args[0])
	if err != nil {
		return err
	}
	next, err := eval.ReadReport(args[1])
	if err != nil {
		return err
	}
	c := eval.Compare(base, next, maxDrop)
	if err := c.Write(cmd.OutOrStdout()); err != nil {
		return err
	}
	if len(c.Regressions) > 0 {
		return &exitError{code: 3, err: fmt.Errorf("regression: %s fell by more than %.3f", strings.Join(c.Regressions, ", "), maxDrop)}
	}
	return nil
}

// evaluate runs one of the three modes and writes the reports.
func (a *tool) evaluate(ctx context.Context, f evalFlags) error {
	modes := 0
	for _, on := range []bool{a.cfg.Model != "", len(f.train) > 0, f.folds > 0} {
		if on {
			modes++
		}
	}
	if modes > 1 {
		return &usageError{errors.New("choose one of --model, --train and --folds")}
	}
	ap, err := a.open()
	if err != nil {
		return err
	}
	defer ap.Close()
	tax := ap.Taxonomy
	items, hashes, err := a.evalItems(f, tax)
	if err != nil {
		return err
	}
	opt := eval.Options{Progress: a.progress(len(items))}
	var (
		r     *eval.Report
		preds []eval.Prediction
		c     *classify.Classifier
	)
	switch {
	case f.folds > 0:
		det, err := ap.Detector()
		if err != nil {
			return err
		}
		trainFn := func(ctx context.Context, train []eval.Item) (eval.Predictor, []string, error) {
			b, err := trainItems(train, nil, f.seed, tax)
			if err != nil {
				return nil, nil, err
			}
			cl, err := ap.Cascade(app.NewClassifier(det, b, tax))
			if err != nil {
				return nil, nil, err
			}
			return classifierPredictor{cl}, b.Scenario.Labels(), nil
		}
		if r, preds, err = eval.KFold(ctx, trainFn, items, f.folds, f.seed, opt); err != nil {
			return err
		}
	default:
		if len(f.train) > 0 {
			var train, dev []eval.Item
			for _, path := range f.train {
				it, h, err := readItems(path, f, tax)
				if err != nil {
					return err
				}
				train = append(train, it...)
				hashes["train:"+path] = h
			}
			if f.dev != "" {
				if dev, hashes["dev:"+f.dev], err = readItems(f.dev, f, tax); err != nil {
					return err
				}
			}
			b, err := trainItems(train, dev, f.seed, tax)
			if err != nil {
				return err
			}
			det, err := ap.Detector()
			if err != nil {
				return err
			}
			c = app.NewClassifier(det, b, tax)
		} else {
			if err := ap.OpenClassifier(ctx); err != nil {
				return err
			}
			c = ap.Model
		}
		opt.Labels = c.Model.Labels()
		cl, err := ap.Cascade(c)
		if err != nil {
			return err
		}
		if r, preds, err = eval.Run(ctx, classifierPredictor{cl}, items, opt); err != nil {
			return err
		}
		r.ModelVersion = c.Model.Meta.Version
	}
	r.DataHashes = hashes
	r.Command = "triage " + strings.Join(a.args, " ")
	r.CreatedAt = time.Now().UTC().Format(time.RFC3339)
	r.Classifier = a.cfg.Classifier
	if a.cfg.Classifier != string(cascade.Local) {
		r.Classifier += ":" + a.cfg.ChatModel
	}
	if f.out != "" {
		if err := eval.WriteDir(f.out, r, preds); err != nil {
			return err
		}
	}
	return summary(a.stdout, r, f.out)
}

// classifierPredictor adapts the classification pipeline to the harness.
type classifierPredictor struct{ c *cascade.Classifier }

func (p classifierPredictor) Predict(ctx context.Context, text string) (eval.Outcome, error) {
	res, err := p.c.Classify(ctx, text)
	if err != nil {
		return eval.Outcome{}, err
	}
	o := eval.Outcome{Label: res.Scenario.Label, Confidence: res.Scenario.Probability, Language: res.Language.Code, Queue: res.Queue, NeedsReview: res.NeedsReview}
	if res.Severity != nil {
		o.Severity = res.Severity.Level
	}
	return o, nil
}

// evalItems reads --data, or the embedded test split (all splits with
// --folds), and returns the items and the sha256 of each source.
func (a *tool) evalItems(f evalFlags, tax *triage.Taxonomy) ([]eval.Item, map[string]string, error) {
	hashes := map[string]string{}
	var items []eval.Item
	if len(f.data) == 0 {
		splits := []datasets.Split{datasets.Test}
		if f.folds > 0 {
			splits = datasets.Splits
		}
		for _, s := range splits {
			data, _ := fs.ReadFile(datasets.FS(), "complaints/"+string(s)+".jsonl")
			cs, err := datasets.LoadComplaints(s, tax)
			if err != nil {
				return nil, nil, err
			}
			hashes[datasets.ComplaintsFile(s)] = sha(data)
			for _, c := range cs {
				items = append(items, itemOf(datasets.Row{ID: c.ID, Text: c.Text, Label: c.Scenario, Lang: c.Lang, Channel: c.Channel, Severity: c.Severity}, tax))
			}
		}
		return items, hashes, nil
	}
	for _, path := range f.data {
		it, h, err := readItems(path, f, tax)
		if err != nil {
			return nil, nil, err
		}
		items = append(items, it...)
		hashes[path] = h
	}
	if len(items) == 0 {
		return nil, nil, fmt.Errorf("no items in %s: %w", strings.Join(f.data, ", "), eval.ErrNoItems)
	}
	return items, hashes, nil
}

func readItems(path string, f evalFlags, tax *triage.Taxonomy) ([]eval.Item, string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, "", err
	}
	rows, err := datasets.ReadTable(bytes.NewReader(data), path, datasets.TableOptions{TextField: f.textField, LabelField: f.labelField})
	if err != nil {
		return nil, "", err
	}
	items := make([]eval.Item, len(rows))
	for i, r := range rows {
		if r.ID == "" {
			r.ID = path + ":" + strconv.Itoa(r.Line)
		}
		items[i] = itemOf(r, tax)
	}
	return items, sha(data), nil
}

// itemOf converts a row; for taxonomy labels the gold queue and the
// scenario-default severity (the baseline) come from the taxonomy.
func itemOf(r datasets.Row, tax *triage.Taxonomy) eval.Item {
	it := eval.Item{ID: r.ID, Text: r.Text, Gold: r.Label, Lang: r.Lang, Channel: r.Channel, Severity: r.Severity}
	if s, ok := tax.Scenario(r.Label); ok {
		it.Queue = s.Queue
		it.BaselineSeverity = s.DefaultSeverity
	}
	return it
}

// trainItems trains a bundle on eval items (taxonomy items: both
// models); without dev items it holds out 10% of train.
func trainItems(train, dev []eval.Item, seed uint64, tax *triage.Taxonomy) (classify.Bundle, error) {
	if len(dev) == 0 {
		train, dev = holdOutItems(train, seed)
	}
	lex, err := datasets.LoadLexicon()
	if err != nil {
		return classify.Bundle{}, err
	}
	opts := classify.DefaultTrainOptions
	opts.Seed, opts.Lexicon = seed, lex.Concepts
	return classify.TrainLabelled(itemComplaints(train), itemComplaints(dev), tax, opts, true)
}

// holdOutItems holds out by the same key as triage train does for rows
// (id and line, the line being the item's position).
func holdOutItems(items []eval.Item, seed uint64) (train, dev []eval.Item) {
	type numbered struct {
		eval.Item
		line int
	}
	ns := make([]numbered, len(items))
	for i, it := range items {
		ns[i] = numbered{it, i + 1}
	}
	tr, dv := classify.HoldOut(ns, 0.10, seed, func(n numbered) string { return n.Gold },
		func(n numbered) string { return n.ID + "/" + strconv.Itoa(n.line) })
	for _, n := range tr {
		train = append(train, n.Item)
	}
	for _, n := range dv {
		dev = append(dev, n.Item)
	}
	return train, dev
}

func itemComplaints(items []eval.Item) []triage.Complaint {
	out := make([]triage.Complaint, len(items))
	for i, it := range items {
		out[i] = triage.Complaint{ID: it.ID, Text: it.Text, Lang: it.Lang, Scenario: it.Gold, Severity: it.Severity, Channel: it.Channel}
	}
	return out
}

func (a *tool) progress(total int) func(done, total int) {
	if !isTerminal(a.stderr) || total < 200 {
		return nil
	}
	bar := progressbar.NewOptions(total, progressbar.OptionSetWriter(a.stderr), progressbar.OptionSetDescription("evaluating"),
		progressbar.OptionShowCount(), progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionClearOnFinish())
	return func(done, _ int) { bar.Set(done) }
}

// summary prints the one-screen result.
func summary(w io.Writer, r *eval.Report, out string) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "items\t%d\n", r.Items)
	fmt.Fprintf(tw, "accuracy\t%.3f\n", r.Accuracy)
	fmt.Fprintf(tw, "macro F1 / weighted F1\t%.3f / %.3f\n", r.MacroF1, r.WeightedF1)
	if r.Folds != nil {
		fmt.Fprintf(tw, "%d-fold accuracy\t%.3f ± %.3f\n", r.Folds.K, r.Folds.Accuracy.Mean, r.Folds.Accuracy.Std)
		fmt.Fprintf(tw, "%d-fold macro F1\t%.3f ± %.3f\n", r.Folds.K, r.Folds.MacroF1.Mean, r.Folds.MacroF1.Std)
	}
	if r.RoutingAccuracy != nil {
		fmt.Fprintf(tw, "routing accuracy\t%.3f\n", *r.RoutingAccuracy)
	}
	if s := r.Severity; s != nil {
		base := ""
		if s.Baseline != nil {
			base = fmt.Sprintf(" (scenario default %.3f)", *s.Baseline)
		}
		fmt.Fprintf(tw, "severity accuracy\t%.3f%s\n", s.Accuracy, base)
		fmt.Fprintf(tw, "under-triage of 4–5\t%.1f%%\n", 100*s.UnderTriageRate)
	}
	if r.LanguageAccuracy != nil {
		fmt.Fprintf(tw, "language accuracy\t%.3f\n", *r.LanguageAccuracy)
	}
	fmt.Fprintf(tw, "sent to review\t%.1f%% (accuracy of the rest %.3f)\n", 100*r.Review.Rate, r.Review.AutoAccuracy)
	fmt.Fprintf(tw, "calibration error\t%.3f\n", r.Calibration.ECE)
	if o := r.OOS; o != nil {
		fmt.Fprintf(tw, "in-scope accuracy\t%.3f\n", o.InScopeAccuracy)
		fmt.Fprintf(tw, "oos recall / precision\t%.3f / %.3f\n", o.Recall, o.Precision)
	}
	fmt.Fprintf(tw, "latency p50/p95/p99\t%.0f / %.0f / %.0f µs\n", r.LatencyMicros.P50, r.LatencyMicros.P95, r.LatencyMicros.P99)
	fmt.Fprintf(tw, "throughput\t%.0f items/s\n", r.ThroughputPerS)
	if len(r.UnseenLabels) > 0 {
		var ls []string
		for l, n := range r.UnseenLabels {
			ls = append(ls, fmt.Sprintf("%s ×%d", l, n))
		}
		sort.Strings(ls)
		fmt.Fprintf(tw, "unseen labels\t%s\n", strings.Join(ls, ", "))
	}
	for i, p := range r.MostConfused {
		if i == 5 {
			break
		}
		fmt.Fprintf(tw, "confused\t%s → %s ×%d\n", p.Gold, p.Predicted, p.Count)
	}
	if out != "" {
		fmt.Fprintf(tw, "reports\t%s/report.{json,md,html}, predictions.jsonl, errors.jsonl\n", out)
	}
	return tw.Flush()
}

func sha(data []byte) string {
	s := sha256.Sum256(data)
	return hex.EncodeToString(s[:])
}
