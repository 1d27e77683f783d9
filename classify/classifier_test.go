package classify

import (
	"errors"

	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/triagedesk/triage"
	"github.com/triagedesk/triage/datasets"
)

var (
	bundleOnce sync.Once
	bundle     Bundle
	bundleErr  error
)

// triageBundle is the scenario and severity model trained on the
// embedded train split, calibrated on dev.
func triageBundle(t testing.TB) Bundle {
	t.Helper()
	tax, train, dev, _ := loadFixture(t)
	bundleOnce.Do(func() {
		lex, err := datasets.LoadLexicon()
		if err != nil {
			bundleErr = err
			return
		}
		bundle, bundleErr = TrainTriage(train, dev, tax, TrainOptions{Lexicon: lex.Concepts})
	})
	if bundleErr != nil {
		t.Fatal(bundleErr)
	}
	return bundle
}

func newTestClassifier(t testing.TB) *Classifier {
	tax, _, _, _ := loadFixture(t)
	b := triageBundle(t)
	c := NewClassifier(detector(t), b.Scenario, tax)
	c.Severity = b.Severity
	c.Now = func() time.Time { return time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC) }
	return c
}

func TestClassify(t *testing.T) {
	c := newTestClassifier(t)
	res, err := c.Classify("我的账号被盗了，对方登录后把我648充的钻石全花光了，我已经报警，准备找律师")
	if err != nil {
		t.Fatal(err)
	}
	if res.Language.Code != "zh" || res.Scenario.Label != "account_security" {
		t.Fatalf("got %+v", res)
	}
	if res.Severity == nil || res.Severity.Level < 4 || !slices.Contains(res.Severity.Signals, "legal_action") {
		t.Errorf("severity %+v: legal action must raise it to at least 4", res.Severity)
	}
	if res.Queue != "risk_control" || res.Queues[0] != "risk_control" {
		t.Errorf("queue %s %v", res.Queue, res.Queues)
	}
	lvl, _ := c.Taxonomy.Level(res.Severity.Level)
	if res.SLAMinutes != lvl.SLAMinutes || !res.DueAt.Equal(c.Now().Add(time.Duration(lvl.SLAMinutes)*time.Minute)) {
		t.Errorf("SLA %d, due %v", res.SLAMinutes, res.DueAt)
	}
	if len(res.Alternatives) != 3 || res.Alternatives[0].Probability > res.Scenario.Probability {
		t.Errorf("alternatives %v", res.Alternatives)
	}
	if res.ModelVersion == "" || res.ReviewReasons == nil {
		t.Errorf("model version %q, review reasons %v", res.ModelVersion, res.ReviewReasons)
	}
}

func TestLevelFiveAddsEscalationsQueue(t *testing.T) {
	c := newTestClassifier(t)
	res, err := c.Classify("跟团游途中导游失联，我母亲在景区摔倒骨折住院，旅行社电话一直打不通，我们现在滞留在外地")
	if err != nil {
		t.Fatal(err)
	}
	if res.Severity.Level != 5 || !slices.Contains(res.Queues, "escalations") {
		t.Errorf("severity %d, queues %v: a health emergency is level 5 and goes to escalations", res.Severity.Level, res.Queues)
	}
}

func TestNeedsReview(t *testing.T) {
	c := newTestClassifier(t)
	// "ok" has no language and no scenario evidence: review, never a confident guess.
	res, err := c.Classify("ok")
	if err != nil {
		t.Fatal(err)
	}
	if !res.NeedsReview || !slices.Contains(res.ReviewReasons, ReasonLanguage) {
		t.Errorf("\"ok\": needs_review %v, reasons %v", res.NeedsReview, res.ReviewReasons)
	}
	// A clear complaint is routed without review.
	res, _ = c.Classify("I was charged twice for the same top-up, $19.99 each, and the gems only arrived once")
	if res.NeedsReview {
		t.Errorf("clear payment complaint sent to review: %+v", res)
	}
	// Raising the bar sends everything to review with the low-confidence reason.
	strict := *c
	strict.DefaultThreshold = 2
	strict.Taxonomy = nil
	res, _ = strict.Classify("I was charged twice for the same top-up")
	if !slices.Contains(res.ReviewReasons, ReasonLowConfidence) {
		t.Errorf("reasons %v, want low_confidence", res.ReviewReasons)
	}
}

