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
	"maps"
	"os"
	"path/filepath"
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
	sets       []string
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
	fl.StringSliceVar(&f.sets, "set", []string{setTest, setField}, "without --data: the embedded sets to evaluate, each in its own --out subdirectory (test, field)")
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
	sets, err := a.evalSets(f, tax)
	if err != nil {
		return err
	}
	var c *classify.Classifier
	if f.folds == 0 {
		if c, err = a.evalClassifier(ctx, ap, f, sets); err != nil {
			return err
		}
	}
	var reports []*eval.Report
	for _, set := range sets {
		opt := eval.Options{Progress: a.progress(len(set.items))}
		var (
			r     *eval.Report
			preds []eval.Prediction
		)
		if f.folds > 0 {
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
			if r, preds, err = eval.KFold(ctx, trainFn, set.items, f.folds, f.seed, opt); err != nil {
				return err
			}
		} else {
			opt.Labels = c.Model.Labels()
			cl, err := ap.Cascade(c)
			if err != nil {
				return err
			}
			if r, preds, err = eval.Run(ctx, classifierPredictor{cl}, set.items, opt); err != nil {
				return err
			}
			r.ModelVersion = c.Model.Meta.Version
		}
		r.DataHashes = set.hashes
		r.Command = "triage " + strings.Join(a.args, " ")
		r.CreatedAt = time.Now().UTC().Format(time.RFC3339)
		r.Classifier = a.cfg.Classifier
		if a.cfg.Classifier != string(cascade.Local) {
			r.Classifier += ":" + a.cfg.ChatModel
		}
		if f.out != "" {
			if err := eval.WriteDir(filepath.Join(f.out, set.name), r, preds); err != nil {
				return err
			}
		}
		reports = append(reports, r)
	}
	return summary(a.stdout, sets, reports, f.out)
}

