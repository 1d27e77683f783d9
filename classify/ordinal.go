package classify

import (
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"strconv"
	"sync"
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
// place too low, measured out of fold, when its thresholds are chosen.
const MaxUnderTriage = 0.05

// MissCost is what placing a level 4–5 case one level too low costs,
// against 1 for any other one-level error: a missed major complaint waits
// hours in the wrong queue and never reaches management, an over-triaged
// one costs a senior agent a few minutes. The thresholds minimise the
// mean cost (levels apart × cost) among those that keep under-triage
// within MaxUnderTriage.
const MissCost = 5

// SeverityFolds is how many folds of the training examples give the
// out-of-fold predictions the thresholds are chosen on.
const SeverityFolds = 5

// severityCost is the cost of predicting got for a case of level gold.
func severityCost(gold, got int) float64 {
	d := float64(gold - got)
	switch {
	case d > 0 && gold >= 4:
		return MissCost * d
	case d < 0:
		return -d
	}
	return d
}

// TrainSeverity trains a severity model on examples labelled "1".."5"
// and chooses its decision thresholds by cross-validation: SeverityFolds
// models, each trained without one fold of train, predict that fold;
// with the final model's predictions on dev these out-of-fold
// predictions pick the thresholds of least mean cost (MissCost) whose
// under-triage of levels 4–5 stays within MaxUnderTriage. floor, when not
// nil, is the level the escalation rules force for a text; the
// thresholds are chosen for the model and the rules together.
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
	held, probs, err := outOfFold(train, dev, opts)
	if err != nil {
		return nil, fmt.Errorf("train severity: %w", err)
	}
	for _, ex := range dev {
		held = append(held, ex)
		probs = append(probs, m.Predict(ex.Text))
	}
	if len(held) == 0 {
		return m, nil
	}
	floors := make([]int, len(held))
	golds := make([]int, len(held))
	for i, ex := range held {
		golds[i], _ = strconv.Atoi(ex.Label)
		if floor != nil {
			floors[i] = floor(ex.Text)
		}
	}
	type choice struct{ four, five, cost, acc, under float64 }
	best := choice{cost: math.Inf(1)}
	fallback := choice{four: 0.02, five: 0.02, under: 2}
	grid := []float64{0.02, 0.04, 0.06, 0.08, 0.1, 0.125, 0.15, 0.175, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 1.01}
	for _, four := range grid {
		for _, five := range grid {
			m.Meta.Escalate = EscalateThresholds{Four: four, Five: five}
			right, under, n45, cost := 0, 0, 0, 0.0
			for i := range held {
				gold, got := golds[i], max(m.level(probs[i]), floors[i])
				cost += severityCost(gold, got)
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
			n := float64(len(held))
			c := choice{four, five, cost / n, float64(right) / n, float64(under) / float64(max(n45, 1))}
			if c.under <= MaxUnderTriage && c.cost < best.cost {
				best = c
			}
			if c.under < fallback.under || (c.under == fallback.under && c.cost < fallback.cost) {
				fallback = c
			}
		}
	}
	if math.IsInf(best.cost, 1) {
		best = fallback // nothing met the bound: the least under-triage
	}
	m.Meta.Escalate = EscalateThresholds{Four: best.four, Five: best.five}
	m.Meta.Metrics.DevAccuracy, m.Meta.Metrics.DevUnderTriage = best.acc, best.under
	return m, nil
}

// foldOf is the cross-validation fold of an example: by its group when it
// has one, else by its text.
func foldOf(ex Example, seed uint64) int {
	key := ex.Group
	if key == "" {
		key = "text\x00" + ex.Text
	}
	h := fnv.New64a()
	fmt.Fprintf(h, "%d\x00%s", seed, key)
	return int(h.Sum64() % SeverityFolds)
}

// outOfFold trains SeverityFolds models, each without one fold of train
// (calibrated on dev), and returns every train example with the
// prediction of the model that did not see it. Folds are assigned by a
// hash of the example's group (its writer) or, without one, of its text,
// so they do not depend on the order of the examples, and a writer's
// examples are predicted by a model that never saw that writer.
func outOfFold(train, dev []Example, opts TrainOptions) ([]Example, []Prediction, error) {
	if len(train) < 10*SeverityFolds {
		return nil, nil, nil
	}
	fold := make([]int, len(train))
	for i, ex := range train {
		fold[i] = foldOf(ex, opts.Seed)
	}
	probs := make([]Prediction, len(train))
	errs := make([]error, SeverityFolds)
	var wg sync.WaitGroup
	for k := range SeverityFolds {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var in []Example
			for i, ex := range train {
				if fold[i] != k {
					in = append(in, ex)
				}
			}
			fm, err := Train(in, dev, opts)
			if err != nil {
				errs[k] = err
				return
			}
			for i, ex := range train {
				if fold[i] == k {
					probs[i] = fm.Predict(ex.Text)
				}
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, nil, err
	}
	return train, probs, nil
}

// level applies the decision rule to a severity prediction.
func (m *Model) level(p Prediction) int {
	l, _ := m.decide(p)
	return l
}

// decide applies the decision rule and says why: the most likely level,
// or the escalation threshold that lifted it.
func (m *Model) decide(p Prediction) (int, string) {
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
	most := fmt.Sprintf("severity model: most likely %d (p=%.2f)", best, byLevel[best])
	if byLevel[5] >= th.Five && best < 5 {
		return 5, fmt.Sprintf("%s; P(level 5) = %.2f reaches the escalation threshold %.3g → 5", most, byLevel[5], th.Five)
	}
	if p45 := byLevel[4] + byLevel[5]; p45 >= th.Four && best < 4 {
		return 4, fmt.Sprintf("%s; P(level ≥ 4) = %.2f reaches the escalation threshold %.3g → 4", most, p45, th.Four)
	}
	return best, most
}

// Level predicts a severity level (1..5) with the model's decision rule,
// and the probability of that level.
func (m *Model) Level(text string) (int, float64) {
	l, p, _ := m.levelOf(m.Predict(text))
	return l, p
}

// levelOf is Level from the model's prediction, with the reason.
func (m *Model) levelOf(p Prediction) (int, float64, string) {
	l, why := m.decide(p)
	for _, s := range p.Ranked {
		if s.Label == strconv.Itoa(l) {
			return l, s.Probability, why
		}
	}
	return l, 0, why
}
