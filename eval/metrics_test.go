package eval

import (
	"math"
	"reflect"
	"testing"
)

// fixture is ten predictions whose metrics are computed by hand in the
// comments of TestComputeByHand.
func fixture() []Prediction {
	rows := []struct {
		gold, pred string
		conf       float64
		goldSev    int
		sev        int
		queue      string
		lang       string
		review     bool
	}{
		{"A", "A", 0.9, 1, 1, "qA", "zh", false},
		{"A", "A", 0.8, 2, 2, "qA", "zh", false},
		{"A", "B", 0.6, 4, 3, "qA", "zh", true}, // wrong label, right queue
		{"B", "B", 0.7, 5, 5, "qB", "zh", false},
		{"B", "B", 0.95, 3, 4, "qB", "zh", false},
		{"B", "A", 0.55, 4, 4, "qA", "und", true},
		{"C", "C", 0.4, 5, 4, "qC", "en", true},
		{"C", "B", 0.3, 2, 2, "qB", "en", true},
		{"C", "C", 0.85, 1, 2, "qC", "en", false},
		{"C", "C", 1.0, 3, 3, "qC", "en", false},
	}
	goldLang := []string{"zh", "zh", "zh", "zh", "zh", "en", "en", "en", "en", "en"}
	var out []Prediction
	for i, r := range rows {
		ch := "chat"
		if i%2 == 1 {
			ch = "email"
		}
		out = append(out, Prediction{
			ID: string(rune('a' + i)), Text: "text " + string(rune('a'+i)), Gold: r.gold, Predicted: r.pred, Confidence: r.conf,
			Correct: r.gold == r.pred, Language: r.lang, GoldLanguage: goldLang[i], Channel: ch,
			GoldSeverity: r.goldSev, Severity: r.sev, BaseSeverity: 2, GoldQueue: "q" + r.gold, Queue: r.queue,
			NeedsReview: r.review, LatencyMicros: float64(10 * (i + 1)),
		})
	}
	return out
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-4 }