// evalClassifier returns the classifier to evaluate: trained on --train
// (the hashes of the files go into every set's provenance), or the
// configured model.
func (a *tool) evalClassifier(ctx context.Context, ap *app.App, f evalFlags, sets []evalSet) (*classify.Classifier, error) {
	if len(f.train) == 0 {
		if err := ap.OpenClassifier(ctx); err != nil {
			return nil, err
		}
		return ap.Model, nil
	}
	tax := ap.Taxonomy
	hashes := map[string]string{}
	var train, dev []eval.Item
	for _, path := range f.train {
		it, h, err := readItems(path, f, tax)
		if err != nil {
			return nil, err
		}
		train = append(train, it...)
		hashes["train:"+path] = h
	}
	if f.dev != "" {
		var err error
		if dev, hashes["dev:"+f.dev], err = readItems(f.dev, f, tax); err != nil {
			return nil, err
		}
	}
	b, err := trainItems(train, dev, f.seed, tax)
	if err != nil {
		return nil, err
	}
	det, err := ap.Detector()
	if err != nil {
		return nil, err
	}
	for _, s := range sets {
		maps.Copy(s.hashes, hashes)
	}
	return app.NewClassifier(det, b, tax), nil
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

// evalSet is one set of items evaluated on its own, with the sha256 of
// each of its sources. Its name is the subdirectory of --out its reports
// go to ("" for --out itself).
type evalSet struct {
	name   string
	items  []eval.Item
	hashes map[string]string
}

// Embedded evaluation sets: the test split and the field set.
const (
	setTest  = "test"
	setField = "field"
)

// evalSets reads --data as one set; or, with --folds, all embedded splits
// as one; or else each embedded set named by --set (default: the test
// split and the field set).
func (a *tool) evalSets(f evalFlags, tax *triage.Taxonomy) ([]evalSet, error) {
	if len(f.data) > 0 {
		set := evalSet{hashes: map[string]string{}}
		for _, path := range f.data {
			it, h, err := readItems(path, f, tax)
			if err != nil {
				return nil, err
			}
			set.items = append(set.items, it...)
			set.hashes[path] = h
		}
		if len(set.items) == 0 {
			return nil, fmt.Errorf("no items in %s: %w", strings.Join(f.data, ", "), eval.ErrNoItems)
		}
		return []evalSet{set}, nil
	}
	if f.folds > 0 {
		set := evalSet{hashes: map[string]string{}}
		for _, s := range datasets.Splits {
			cs, err := datasets.LoadComplaints(s, tax)
			if err != nil {
				return nil, err
			}
			set.items = append(set.items, complaintItems(cs, tax)...)
			set.hashes[datasets.ComplaintsFile(s)] = embeddedSHA(datasets.ComplaintsFile(s))
		}
		return []evalSet{set}, nil
	}
	var sets []evalSet
	for _, name := range f.sets {
		var (
			cs   []triage.Complaint
			file string
			err  error
		)
		switch name {
		case setTest:
			file = datasets.ComplaintsFile(datasets.Test)
			cs, err = datasets.LoadComplaints(datasets.Test, tax)
		case setField:
			file = datasets.FieldFile
			cs, err = datasets.LoadField(tax)
		default:
			return nil, &usageError{fmt.Errorf("--set %q: want %s or %s", name, setTest, setField)}
		}
		if err != nil {
			return nil, err
		}
		sets = append(sets, evalSet{name: name, items: complaintItems(cs, tax), hashes: map[string]string{file: embeddedSHA(file)}})
	}
	if len(sets) == 0 {
		return nil, &usageError{errors.New("--set: name at least one set")}
	}
	return sets, nil
}

// embeddedSHA is the sha256 of an embedded dataset file, named as in
// datasets (datasets/…).
func embeddedSHA(file string) string {
	data, _ := fs.ReadFile(datasets.FS(), strings.TrimPrefix(file, "datasets/"))
	return sha(data)
}

func complaintItems(cs []triage.Complaint, tax *triage.Taxonomy) []eval.Item {
	items := make([]eval.Item, len(cs))
	for i, c := range cs {
		items[i] = itemOf(datasets.Row{ID: c.ID, Text: c.Text, Label: c.Scenario, Lang: c.Lang, Channel: c.Channel, Severity: c.Severity}, tax)
		items[i].Hard = c.Hard
	}
	return items
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

// summary prints the one-screen result: a column per set.
func summary(w io.Writer, sets []evalSet, rs []*eval.Report, out string) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	row := func(name string, cell func(r *eval.Report) string) {
		cells := make([]string, len(rs))
		any := false
		for i, r := range rs {
			if cells[i] = cell(r); cells[i] != "" {
				any = true
			}
		}
		if any {
			fmt.Fprintf(tw, "%s\t%s\n", name, strings.Join(cells, "\t"))
		}
	}
	if len(rs) > 1 {
		names := make([]string, len(sets))
		for i, s := range sets {
			names[i] = s.name
		}
		fmt.Fprintf(tw, "set\t%s\n", strings.Join(names, "\t"))
	}
	row("items", func(r *eval.Report) string { return strconv.Itoa(r.Items) })
	row("accuracy", func(r *eval.Report) string { return fmt.Sprintf("%.3f", r.Accuracy) })
	row("macro F1 / weighted F1", func(r *eval.Report) string { return fmt.Sprintf("%.3f / %.3f", r.MacroF1, r.WeightedF1) })
	k := "k"
	if rs[0].Folds != nil {
		k = strconv.Itoa(rs[0].Folds.K)
	}
	row(k+"-fold accuracy", func(r *eval.Report) string {
		if r.Folds == nil {
			return ""
		}
		return fmt.Sprintf("%.3f ± %.3f", r.Folds.Accuracy.Mean, r.Folds.Accuracy.Std)
	})
	row(k+"-fold macro F1", func(r *eval.Report) string {
		if r.Folds == nil {
			return ""
		}
		return fmt.Sprintf("%.3f ± %.3f", r.Folds.MacroF1.Mean, r.Folds.MacroF1.Std)
	})
	row("routing accuracy", func(r *eval.Report) string { return optional(r.RoutingAccuracy) })
	row("severity accuracy", func(r *eval.Report) string {
		if r.Severity == nil {
			return ""
		}
		if r.Severity.Baseline != nil {
			return fmt.Sprintf("%.3f (scenario default %.3f)", r.Severity.Accuracy, *r.Severity.Baseline)
		}
		return fmt.Sprintf("%.3f", r.Severity.Accuracy)
	})
	row("under-triage of 4–5", func(r *eval.Report) string {
		if r.Severity == nil {
			return ""
		}
		return fmt.Sprintf("%.1f%%", 100*r.Severity.UnderTriageRate)
	})
	row("language accuracy", func(r *eval.Report) string { return optional(r.LanguageAccuracy) })
	row("sent to review", func(r *eval.Report) string { return fmt.Sprintf("%.1f%%", 100*r.Review.Rate) })
	row("accuracy / routing of the rest", func(r *eval.Report) string {
		if r.Review.AutoRouting == nil {
			return fmt.Sprintf("%.3f", r.Review.AutoAccuracy)
		}
		return fmt.Sprintf("%.3f / %.3f", r.Review.AutoAccuracy, *r.Review.AutoRouting)
	})
	row("hard / ordinary accuracy", func(r *eval.Report) string {
		h, ok1 := r.Slices.Hard["hard"]
		o, ok2 := r.Slices.Hard["ordinary"]
		if !ok1 || !ok2 {
			return ""
		}
		return fmt.Sprintf("%.3f / %.3f", h.Accuracy, o.Accuracy)
	})
	row("calibration error", func(r *eval.Report) string { return fmt.Sprintf("%.3f", r.Calibration.ECE) })
	row("in-scope accuracy", func(r *eval.Report) string {
		if r.OOS == nil {
			return ""
		}
		return fmt.Sprintf("%.3f", r.OOS.InScopeAccuracy)
	})
	row("oos recall / precision", func(r *eval.Report) string {
		if r.OOS == nil {
			return ""
		}
		return fmt.Sprintf("%.3f / %.3f", r.OOS.Recall, r.OOS.Precision)
	})
	row("latency p50/p95/p99", func(r *eval.Report) string {
		return fmt.Sprintf("%.0f / %.0f / %.0f µs", r.LatencyMicros.P50, r.LatencyMicros.P95, r.LatencyMicros.P99)
	})
	row("throughput", func(r *eval.Report) string { return fmt.Sprintf("%.0f items/s", r.ThroughputPerS) })
	row("unseen labels", func(r *eval.Report) string {
		var ls []string
		for l, n := range r.UnseenLabels {
			ls = append(ls, fmt.Sprintf("%s ×%d", l, n))
		}
		sort.Strings(ls)
		return strings.Join(ls, ", ")
	})
	for i := range 5 {
		row("confused", func(r *eval.Report) string {
			if i >= len(r.MostConfused) {
				return ""
			}
			p := r.MostConfused[i]
			return fmt.Sprintf("%s → %s ×%d", p.Gold, p.Predicted, p.Count)
		})
	}
	if out != "" {
		for _, s := range sets {
			dir := filepath.Join(out, s.name)
			fmt.Fprintf(tw, "reports\t%s/report.{json,md,html}, predictions.jsonl, errors.jsonl\n", dir)
		}
	}
	return tw.Flush()
}

func optional(v *float64) string {
	if v == nil {
		return ""
	}
	return fmt.Sprintf("%.3f", *v)
}

func sha(data []byte) string {
	s := sha256.Sum256(data)
	return hex.EncodeToString(s[:])
}
