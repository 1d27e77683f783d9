package classify

import (
	"fmt"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/triagedesk/triage"
	"github.com/triagedesk/triage/features"
)

// Severity is a case's level with the reasons it was set there.
type Severity struct {
	Level   int      `json:"level"`
	Reasons []string `json:"reasons"`
	// Signals are the ids of the escalation signals that fired.
	Signals []string `json:"signals,omitempty"`
	// Amounts are the sums of money found in the text.
	Amounts []features.Amount `json:"amounts,omitempty"`
}

type phrase struct {
	text   string // lower-cased
	prefix bool   // "*" suffix: may continue with more letters
	sub    bool   // match anywhere
}

type signalMatcher struct {
	signal  triage.Signal
	phrases map[string][]phrase // by language
}

// escalator applies the taxonomy's escalation signals.
type escalator struct {
	tax     *triage.Taxonomy
	signals []signalMatcher
	amounts *features.AmountFinder
}

func newEscalator(tax *triage.Taxonomy) *escalator {
	e := &escalator{tax: tax, amounts: features.NewAmountFinder(tax)}
	for _, s := range tax.Escalation.Signals {
		m := signalMatcher{signal: s, phrases: map[string][]phrase{}}
		for lang, ps := range s.Phrases {
			for _, p := range ps {
				ph := phrase{text: strings.ToLower(strings.TrimSuffix(p, "*")), prefix: strings.HasSuffix(p, "*"), sub: features.InsideWords(lang)}
				m.phrases[lang] = append(m.phrases[lang], ph)
			}
		}
		e.signals = append(e.signals, m)
	}
	return e
}

// languagesToCheck: the detected language, English (mixed into tickets
// everywhere), Chinese when the text has Han; every language when
// undetermined.
func (e *escalator) languagesToCheck(text, lang string) []string {
	if lang == Undetermined || lang == "" {
		return e.tax.Languages
	}
	langs := []string{lang}
	if lang != "en" {
		langs = append(langs, "en")
	}
	if lang != "zh" {
		for _, r := range text {
			if unicode.Is(unicode.Han, r) {
				langs = append(langs, "zh")
				break
			}
		}
	}
	return langs
}

// match reports the first phrase of the signal found in lower.
func (m *signalMatcher) match(lower string, langs []string) (string, bool) {
	for _, lang := range langs {
		for _, p := range m.phrases[lang] {
			if p.matches(lower) {
				return p.text, true
			}
		}
	}
	return "", false
}

func (p phrase) matches(s string) bool {
	for off := 0; ; {
		i := strings.Index(s[off:], p.text)
		if i < 0 {
			return false
		}
		i += off
		end := i + len(p.text)
		if p.sub || (features.BoundaryBefore(s, i) && (p.prefix || features.BoundaryAfter(s, end))) {
			return true
		}
		_, size := utf8.DecodeRuneInString(s[i:])
		off = i + size
	}
}

// assess returns the rule-based severity: the scenario's default raised
// by every signal and amount threshold that fires, each with its reason.
func (e *escalator) assess(text, lang, scenario string) Severity {
	s, ok := e.tax.Scenario(scenario)
	if !ok {
		return Severity{}
	}
	sev := Severity{Level: s.DefaultSeverity, Reasons: []string{fmt.Sprintf("default for %s: %d", scenario, s.DefaultSeverity)}}
	lower := strings.ToLower(text)
	langs := e.languagesToCheck(text, lang)
	for i := range e.signals {
		m := &e.signals[i]
		if p, ok := m.match(lower, langs); ok {
			sev.Signals = append(sev.Signals, m.signal.ID)
			sev.raise(m.signal.MinLevel, fmt.Sprintf("%s: %s (%q)", m.signal.ID, m.signal.Reason.In("en"), p))
		}
	}
	sev.Amounts = e.amounts.Find(text)
	if len(sev.Amounts) > 0 {
		max := sev.Amounts[0]
		for _, a := range sev.Amounts[1:] {
			if a.Base > max.Base {
				max = a
			}
		}
		thresholds := append([]triage.AmountSignal(nil), e.tax.Escalation.Amounts...)
		sort.Slice(thresholds, func(a, b int) bool { return thresholds[a].Threshold > thresholds[b].Threshold })
		for _, t := range thresholds {
			if max.Base >= t.Threshold {
				sev.Signals = append(sev.Signals, t.ID)
				sev.raise(t.MinLevel, fmt.Sprintf("%s: %q ≈ %.0f %s ≥ %.0f", t.ID, max.Text, max.Base, e.tax.BaseCurrency, t.Threshold))
				break
			}
		}
	}
	return sev
}

// raise lifts the level to at least level, recording why; a signal that
// does not change the level is still recorded.
func (s *Severity) raise(level int, reason string) {
	if level > s.Level {
		s.Level = level
		s.Reasons = append(s.Reasons, reason+fmt.Sprintf(" → %d", level))
		return
	}
	s.Reasons = append(s.Reasons, reason)
}

// signalLevel is the highest level the given signals force.
func (e *escalator) signalLevel(ids []string) int {
	lvl := 0
	for _, id := range ids {
		for _, s := range e.tax.Escalation.Signals {
			if s.ID == id {
				lvl = max(lvl, s.MinLevel)
			}
		}
		for _, a := range e.tax.Escalation.Amounts {
			if a.ID == id {
				lvl = max(lvl, a.MinLevel)
			}
		}
	}
	return lvl
}

// floor is the level the escalation signals alone force on a text (0
// when none fires). lang may be empty: then every language's phrases
// are checked.
func (e *escalator) floor(text, lang string) int {
	if lang == "" {
		lang = Undetermined
	}
	sev := e.assess(text, lang, e.tax.Scenarios[0].ID)
	return e.signalLevel(sev.Signals)
}
