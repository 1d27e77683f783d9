package classify

import (
	"fmt"
	"strconv"
)

// Severity models are ordinal: predicting a level lower than the truth
// (under-triage) costs more than predicting one higher. The decision rule
// picks the highest level L whose probability of "L or above" reaches
// Tau; Tau 0.5 is the median level, smaller Tau leans higher.

// MaxUnderTriage is the share of level 4–5 cases a severity model may
// place too low on the dev split when its Tau is chosen.
const MaxUnderTriage = 0.08

// TrainSeverity trains a severity model on examples labelled "1".."5"
// and picks its decision threshold on dev: the Tau with the best dev
// accuracy whose under-triage of levels 4–5 stays within MaxUnderTriage.
func TrainSeverity(train, dev []Example, opts TrainOptions) (*Model, error) {
	for i, ex := range append(append([]Example{}, train...), dev...) {
		if l, err := strconv.Atoi(ex.Label); err != nil || l < 1 || l > 5 {
			return nil, fmt.Errorf("train severity: example %d: label %q is not a level 1..5", i+1, ex.Label)
		}
	}
	m, err := Train(train, dev, opts)
	if err != nil {
		return nil, fmt.Errorf("train severity: %w", err)
	}
	m.Meta.OrdinalTau = 0.5
	if len(dev) == 0 {
		return m, nil
	}
	probs := make([]Prediction, len(dev))
	for i, ex := range dev {
		probs[i] = m.Predict(ex.Text)
	}
	bestAcc, bestTau := -1.0, 0.5
	for tau := 0.50; tau >= 0.049; tau -= 0.025 {
		m.Meta.OrdinalTau = tau
		right, under, n45 := 0, 0, 0
		for i, ex := range dev {
			gold, _ := strconv.Atoi(ex.Label)
			got := m.level(probs[i])
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
		acc := float64(right) / float64(len(dev))
		ok := n45 == 0 || float64(under)/float64(n45) <= MaxUnderTriage
		if ok && acc > bestAcc {
			bestAcc = acc
			m.Meta.Metrics.DevAccuracy = acc
			m.Meta.Metrics.DevUnderTriage = float64(under) / float64(max(n45, 1))
			bestTau = tau
		}
	}
	if bestAcc < 0 {
		bestTau = 0.05 // nothing met the bound: lean as high as the rule allows
	}
	m.Meta.OrdinalTau = bestTau
	return m, nil
}

// level applies the ordinal decision rule to a severity prediction.
func (m *Model) level(p Prediction) int {
	var byLevel [6]float64
	for _, s := range p.Ranked {
		if l, err := strconv.Atoi(s.Label); err == nil && l >= 1 && l <= 5 {
			byLevel[l] = s.Probability
		}
	}
	tau := m.Meta.OrdinalTau
	if tau <= 0 {
		tau = 0.5
	}
	atLeast := 0.0
	for l := 5; l >= 1; l-- {
		atLeast += byLevel[l]
		if atLeast >= tau {
			return l
		}
	}
	return 1
}

// Level predicts a severity level (1..5) with the model's decision rule,
// and the probability of that level.
func (m *Model) Level(text string) (int, float64) {
	p := m.Predict(text)
	l := m.level(p)
	for _, s := range p.Ranked {
		if s.Label == strconv.Itoa(l) {
			return l, s.Probability
		}
	}
	return l, 0
}
