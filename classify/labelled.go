package classify

import (
	"hash/fnv"
	"sort"
	"strconv"

	"github.com/triagedesk/triage"
)

// TrainLabelled trains on labelled complaints of any origin (Scenario
// holds the label, Severity 1..5 or 0 when unknown): both models when
// withSeverity is set and every row is a taxonomy scenario with a
// severity; otherwise the scenario model alone, recording the taxonomy's
// hash when every label is a scenario (or oos).
func TrainLabelled(train, dev []triage.Complaint, tax *triage.Taxonomy, opts TrainOptions, withSeverity bool) (Bundle, error) {
	if withSeverity && triageRows(train, tax) {
		if !triageRows(dev, tax) {
			dev = nil
		}
		return TrainTriage(train, dev, tax, opts)
	}
	if inTaxonomy(train, tax) {
		opts.TaxonomyHash = tax.Hash
	}
	m, err := Train(examples(train), examples(dev), opts)
	return Bundle{Scenario: m}, err
}

func examples(cs []triage.Complaint) []Example {
	out := make([]Example, len(cs))
	for i, c := range cs {
		out[i] = Example{Text: c.Text, Label: c.Scenario}
	}
	return out
}

// triageRows: every row a taxonomy scenario with a severity.
func triageRows(cs []triage.Complaint, tax *triage.Taxonomy) bool {
	for _, c := range cs {
		if _, ok := tax.Scenario(c.Scenario); !ok || c.Severity < 1 || c.Severity > 5 {
			return false
		}
	}
	return len(cs) > 0
}

// inTaxonomy reports whether every label is a taxonomy scenario (or oos).
func inTaxonomy(cs []triage.Complaint, tax *triage.Taxonomy) bool {
	for _, c := range cs {
		if _, ok := tax.Scenario(c.Scenario); !ok && c.Scenario != OutOfScope {
			return false
		}
	}
	return len(cs) > 0
}

// HoldOut splits off about frac of the rows of each label (at least one
// when a label has three or more), chosen by a seeded hash of each row's
// key, so the split is stable for the same data and seed.
func HoldOut[T any](rows []T, frac float64, seed uint64, label, key func(T) string) (train, dev []T) {
	byLabel := map[string][]T{}
	var labels []string
	for _, r := range rows {
		l := label(r)
		if _, ok := byLabel[l]; !ok {
			labels = append(labels, l)
		}
		byLabel[l] = append(byLabel[l], r)
	}
	sort.Strings(labels)
	hash := func(r T) uint64 {
		h := fnv.New64a()
		h.Write([]byte(strconv.FormatUint(seed, 10) + "/" + key(r)))
		return h.Sum64()
	}
	for _, l := range labels {
		rs := byLabel[l]
		sort.SliceStable(rs, func(i, j int) bool { return hash(rs[i]) < hash(rs[j]) })
		n := int(frac*float64(len(rs)) + 0.5)
		if n == 0 && len(rs) >= 3 {
			n = 1
		}
		dev = append(dev, rs[:n]...)
		train = append(train, rs[n:]...)
	}
	return train, dev
}
