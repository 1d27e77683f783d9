package classify

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/triagedesk/triage"
)

// TrainTriage trains the bundle for taxonomy-labelled complaints: the
// scenario model, and the severity model from the same texts. The
// taxonomy's hash is recorded in both.
func TrainTriage(train, dev []triage.Complaint, tax *triage.Taxonomy, opts TrainOptions) (Bundle, error) {
	opts.TaxonomyHash = tax.Hash
	opts.Lexicon = withSignals(opts.Lexicon, tax)
	scen := func(cs []triage.Complaint) []Example {
		out := make([]Example, len(cs))
		for i, c := range cs {
			out[i] = Example{Text: c.Text, Label: c.Scenario}
		}
		return out
	}
	sev := func(cs []triage.Complaint) []Example {
		out := make([]Example, len(cs))
		for i, c := range cs {
			out[i] = Example{Text: c.Text, Label: strconv.Itoa(c.Severity), Group: c.Writer}
		}
		return out
	}
	s, err := Train(scen(train), scen(dev), opts)
	if err != nil {
		return Bundle{}, fmt.Errorf("scenario model: %w", err)
	}
	esc := newEscalator(tax)
	floor := func(text string) int { return esc.floor(text, "") }
	v, err := TrainSeverity(sev(train), sev(dev), opts, floor)
	if err != nil {
		return Bundle{}, fmt.Errorf("severity model: %w", err)
	}
	b := Bundle{Scenario: s, Severity: v}
	b.shareVectorizer()
	return b, nil
}

// withSignals returns the lexicon with one concept per escalation signal
// of the taxonomy (id "signal:<id>", its phrases as terms), so both
// models see "mentions legal action" as one feature in every language,
// as the rules do.
func withSignals(lexicon []triage.Concept, tax *triage.Taxonomy) []triage.Concept {
	out := slices.Clone(lexicon)
	for _, s := range tax.Escalation.Signals {
		id := "signal:" + s.ID
		if !slices.ContainsFunc(out, func(c triage.Concept) bool { return c.ID == id }) {
			out = append(out, triage.Concept{ID: id, Terms: s.Phrases})
		}
	}
	return out
}
