package classify

import (
	"slices"
	"time"

	"github.com/triagedesk/triage"
)

// OutOfScope is the label for texts outside every scenario (see
// triage.OutOfScope).
const OutOfScope = triage.OutOfScope

// Review reasons, stable codes for the intake gateway to branch on.
const (
	ReasonLowConfidence = "low_confidence"
	ReasonSmallMargin   = "small_margin"
	ReasonLanguage      = "language_undetermined"
	ReasonOutOfScope    = "out_of_scope"
)

// Result is the classification of one complaint.
type Result struct {
	ID            string     `json:"id,omitempty"`
	Language      Language   `json:"language"`
	Scenario      Scored     `json:"scenario"`
	Alternatives  []Scored   `json:"alternatives"`
	Severity      *Severity  `json:"severity,omitempty"`
	Queue         string     `json:"queue,omitempty"`
	Queues        []string   `json:"queues,omitempty"`
	SLAMinutes    int        `json:"sla_minutes,omitempty"`
	DueAt         *time.Time `json:"due_at,omitempty"`
	NeedsReview   bool       `json:"needs_review"`
	ReviewReasons []string   `json:"review_reasons"`
	ModelVersion  string     `json:"model_version"`
	// DecidedBy names who chose the scenario when it was not the model
	// (e.g. "llm:qwen2.5:7b"); empty when the model did.
	DecidedBy string `json:"decided_by,omitempty"`
}

// Classifier is the whole pipeline for one complaint: language, scenario,
// severity, queue and deadline, and whether a human must review it.
type Classifier struct {
	Detector *Detector
	Model    *Model
	// Taxonomy is set when the model's labels are the taxonomy's
	// scenarios; then severity, queue and SLA are filled in.
	Taxonomy *triage.Taxonomy
	// Severity, when set, predicts the level from text (trained on the
	// labelled severities); escalation signals still raise it.
	Severity *Model
	// MinMargin: a top-two probability gap below this needs review
	// (default 0.1).
	MinMargin float64
	// DefaultThreshold applies to labels the taxonomy does not list
	// (default 0.5).
	DefaultThreshold float64
	// Now returns the current time (default time.Now).
	Now func() time.Time

	esc *escalator
}

// NewClassifier wires a classifier. tax may be nil for models trained on
// other label sets; it is ignored when the model's labels are not all
// taxonomy scenarios (plus optionally oos).
func NewClassifier(det *Detector, m *Model, tax *triage.Taxonomy) *Classifier {
	c := &Classifier{Detector: det, Model: m, MinMargin: 0.1, DefaultThreshold: 0.5, Now: time.Now}
	if tax != nil && labelsInTaxonomy(m.Labels(), tax) {
		c.Taxonomy = tax
		c.esc = newEscalator(tax)
	}
	return c
}

func labelsInTaxonomy(labels []string, tax *triage.Taxonomy) bool {
	for _, l := range labels {
		if _, ok := tax.Scenario(l); !ok && l != OutOfScope {
			return false
		}
	}
	return true
}

// Classify runs the pipeline on one text.
func (c *Classifier) Classify(text string) (Result, error) {
	if err := triage.CheckText(text); err != nil {
		return Result{}, err
	}
	res := Result{ReviewReasons: []string{}, ModelVersion: c.Model.Meta.Version}
	if c.Detector != nil {
		res.Language = c.Detector.Detect(text)
	} else {
		res.Language = Language{Code: Undetermined, Reason: "no detector"}
	}
	// One vector serves both models when they share a vectorizer (a
	// bundle's do): feature extraction is most of the cost.
	s := scratchPool.Get().(*scratch)
	x := c.Model.vec.vectorize(text, s)
	scratchPool.Put(s)
	pred := c.Model.predictVector(x)
	var sevX *Vector
	if c.Severity != nil && c.Severity.vec == c.Model.vec {
		sevX = &x
	}
	top := pred.Top()
	res.Scenario = roundScored(top)
	for _, alt := range pred.Ranked[1:min(4, len(pred.Ranked))] {
		res.Alternatives = append(res.Alternatives, roundScored(alt))
	}

	threshold := c.DefaultThreshold
	if c.Taxonomy != nil {
		if s, ok := c.Taxonomy.Scenario(top.Label); ok {
			threshold = s.ConfidenceThreshold
		}
	}
	switch {
	case top.Label == OutOfScope:
		res.review(ReasonOutOfScope)
	case top.Probability < threshold:
		res.review(ReasonLowConfidence)
	}
	if top.Label != OutOfScope && pred.Margin() < c.MinMargin {
		res.review(ReasonSmallMargin)
	}
	if res.Language.Code == Undetermined {
		res.review(ReasonLanguage)
	}

	c.route(text, &res, sevX)
	return res, nil
}

// route fills severity, queues and deadline for res.Scenario.
func (c *Classifier) route(text string, res *Result, x *Vector) {
	res.Severity, res.Queue, res.Queues, res.SLAMinutes, res.DueAt = nil, "", nil, 0, nil
	label := res.Scenario.Label
	if c.Taxonomy == nil || label == OutOfScope {
		return
	}
	if _, ok := c.Taxonomy.Scenario(label); !ok {
		return
	}
	sev := c.severity(text, res.Language.Code, label, x)
	res.Severity = &sev
	res.Queues = c.Taxonomy.QueuesFor(label, sev.Level)
	res.Queue = res.Queues[0]
	if l, ok := c.Taxonomy.Level(sev.Level); ok {
		res.SLAMinutes = l.SLAMinutes
		due := c.Now().UTC().Add(time.Duration(l.SLAMinutes) * time.Minute).Truncate(time.Second)
		res.DueAt = &due
	}
}

// Reassign returns res (the result of Classify for text) with scenario
// as its scenario, and severity, queues and deadline worked out again for
// it: for when another judge (an LLM, an agent) settles a case the model
// was unsure of. The scenario keeps the model's probability for it (0
// when it was not among the alternatives); review reasons are left to the
// caller.
func (c *Classifier) Reassign(text string, res Result, scenario string) Result {
	if scenario == res.Scenario.Label {
		return res
	}
	chosen := Scored{Label: scenario}
	alts := []Scored{res.Scenario}
	for _, a := range res.Alternatives {
		if a.Label == scenario {
			chosen = a
			continue
		}
		alts = append(alts, a)
	}
	res.Scenario = chosen
	res.Alternatives = alts[:min(len(alts), 3)]
	res.ReviewReasons = slices.Clone(res.ReviewReasons)
	c.route(text, &res, nil)
	return res
}

// severity: the rule level (scenario default raised by signals), or, with
// a severity model, the model's level raised by the signals.
func (c *Classifier) severity(text, lang, scenario string, x *Vector) Severity {
	sev := c.esc.assess(text, lang, scenario)
	if c.Severity == nil {
		return sev
	}
	var p Prediction
	if x != nil {
		p = c.Severity.predictVector(*x)
	} else {
		p = c.Severity.Predict(text)
	}
	lvl, _, why := c.Severity.levelOf(p)
	out := Severity{Level: max(lvl, c.esc.signalLevel(sev.Signals)), Signals: sev.Signals, Amounts: sev.Amounts}
	out.Reasons = append([]string{why}, sev.Reasons[1:]...)
	return out
}

func (r *Result) review(reason string) {
	r.NeedsReview = true
	r.ReviewReasons = append(r.ReviewReasons, reason)
}

func roundScored(s Scored) Scored {
	return Scored{Label: s.Label, Probability: float64(int(s.Probability*10000+0.5)) / 10000}
}
