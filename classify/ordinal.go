package classify

import (
	"fmt"
	"strconv"
)

// Severity models are ordinal: predicting a level lower than the truth
// (under-triage) costs more than predicting one higher. The decision rule
// takes the most likely level, then lifts it to 4 when P(level ≥ 4)
// reaches Escalate.Four and to 5 when P(level 5) reaches Escalate.Five:
// a case that may well be major is treated as major.

// EscalateThresholds are a severity model's decision thresholds.
type EscalateThresholds struct {
	Four float64 `json:"four"`
	Five float64 `json:"five"`
}

// MaxUnderTriage is the share of level 4–5 cases a severity model may
// place too low on the dev split when its Tau is chosen.
const MaxUnderTriage = 0.05

// TrainSeverity trains a severity model on examples labelled "1".."5"
// and picks its decision thresholds on dev: those with the best dev
// accuracy whose under-triage of levels 4–5 stays within MaxUnderTriage.
// floor, when not nil, is the level the escalation rules force for a
// text; the threshold is chosen for the model and the rules together.
func TrainSeverity(train, dev []Example, opts TrainOptions, floor func(text string) int) (*Model, error) {
	for i, ex := range append(append([]Example{}, train...), dev...) {
		if l, err := strconv.Atoi(ex.Label); err != nil || l < 1 || l > 5 {
			return nil, fmt.Errorf("train severity: example %d: label %q is not a level 1..5", i+1, ex.Label)
		}
	}
	m, err := Train(train, dev, opts)
	if err != nil {
		return nil, fmt.Errorf("train severity: %w", err)
	}
	m.Meta.Escalate = EscalateThresholds{Four: 0.5, Five: 0.5}
	if len(dev) == 0 {
		return m, nil
	}
	probs := make([]Prediction, len(dev))
	floors := make([]int, len(dev))
	for i, ex := range dev {
		probs[i] = m.Predict(ex.Text)
		if floor != nil {
			floors[i] = floor(ex.Text)
		}
	}
	type choice struct{ four, five, acc, under float64 }
	best := choice{acc: -1}
	fallback := choice{four: 0.05, five: 0.05, under: 2}
	grid := []float64{0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 1.01}
	for _, four := range grid {
		for _, five := range grid {
			m.Meta.Escalate = EscalateThresholds{Four: four, Five: five}
			right, under, n45 := 0, 0, 0
			for i, ex := range dev {
				gold, _ := strconv.Atoi(ex.Label)
				got := max(m.level(probs[i]), floors[i])
				if got == gold {
					right++
				}
				if gold >= 4 {
					n45++
					if got < gold {
						under++
					}
				}
			}
			c := choice{four, five, float64(right) / float64(len(dev)), float64(under) / float64(max(n45, 1))}
			if c.under <= MaxUnderTriage && c.acc > best.acc {
				best = c
			}
			if c.under < fallback.under || (c.under == fallback.under && c.acc > fallback.acc) {
				fallback = c
			}
		}
	}
	if best.acc < 0 {
		best = fallback // nothing met the bound: the least under-triage
	}
	m.Meta.Escalate = EscalateThresholds{Four: best.four, Five: best.five}
	m.Meta.Metrics.DevAccuracy, m.Meta.Metrics.DevUnderTriage = best.acc, best.under
	return m, nil
}

// level applies the decision rule to a severity prediction.
func (m *Model) level(p Prediction) int {
	var byLevel [6]float64
	best := 1
	for _, s := range p.Ranked {
		if l, err := strconv.Atoi(s.Label); err == nil && l >= 1 && l <= 5 {
			byLevel[l] = s.Probability
			if s.Probability > byLevel[best] {
				best = l
			}
		}
	}
	th := m.Meta.Escalate
	if th.Four == 0 && th.Five == 0 {
		th = EscalateThresholds{Four: 0.5, Five: 0.5}
	}
	if byLevel[5] >= th.Five {
		return 5
	}
	if byLevel[4]+byLevel[5] >= th.Four {
		return max(best, 4)
	}
	return best
}

// Level predicts a severity level (1..5) with the model's decision rule,
// and the probability of that level.
func (m *Model) Level(text string) (int, float64) {
	return m.levelOf(m.Predict(text))
}

// levelOf is Level from the model's prediction.
func (m *Model) levelOf(p Prediction) (int, float64) {
	l := m.level(p)
	for _, s := range p.Ranked {
		if s.Label == strconv.Itoa(l) {
			return l, s.Probability
		}
	}
	return l, 0
}
