package triage

import (
	"fmt"
	"strings"
)

// ErrInvalidTaxonomy is wrapped by every taxonomy validation error.
var ErrInvalidTaxonomy = NewError(EINVALID, "invalid taxonomy")

// Problem is one thing wrong with a taxonomy: where it is, as a path of
// map keys (strings) and sequence indexes (ints) into the file, and what.
// A loader turns the path into a line number.
type Problem struct {
	Path    []any
	Message string
}

// Validate checks required values and cross-references, section by
// section, and returns every problem found (none for a valid taxonomy).
func (t *Taxonomy) Validate() []Problem {
	var c taxonomyCheck
	c.header(t)
	queues := c.queues(t)
	c.levels(t, queues)
	policies := c.policies(t)
	c.scenarios(t, queues, policies)
	c.drafting(t.Drafting)
	c.currencies(t)
	c.escalation(t.Escalation)
	return c.problems
}

// taxonomyCheck collects problems; each method checks one section.
type taxonomyCheck struct{ problems []Problem }

func (c *taxonomyCheck) fail(path []any, format string, args ...any) {
	c.problems = append(c.problems, Problem{Path: path, Message: fmt.Sprintf(format, args...)})
}

func (c *taxonomyCheck) header(t *Taxonomy) {
	if t.Version == 0 {
		c.fail(nil, "missing version")
	} else if t.Version != TaxonomyVersion {
		c.fail([]any{"version"}, "version %d not supported (want %d)", t.Version, TaxonomyVersion)
	}
	if len(t.Languages) == 0 {
		c.fail(nil, "no languages")
	}
	if len(t.Channels) == 0 {
		c.fail(nil, "no channels")
	}
	if len(t.Sentiments) == 0 {
		c.fail(nil, "no sentiments")
	}
	if len(t.Emotions) == 0 {
		c.fail(nil, "no emotions")
	}
}

func (c *taxonomyCheck) queues(t *Taxonomy) map[string]bool {
	queues := map[string]bool{}
	for i, q := range t.Queues {
		switch {
		case q.ID == "":
			c.fail([]any{"queues", i}, "queue without id")
		case queues[q.ID]:
			c.fail([]any{"queues", i, "id"}, "duplicate queue id %q", q.ID)
		}
		queues[q.ID] = true
	}
	if len(t.Queues) == 0 {
		c.fail(nil, "no queues")
	}
	return queues
}

// levels checks the five severity levels and the queue overrides that
// refer to them.
func (c *taxonomyCheck) levels(t *Taxonomy, queues map[string]bool) {
	levels := map[int]bool{}
	for i, l := range t.SeverityLevels {
		switch {
		case l.Level < 1 || l.Level > 5:
			c.fail([]any{"severity_levels", i, "level"}, "severity level %d outside 1..5", l.Level)
		case levels[l.Level]:
			c.fail([]any{"severity_levels", i, "level"}, "duplicate severity level %d", l.Level)
		case l.SLAMinutes <= 0:
			c.fail([]any{"severity_levels", i}, "severity level %d: missing SLA (sla_minutes must be > 0)", l.Level)
		}
		levels[l.Level] = true
	}
	for n := 1; n <= 5; n++ {
		if !levels[n] {
			c.fail([]any{"severity_levels"}, "severity level %d missing", n)
		}
	}
	for i, o := range t.QueueOverrides {
		if !queues[o.AddQueue] {
			c.fail([]any{"queue_overrides", i, "add_queue"}, "unknown queue %q", o.AddQueue)
		}
		if o.MinLevel < 1 || o.MinLevel > 5 {
			c.fail([]any{"queue_overrides", i, "min_level"}, "min_level %d outside 1..5", o.MinLevel)
		}
	}
}