func TestComputeByHand(t *testing.T) {
	r := Compute(fixture(), []string{"A", "B"})
	// Confusion (rows gold A,B,C; columns predicted A,B,C):
	//   A: 2 1 0   B: 1 2 0   C: 0 1 3        accuracy 7/10
	wantMatrix := [][]int{{2, 1, 0}, {1, 2, 0}, {0, 1, 3}}
	if !reflect.DeepEqual(r.Confusion.Labels, []string{"A", "B", "C"}) || !reflect.DeepEqual(r.Confusion.Matrix, wantMatrix) {
		t.Errorf("confusion %v %v", r.Confusion.Labels, r.Confusion.Matrix)
	}
	// A: P 2/3 R 2/3 F1 .6667 · B: P 2/4 R 2/3 F1 .5714 · C: P 3/3 R 3/4 F1 .8571
	want := map[string]LabelMetrics{
		"A": {0.6667, 0.6667, 0.6667, 3, 3},
		"B": {0.5, 0.6667, 0.5714, 3, 4},
		"C": {1, 0.75, 0.8571, 4, 3},
	}
	if !reflect.DeepEqual(r.Labels, want) {
		t.Errorf("labels %+v", r.Labels)
	}
	// macro (.6667+.5714+.8571)/3 = .6984; weighted (3·.6667+3·.5714+4·.8571)/10 = .7143
	checks := []struct {
		name      string
		got, want float64
	}{
		{"accuracy", r.Accuracy, 0.7},
		{"macro_f1", r.MacroF1, 0.6984},
		{"weighted_f1", r.WeightedF1, 0.7143},
		// queues right on the 7 correct items and on item 3 (A→B, both in qA)
		{"routing_accuracy", *r.RoutingAccuracy, 0.8},
		// severity exact on items 1,2,4,6,8,10; gold ≥ 4: items 3,4,6,7, under on 3 and 7
		{"severity.accuracy", r.Severity.Accuracy, 0.6},
		{"severity.under_triage_rate", r.Severity.UnderTriageRate, 0.5},
		{"severity.baseline", *r.Severity.Baseline, 0.2}, // gold 2 on items 2 and 8
		{"language_accuracy", *r.LanguageAccuracy, 0.9},  // item 6 detected und
		// bins: .3(w) .4(r) .55(w) .6(w) .7(r) {.8,.85}(r,r) {.9,.95,1}(r,r,r)
		// ECE = .1(.3+.6+.55+.6+.3) + .2(.175) + .3(.05) = .285
		{"calibration.ece", r.Calibration.ECE, 0.285},
		{"review.rate", r.Review.Rate, 0.4},
		{"review.auto_routed_accuracy", r.Review.AutoAccuracy, 1},
		{"review.reviewed_accuracy", r.Review.ReviewedAccuracy, 0.25},
		// nearest rank over latencies 10..100
		{"latency.p50", r.LatencyMicros.P50, 50},
		{"latency.p95", r.LatencyMicros.P95, 100},
		{"latency.p99", r.LatencyMicros.P99, 100},
	}
	for _, c := range checks {
		if !near(c.got, c.want) {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if r.Calibration.Bins[8].Count != 2 || !near(r.Calibration.Bins[8].Confidence, 0.825) || r.Calibration.Bins[9].Count != 3 {
		t.Errorf("bins %+v", r.Calibration.Bins)
	}
	// confidence ≥ .5: 8 items, 6 right; ≥ .9: 3 items all right; ≥ 0: all
	cov := map[float64]CoveragePoint{}
	for _, c := range r.Coverage {
		cov[c.Threshold] = c
	}
	for th, w := range map[float64][2]float64{0: {1, 0.7}, 0.5: {0.8, 0.75}, 0.9: {0.3, 1}, 1: {0.1, 1}} {
		if c := cov[th]; !near(c.Coverage, w[0]) || !near(c.Accuracy, w[1]) {
			t.Errorf("coverage at %.2f = %+v, want %v", th, c, w)
		}
	}
	if len(r.Coverage) != 21 {
		t.Errorf("%d coverage points, want 21", len(r.Coverage))
	}
	wantPairs := []ConfusedPair{{"A", "B", 1}, {"B", "A", 1}, {"C", "B", 1}}
	if !reflect.DeepEqual(r.MostConfused, wantPairs) {
		t.Errorf("most confused %+v", r.MostConfused)
	}
	// zh: items 1–5, 4 right; en: items 6–10, 3 right
	if s := r.Slices.Language["zh"]; s.Items != 5 || !near(s.Accuracy, 0.8) {
		t.Errorf("zh slice %+v", s)
	}
	if s := r.Slices.Language["en"]; s.Items != 5 || !near(s.Accuracy, 0.6) {
		t.Errorf("en slice %+v", s)
	}
	if s := r.Slices.Channel["chat"]; s.Items != 5 {
		t.Errorf("chat slice %+v", s)
	}
	if !reflect.DeepEqual(r.UnseenLabels, map[string]int{"C": 4}) {
		t.Errorf("unseen %v", r.UnseenLabels)
	}
	if r.OOS != nil {
		t.Error("oos metrics without oos data")
	}
}

func TestOOSByHand(t *testing.T) {
	pairs := [][2]string{{"oos", "oos"}, {"oos", "A"}, {"A", "A"}, {"A", "oos"}, {"B", "B"}, {"B", "A"}, {"oos", "oos"}}
	var ps []Prediction
	for _, p := range pairs {
		ps = append(ps, Prediction{Gold: p[0], Predicted: p[1], Correct: p[0] == p[1], Confidence: 0.5})
	}
	o := Compute(ps, nil).OOS
	// in scope: A,A,B,B → right on 2 of 4; oos items 3, 2 predicted oos;
	// predicted oos 3 times, 2 right.
	if o == nil || !near(o.InScopeAccuracy, 0.5) || !near(o.Recall, 0.6667) || !near(o.Precision, 0.6667) || o.InScopeItems != 4 || o.OOSItems != 3 {
		t.Errorf("oos %+v", o)
	}
}

func TestComputeEdgeCases(t *testing.T) {
	// No severities, queues or languages: those sections are absent.
	r := Compute([]Prediction{{Gold: "x", Predicted: "x", Correct: true, Confidence: 1}}, nil)
	if r.RoutingAccuracy != nil || r.Severity != nil || r.LanguageAccuracy != nil || r.Slices.Language != nil {
		t.Errorf("%+v", r)
	}
	if r.Accuracy != 1 || r.MacroF1 != 1 || r.Calibration.ECE != 0 || len(r.MostConfused) != 0 {
		t.Errorf("perfect single item: %+v", r)
	}
	// A label only ever predicted does not count in macro F1 (no support)
	// but lowers the precision of nothing else: here x is always wrong.
	r = Compute([]Prediction{{Gold: "x", Predicted: "y"}, {Gold: "x", Predicted: "x", Correct: true}}, nil)
	if !near(r.MacroF1, 0.6667) || r.Labels["y"].Support != 0 || r.Labels["y"].Predicted != 1 {
		t.Errorf("macro %v labels %+v", r.MacroF1, r.Labels)
	}
}

func TestMeanStd(t *testing.T) {
	m := meanStd([]float64{0.6, 0.8, 0.7, 0.9})
	// mean .75, population variance (.0225+.0025+.0025+.0225)/4 = .0125
	if !near(m.Mean, 0.75) || !near(m.Std, 0.1118) {
		t.Errorf("%+v", m)
	}
}