func TestOutOfScopeLabel(t *testing.T) {
	train := []Example{
		{Text: "my parcel never arrived", Label: "order"}, {Text: "the courier lost my package", Label: "order"}, {Text: "where is my delivery", Label: "order"},
		{Text: "refund my money please", Label: "refund"}, {Text: "i want my money back", Label: "refund"}, {Text: "cancel and refund the order", Label: "refund"},
		{Text: "what is the weather tomorrow", Label: OutOfScope}, {Text: "tell me a joke", Label: OutOfScope}, {Text: "who won the football match", Label: OutOfScope},
	}
	m, err := Train(train, nil, TrainOptions{MinDF: 1})
	if err != nil {
		t.Fatal(err)
	}
	c := NewClassifier(detector(t), m, nil)
	res, _ := c.Classify("tell me the weather for tomorrow")
	if res.Scenario.Label != OutOfScope || !slices.Contains(res.ReviewReasons, ReasonOutOfScope) || res.Severity != nil || res.Queue != "" {
		t.Errorf("out-of-scope text: %+v", res)
	}
}

func TestClassifyRejectsBadInput(t *testing.T) {
	c := newTestClassifier(t)
	tests := []struct {
		text string
		want error
	}{
		{"", triage.ErrEmptyText},
		{" \n\t ", triage.ErrEmptyText},
		{"bad \xff byte", triage.ErrInvalidUTF8},
		{strings.Repeat("a", triage.MaxTextBytes+1), triage.ErrTextTooLong},
	}
	for _, tt := range tests {
		if _, err := c.Classify(tt.text); !errors.Is(err, tt.want) {
			t.Errorf("Classify(%.20q…): err = %v, want %v", tt.text, err, tt.want)
		}
	}
}

// TestSeverityBeatsBaseline: on the test split, the severity the
// pipeline assigns (given the gold scenario) must beat the scenario
// default and keep under-triage of levels 4–5 under 10%.
func TestSeverityBeatsBaseline(t *testing.T) {
	c := newTestClassifier(t)
	_, _, _, test := loadFixture(t)
	right, base, under, n45 := 0, 0, 0, 0
	for _, x := range test {
		lang := c.Detector.Detect(x.Text).Code
		got := c.severity(x.Text, lang, x.Scenario, nil).Level
		s, _ := c.Taxonomy.Scenario(x.Scenario)
		if got == x.Severity {
			right++
		}
		if s.DefaultSeverity == x.Severity {
			base++
		}
		if x.Severity >= 4 {
			n45++
			if got < x.Severity {
				under++
			}
		}
	}
	acc, baseAcc, ut := float64(right)/float64(len(test)), float64(base)/float64(len(test)), float64(under)/float64(n45)
	t.Logf("severity accuracy %.3f (scenario-default baseline %.3f), under-triage of 4–5 %.3f (%d/%d)", acc, baseAcc, ut, under, n45)
	if acc <= baseAcc {
		t.Errorf("severity accuracy %.3f does not beat the baseline %.3f", acc, baseAcc)
	}
	if ut >= 0.10 {
		t.Errorf("under-triage of levels 4–5 %.3f, want < 0.10", ut)
	}
}

// TestScenarioAccuracy measures the shipped model on the test split; the
// floor guards against regressions (the eval harness reports details).
func TestScenarioAccuracy(t *testing.T) {
	m := triageBundle(t).Scenario
	_, _, _, test := loadFixture(t)
	right := 0
	per := map[string][2]int{}
	for _, c := range test {
		v := per[c.Lang]
		v[1]++
		if m.Predict(c.Text).Top().Label == c.Scenario {
			right++
			v[0]++
		}
		per[c.Lang] = v
	}
	acc := float64(right) / float64(len(test))
	t.Logf("scenario accuracy on the test split: %.3f (zh %d/%d, en %d/%d)", acc, per["zh"][0], per["zh"][1], per["en"][0], per["en"][1])
	if acc < 0.62 {
		t.Errorf("scenario accuracy %.3f fell below 0.62", acc)
	}
}

func TestReassign(t *testing.T) {
	c := newTestClassifier(t)
	text := "I was charged twice for the same top-up and only one went through, please sort it out"
	res, err := c.Classify(text)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Reassign(text, res, res.Scenario.Label); got.Scenario != res.Scenario || got.Queue != res.Queue {
		t.Errorf("reassigning to the same scenario changed the result: %+v", got)
	}
	target := "privacy_minors"
	if res.Scenario.Label == target {
		t.Fatalf("fixture classified as %s already", target)
	}
	got := c.Reassign(text, res, target)
	if got.Scenario.Label != target || got.Queue != "legal_compliance" {
		t.Fatalf("reassigned: scenario %v queue %q", got.Scenario, got.Queue)
	}
	if got.Alternatives[0] != res.Scenario {
		t.Errorf("the model's top %v should lead the alternatives, got %v", res.Scenario, got.Alternatives)
	}
	if got.Severity == nil || got.SLAMinutes == 0 || got.DueAt == nil {
		t.Errorf("severity and deadline not worked out: %+v", got)
	}
	if res.Scenario.Label == target || res.Queue == "legal_compliance" {
		t.Error("Reassign changed its argument")
	}
	if oos := c.Reassign(text, res, OutOfScope); oos.Queue != "" || oos.Severity != nil {
		t.Errorf("oos is not routed: %+v", oos)
	}
}