// policies checks the compensation section and returns the policy ids.
func (c *taxonomyCheck) policies(t *Taxonomy) map[string]bool {
	policies := map[string]bool{}
	for i, p := range t.Compensation.Policies {
		at := []any{"compensation", "policies", i}
		if policies[p.ID] || p.ID == "" {
			c.fail(append(at, "id"), "duplicate or empty policy id %q", p.ID)
		}
		policies[p.ID] = true
		switch p.Kind {
		case "loss":
			c.lossTiers(at, p)
		case "fixed":
			for _, cur := range t.Currencies {
				if _, ok := p.Amounts[cur.Code]; !ok {
					c.fail(append(at, "amounts"), "policy %q: no amount for currency %s", p.ID, cur.Code)
				}
			}
		default:
			c.fail(append(at, "kind"), "policy %q: kind must be loss or fixed, not %q", p.ID, p.Kind)
		}
	}
	for i, d := range t.Compensation.DelaySurcharge {
		at := []any{"compensation", "delay_surcharge", i}
		if d.MinDays < 1 || (d.MaxDays != 0 && d.MaxDays < d.MinDays) || d.Percent < 0 {
			c.fail(at, "bad delay tier %d..%d days", d.MinDays, d.MaxDays)
		}
		if i > 0 {
			prev := t.Compensation.DelaySurcharge[i-1]
			if prev.MaxDays == 0 || d.MinDays <= prev.MaxDays {
				c.fail(at, "delay tiers overlap")
			}
		}
	}
	if len(t.Compensation.Forms) == 0 {
		c.fail([]any{"compensation"}, "no compensation forms")
	}
	return policies
}

func (c *taxonomyCheck) lossTiers(at []any, p PolicyVariant) {
	if len(p.Tiers) == 0 {
		c.fail(at, "policy %q: no tiers", p.ID)
	}
	for j, tier := range p.Tiers {
		path := append(append([]any{}, at...), "tiers", j)
		last := j == len(p.Tiers)-1
		if tier.Multiplier <= 0 {
			c.fail(path, "policy %q: multiplier must be > 0", p.ID)
		}
		if last != (tier.MaxLoss == 0) {
			c.fail(path, "policy %q: only the last tier is unbounded", p.ID)
		}
		if j > 0 && !last && tier.MaxLoss <= p.Tiers[j-1].MaxLoss {
			c.fail(path, "policy %q: tiers must ascend", p.ID)
		}
	}
}

func (c *taxonomyCheck) scenarios(t *Taxonomy, queues, policies map[string]bool) {
	scenarios := map[string]bool{}
	for i, s := range t.Scenarios {
		at := func(k string) []any { return []any{"scenarios", i, k} }
		if s.ID == "" {
			c.fail([]any{"scenarios", i}, "scenario without id")
		} else if scenarios[s.ID] {
			c.fail(at("id"), "duplicate scenario id %q", s.ID)
		}
		scenarios[s.ID] = true
		if !queues[s.Queue] {
			c.fail(at("queue"), "scenario %q: unknown queue %q", s.ID, s.Queue)
		}
		if s.DefaultSeverity < 1 || s.DefaultSeverity > 5 {
			c.fail(at("default_severity"), "scenario %q: default_severity %d outside 1..5", s.ID, s.DefaultSeverity)
		}
		if s.ConfidenceThreshold <= 0 || s.ConfidenceThreshold >= 1 {
			c.fail(at("confidence_threshold"), "scenario %q: confidence_threshold must be in (0,1)", s.ID)
		}
		if !policies[s.CompensationPolicy] {
			c.fail(at("compensation_policy"), "scenario %q: unknown compensation policy %q", s.ID, s.CompensationPolicy)
		}
		for _, lang := range []string{"en", "zh"} {
			if s.Name[lang] == "" || s.Description[lang] == "" {
				c.fail([]any{"scenarios", i}, "scenario %q: name and description need %s", s.ID, lang)
			}
		}
		if s.Guidance.Reply["en"] == "" || s.Guidance.Ask["en"] == "" || len(s.Guidance.NextSteps) == 0 {
			c.fail(at("guidance"), "scenario %q: guidance needs reply and ask in en and at least one next step", s.ID)
		}
	}
	if len(t.Scenarios) == 0 {
		c.fail(nil, "no scenarios")
	}
}

