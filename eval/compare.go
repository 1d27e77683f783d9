package eval

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"text/tabwriter"
)

// Delta is one metric in two reports.
type Delta struct {
	Metric string  `json:"metric"`
	Base   float64 `json:"base"`
	New    float64 `json:"new"`
	Change float64 `json:"change"`
	// Gated metrics fail the comparison when they drop by more than the
	// allowed margin.
	Gated      bool `json:"gated"`
	Regression bool `json:"regression"`
}

// Comparison is the difference between a base and a new report.
type Comparison struct {
	MaxDrop float64 `json:"max_drop"`
	Metrics []Delta `json:"metrics"`
	Labels  []Delta `json:"labels"` // per-label F1
	// Regressions names the gated metrics that fell by more than MaxDrop.
	Regressions []string `json:"regressions"`
}

// GatedMetrics are the metrics a comparison fails on.
var GatedMetrics = []string{"accuracy", "macro_f1", "routing_accuracy"}

// Compare reports how new differs from base. Accuracy, macro-F1 and
// routing accuracy are gated: each may fall by at most maxDrop (absolute).
func Compare(base, new *Report, maxDrop float64) Comparison {
	c := Comparison{MaxDrop: maxDrop, Regressions: []string{}}
	add := func(name string, b, n *float64, gated bool) {
		if b == nil || n == nil {
			return
		}
		d := Delta{Metric: name, Base: *b, New: *n, Change: round(*n-*b, 4), Gated: gated}
		d.Regression = gated && *b-*n > maxDrop+1e-9
		if d.Regression {
			c.Regressions = append(c.Regressions, name)
		}
		c.Metrics = append(c.Metrics, d)
	}
	f := func(x float64) *float64 { return &x }
	add("accuracy", f(base.Accuracy), f(new.Accuracy), true)
	add("macro_f1", f(base.MacroF1), f(new.MacroF1), true)
	add("weighted_f1", f(base.WeightedF1), f(new.WeightedF1), false)
	add("routing_accuracy", base.RoutingAccuracy, new.RoutingAccuracy, true)
	if base.Severity != nil && new.Severity != nil {
		add("severity.accuracy", f(base.Severity.Accuracy), f(new.Severity.Accuracy), false)
		add("severity.under_triage_rate", f(base.Severity.UnderTriageRate), f(new.Severity.UnderTriageRate), false)
	}
	add("language_accuracy", base.LanguageAccuracy, new.LanguageAccuracy, false)
	add("calibration.ece", f(base.Calibration.ECE), f(new.Calibration.ECE), false)
	add("review.rate", f(base.Review.Rate), f(new.Review.Rate), false)
	if base.OOS != nil && new.OOS != nil {
		add("oos.in_scope_accuracy", f(base.OOS.InScopeAccuracy), f(new.OOS.InScopeAccuracy), false)
		add("oos.recall", f(base.OOS.Recall), f(new.OOS.Recall), false)
	}
	add("latency_us.p50", f(base.LatencyMicros.P50), f(new.LatencyMicros.P50), false)

	names := map[string]bool{}
	for l := range base.Labels {
		names[l] = true
	}
	for l := range new.Labels {
		names[l] = true
	}
	var sorted []string
	for l := range names {
		sorted = append(sorted, l)
	}
	sort.Strings(sorted)
	for _, l := range sorted {
		b, n := base.Labels[l].F1, new.Labels[l].F1
		c.Labels = append(c.Labels, Delta{Metric: l, Base: b, New: n, Change: round(n-b, 4)})
	}
	return c
}

// Write prints the comparison as two aligned tables.
func (c Comparison) Write(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "metric\tbase\tnew\tchange\t")
	for _, d := range c.Metrics {
		mark := ""
		if d.Regression {
			mark = fmt.Sprintf("REGRESSION (> %.3f)", c.MaxDrop)
		}
		fmt.Fprintf(tw, "%s\t%.4f\t%.4f\t%+.4f\t%s\n", d.Metric, d.Base, d.New, d.Change, mark)
	}
	fmt.Fprintln(tw, "\nlabel F1\tbase\tnew\tchange\t")
	for _, d := range c.Labels {
		if math.Abs(d.Change) < 1e-9 {
			continue
		}
		fmt.Fprintf(tw, "%s\t%.4f\t%.4f\t%+.4f\t\n", d.Metric, d.Base, d.New, d.Change)
	}
	return tw.Flush()
}

// ReadReport loads a report.json.
func ReadReport(path string) (*Report, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r Report
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("%s: not a report: %w", path, err)
	}
	if r.Items == 0 || r.Labels == nil {
		return nil, fmt.Errorf("%s: not a report (no items or labels)", path)
	}
	return &r, nil
}