// drafting: every phrase in English, and each placeholder once in every
// language it is written in.
func (c *taxonomyCheck) drafting(d Drafting) {
	for _, f := range []struct {
		key, placeholder string
		text             Text
	}{
		{"greeting", "", d.Greeting}, {"sla_minutes", "{n}", d.SLAMinutes}, {"sla_hours", "{n}", d.SLAHours},
		{"compensation_amount", "{amount}", d.CompensationAmount}, {"compensation_goodwill", "{amount}", d.CompensationGoodwill},
		{"compensation_pending", "", d.CompensationPending}, {"similar_cases", "{cases}", d.SimilarCases},
		{"ask_intro", "", d.AskIntro}, {"closing", "", d.Closing},
	} {
		if f.text["en"] == "" {
			c.fail([]any{"drafting"}, "drafting.%s: missing en", f.key)
		}
		for lang, s := range f.text {
			if f.placeholder != "" && strings.Count(s, f.placeholder) != 1 {
				c.fail([]any{"drafting", f.key, lang}, "drafting.%s.%s: must contain %s once", f.key, lang, f.placeholder)
			}
		}
	}
	if len(d.PromiseTerms["en"]) == 0 {
		c.fail([]any{"drafting"}, "drafting.promise_terms: missing en")
	}
	for lang, terms := range d.PromiseTerms {
		for _, term := range terms {
			if term == "" || term != strings.ToLower(term) {
				c.fail([]any{"drafting", "promise_terms", lang}, "drafting.promise_terms.%s: %q must be non-empty lower case", lang, term)
			}
		}
	}
}

func (c *taxonomyCheck) currencies(t *Taxonomy) {
	currencies := map[string]bool{}
	for i, cur := range t.Currencies {
		if currencies[cur.Code] || len(cur.Code) != 3 {
			c.fail([]any{"currencies", i}, "duplicate or malformed currency code %q", cur.Code)
		}
		currencies[cur.Code] = true
		if cur.Rate <= 0 {
			c.fail([]any{"currencies", i}, "currency %s: rate must be > 0", cur.Code)
		}
	}
	if base, ok := t.Currency(t.BaseCurrency); !ok || base.Rate != 1 {
		c.fail([]any{"base_currency"}, "base currency %q must be listed with rate 1", t.BaseCurrency)
	}
}

func (c *taxonomyCheck) escalation(e Escalation) {
	signals := map[string]bool{}
	for i, a := range e.Amounts {
		if a.Threshold <= 0 || a.MinLevel < 1 || a.MinLevel > 5 || signals[a.ID] {
			c.fail([]any{"escalation", "amounts", i}, "amount signal %q: needs a unique id, threshold > 0 and min_level 1..5", a.ID)
		}
		signals[a.ID] = true
	}
	for i, s := range e.Signals {
		at := []any{"escalation", "signals", i}
		if s.ID == "" || signals[s.ID] {
			c.fail(at, "duplicate or empty signal id %q", s.ID)
		}
		signals[s.ID] = true
		if s.MinLevel < 1 || s.MinLevel > 5 {
			c.fail(append(at, "min_level"), "signal %q: min_level outside 1..5", s.ID)
		}
		if len(s.Phrases) == 0 {
			c.fail(at, "signal %q: no phrases", s.ID)
		}
		for lang, ps := range s.Phrases {
			for _, p := range ps {
				if strings.TrimSpace(strings.TrimSuffix(p, "*")) == "" {
					c.fail(append(at, "phrases", lang), "signal %q: empty phrase in %s", s.ID, lang)
				}
			}
		}
	}
}
