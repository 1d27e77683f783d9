package datasets

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// TaxonomyVersion is the taxonomy file format this package reads.
const TaxonomyVersion = 1

// Text is a short text in several languages, keyed by ISO 639-1 code.
type Text map[string]string

// In returns the text in lang, falling back to English, then Chinese.
func (t Text) In(lang string) string {
	if s, ok := t[lang]; ok && s != "" {
		return s
	}
	if s, ok := t["en"]; ok && s != "" {
		return s
	}
	return t["zh"]
}

// Taxonomy is the run-time source of truth for scenarios, severity levels,
// queues, escalation signals, currencies and the compensation policy.
type Taxonomy struct {
	Version        int             `yaml:"version"`
	BaseCurrency   string          `yaml:"base_currency"`
	Languages      []string        `yaml:"languages"`
	Channels       []string        `yaml:"channels"`
	Queues         []Queue         `yaml:"queues"`
	SeverityLevels []SeverityLevel `yaml:"severity_levels"`
	QueueOverrides []QueueOverride `yaml:"queue_overrides"`
	Scenarios      []Scenario      `yaml:"scenarios"`
	Currencies     []Currency      `yaml:"currencies"`
	Escalation     Escalation      `yaml:"escalation"`
	Compensation   Policy          `yaml:"compensation"`
	Drafting       Drafting        `yaml:"drafting"`

	// Hash is the hex SHA-256 of the file the taxonomy was parsed from, so a
	// trained model can record which taxonomy it was trained against.
	Hash string `yaml:"-"`
}

// Queue is a team that works a class of cases.
type Queue struct {
	ID   string `yaml:"id"`
	Name Text   `yaml:"name"`
}

// SeverityLevel is one of the five levels with its first-response SLA.
type SeverityLevel struct {
	Level       int  `yaml:"level"`
	Name        Text `yaml:"name"`
	Description Text `yaml:"description"`
	SLAMinutes  int  `yaml:"sla_minutes"`
}

// QueueOverride adds a queue to every case at or above a severity level.
type QueueOverride struct {
	MinLevel int    `yaml:"min_level"`
	AddQueue string `yaml:"add_queue"`
}

// Scenario is one complaint scenario with its routing defaults.
type Scenario struct {
	ID                  string   `yaml:"id"`
	Name                Text     `yaml:"name"`
	Description         Text     `yaml:"description"`
	Queue               string   `yaml:"queue"`
	DefaultSeverity     int      `yaml:"default_severity"`
	ConfidenceThreshold float64  `yaml:"confidence_threshold"`
	CompensationPolicy  string   `yaml:"compensation_policy"`
	Guidance            Guidance `yaml:"guidance"`
}

// Guidance is what replies say and agents do for one scenario.
type Guidance struct {
	// Reply tells the customer, in their language, what we are doing.
	Reply Text `yaml:"reply"`
	// Ask lists what to ask the customer for when the evidence is thin
	// (it follows Drafting.AskIntro).
	Ask Text `yaml:"ask"`
	// NextSteps are the agent's checklist.
	NextSteps []Text `yaml:"next_steps"`
}

// Drafting holds the customer-facing phrases replies are assembled from
// when no LLM writes them, in each language. {n}, {amount} and {cases}
// are filled in by the drafter.
type Drafting struct {
	Greeting             Text `yaml:"greeting"`
	SLAMinutes           Text `yaml:"sla_minutes"`           // with {n}
	SLAHours             Text `yaml:"sla_hours"`             // with {n}
	CompensationAmount   Text `yaml:"compensation_amount"`   // with {amount}
	CompensationGoodwill Text `yaml:"compensation_goodwill"` // with {amount}
	CompensationPending  Text `yaml:"compensation_pending"`
	SimilarCases         Text `yaml:"similar_cases"` // with {cases}
	AskIntro             Text `yaml:"ask_intro"`
	Closing              Text `yaml:"closing"`
	// PromiseTerms are lower-case words (or stems) that make a sentence
	// a promise of money, by language: a draft's amounts are checked in
	// such sentences.
	PromiseTerms map[string][]string `yaml:"promise_terms"`
}

// Currency converts amounts found in complaints into the base currency.
type Currency struct {
	Code    string   `yaml:"code"`
	Rate    float64  `yaml:"rate"`
	Symbols []string `yaml:"symbols"`
}

// Escalation holds the signals that raise a case's severity.
type Escalation struct {
	Amounts []AmountSignal `yaml:"amounts"`
	Signals []Signal       `yaml:"signals"`
}

// AmountSignal raises severity when an amount (in the base currency) reaches
// Threshold.
type AmountSignal struct {
	ID        string  `yaml:"id"`
	Threshold float64 `yaml:"threshold"`
	MinLevel  int     `yaml:"min_level"`
	Reason    Text    `yaml:"reason"`
}

// Signal raises severity to at least MinLevel when one of its phrases
// appears in a complaint. Phrases are keyed by language.
type Signal struct {
	ID       string              `yaml:"id"`
	MinLevel int                 `yaml:"min_level"`
	Reason   Text                `yaml:"reason"`
	Phrases  map[string][]string `yaml:"phrases"`
}

// Policy is the compensation policy: shared delay surcharge and cap, and
// the named per-scenario policies.
type Policy struct {
	MaxAmount      float64         `yaml:"max_amount"`
	DelaySurcharge []DelayTier     `yaml:"delay_surcharge"`
	Forms          []string        `yaml:"forms"`
	Policies       []PolicyVariant `yaml:"policies"`
}

// DelayTier adds Percent of the loss when a resolution was late by
// MinDays..MaxDays days (MaxDays 0: no upper bound).
type DelayTier struct {
	MinDays int     `yaml:"min_days"`
	MaxDays int     `yaml:"max_days"`
	Percent float64 `yaml:"percent"`
}

// PolicyVariant is one named compensation rule a scenario refers to.
type PolicyVariant struct {
	ID             string             `yaml:"id"`
	Description    Text               `yaml:"description"`
	Kind           string             `yaml:"kind"` // "loss" or "fixed"
	Tiers          []LossTier         `yaml:"tiers"`
	DelaySurcharge bool               `yaml:"delay_surcharge"`
	Amounts        map[string]float64 `yaml:"amounts"`
}

// LossTier multiplies a loss up to MaxLoss (base currency; 0: no bound).
type LossTier struct {
	MaxLoss    float64 `yaml:"max_loss"`
	Multiplier float64 `yaml:"multiplier"`
}

// ErrInvalidTaxonomy is wrapped by every taxonomy validation error.
var ErrInvalidTaxonomy = errors.New("invalid taxonomy")

// ParseTaxonomy parses and validates a taxonomy file. name is used in
// error messages, which read "name:line: problem".
func ParseTaxonomy(name string, data []byte) (*Taxonomy, error) {
	var t Taxonomy
	root, err := decodeYAML(name, data, &t)
	if err != nil {
		return nil, fmt.Errorf("%w: %s", ErrInvalidTaxonomy, err)
	}
	t.Hash = hashBytes(data)
	if err := t.validate(name, root); err != nil {
		return nil, err
	}
	return &t, nil
}

func hashBytes(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// decodeYAML decodes data strictly (unknown fields are errors) into v and
// also returns the node tree, so validation can name lines. Errors read
// "name:line: problem".
func decodeYAML(name string, data []byte, v any) (*yaml.Node, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, fmt.Errorf("%s: empty file", name)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, errors.New(yamlMessage(name, err))
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		return nil, errors.New(yamlMessage(name, err))
	}
	return &root, nil
}

var yamlLine = regexp.MustCompile(`line (\d+): `)

// yamlMessage rewrites yaml's "line N: msg" into "name:N: msg".
func yamlMessage(name string, err error) string {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	msg = strings.TrimPrefix(msg, "unmarshal errors:\n")
	var lines []string
	for _, l := range strings.Split(msg, "\n") {
		l = strings.TrimSpace(l)
		if l == "" {
			continue
		}
		if m := yamlLine.FindStringSubmatchIndex(l); m != nil && m[0] == 0 {
			l = name + ":" + l[m[2]:m[3]] + ": " + l[m[1]:]
		} else {
			l = name + ": " + l
		}
		lines = append(lines, l)
	}
	return strings.Join(lines, "; ")
}

// Scenario returns the scenario with the given id.
func (t *Taxonomy) Scenario(id string) (Scenario, bool) {
	for _, s := range t.Scenarios {
		if s.ID == id {
			return s, true
		}
	}
	return Scenario{}, false
}

// ScenarioIDs returns the scenario ids in file order.
func (t *Taxonomy) ScenarioIDs() []string {
	ids := make([]string, len(t.Scenarios))
	for i, s := range t.Scenarios {
		ids[i] = s.ID
	}
	return ids
}

// Level returns the severity level n.
func (t *Taxonomy) Level(n int) (SeverityLevel, bool) {
	for _, l := range t.SeverityLevels {
		if l.Level == n {
			return l, true
		}
	}
	return SeverityLevel{}, false
}

// Queue returns the queue with the given id.
func (t *Taxonomy) Queue(id string) (Queue, bool) {
	for _, q := range t.Queues {
		if q.ID == id {
			return q, true
		}
	}
	return Queue{}, false
}

// Currency returns the currency with the given ISO 4217 code.
func (t *Taxonomy) Currency(code string) (Currency, bool) {
	for _, c := range t.Currencies {
		if c.Code == code {
			return c, true
		}
	}
	return Currency{}, false
}

// PolicyVariant returns the compensation policy with the given id.
func (t *Taxonomy) PolicyVariant(id string) (PolicyVariant, bool) {
	for _, p := range t.Compensation.Policies {
		if p.ID == id {
			return p, true
		}
	}
	return PolicyVariant{}, false
}

// QueuesFor returns the queues a case of this scenario and severity goes to:
// the scenario's queue first, then any added by severity overrides.
func (t *Taxonomy) QueuesFor(scenario string, level int) []string {
	s, ok := t.Scenario(scenario)
	if !ok {
		return nil
	}
	qs := []string{s.Queue}
	for _, o := range t.QueueOverrides {
		if level >= o.MinLevel && !contains(qs, o.AddQueue) {
			qs = append(qs, o.AddQueue)
		}
	}
	return qs
}

// HasLanguage reports whether lang is one of the taxonomy's languages.
func (t *Taxonomy) HasLanguage(lang string) bool { return contains(t.Languages, lang) }

// HasChannel reports whether ch is one of the taxonomy's channels.
func (t *Taxonomy) HasChannel(ch string) bool { return contains(t.Channels, ch) }

// HasForm reports whether form is a known compensation payout form.
func (t *Taxonomy) HasForm(form string) bool { return contains(t.Compensation.Forms, form) }

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// Sentinel errors for compensation requests callers may branch on.
var (
	ErrUnknownScenario = errors.New("unknown scenario")
	ErrUnknownCurrency = errors.New("unknown currency")
	ErrInvalidAmount   = errors.New("invalid amount")
)

// Compensate computes what the policy allows for a case of scenario with
// the given loss (in currency) resolved delayDays late. The result has
// every field but Form set; Amount is rounded to cents.
func (t *Taxonomy) Compensate(scenario string, loss float64, currency string, delayDays int) (Compensation, error) {
	s, ok := t.Scenario(scenario)
	if !ok {
		return Compensation{}, fmt.Errorf("compensate: %w %q", ErrUnknownScenario, scenario)
	}
	cur, ok := t.Currency(currency)
	if !ok {
		return Compensation{}, fmt.Errorf("compensate: %w %q", ErrUnknownCurrency, currency)
	}
	if loss < 0 || math.IsNaN(loss) || math.IsInf(loss, 0) || delayDays < 0 {
		return Compensation{}, fmt.Errorf("compensate: %w: loss %v, delay %d days", ErrInvalidAmount, loss, delayDays)
	}
	p, _ := t.PolicyVariant(s.CompensationPolicy) // validated at load
	c := Compensation{Policy: p.ID, Loss: loss, Currency: cur.Code, DelayDays: delayDays}
	if p.Kind == "fixed" {
		c.Loss = 0
		c.Amount = p.Amounts[cur.Code]
		return c, nil
	}
	base := loss * p.Tiers[len(p.Tiers)-1].Multiplier
	for _, tier := range p.Tiers {
		if tier.MaxLoss == 0 || loss*cur.Rate <= tier.MaxLoss {
			base = loss * tier.Multiplier
			break
		}
	}
	if p.DelaySurcharge {
		base += loss * t.delayPercent(delayDays) / 100
	}
	if max := t.Compensation.MaxAmount / cur.Rate; t.Compensation.MaxAmount > 0 && base > max {
		base = max
	}
	c.Amount = math.Round(base*100) / 100
	return c, nil
}

func (t *Taxonomy) delayPercent(days int) float64 {
	for _, d := range t.Compensation.DelaySurcharge {
		if days >= d.MinDays && (d.MaxDays == 0 || days <= d.MaxDays) {
			return d.Percent
		}
	}
	return 0
}

// validateDrafting: every phrase in English, and each placeholder in
// every language it is written in.
func (t *Taxonomy) validateDrafting(fail func(path []any, format string, args ...any)) {
	d := t.Drafting
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
			fail([]any{"drafting"}, "drafting.%s: missing en", f.key)
		}
		for lang, s := range f.text {
			if f.placeholder != "" && strings.Count(s, f.placeholder) != 1 {
				fail([]any{"drafting", f.key, lang}, "drafting.%s.%s: must contain %s once", f.key, lang, f.placeholder)
			}
		}
	}
	if len(d.PromiseTerms["en"]) == 0 {
		fail([]any{"drafting"}, "drafting.promise_terms: missing en")
	}
	for lang, terms := range d.PromiseTerms {
		for _, term := range terms {
			if term == "" || term != strings.ToLower(term) {
				fail([]any{"drafting", "promise_terms", lang}, "drafting.promise_terms.%s: %q must be non-empty lower case", lang, term)
			}
		}
	}
}

// validate checks cross-references and required values, naming the line
// of each problem. All problems are reported, joined.
func (t *Taxonomy) validate(name string, root *yaml.Node) error {
	var errs []error
	fail := func(path []any, format string, args ...any) {
		line := lineOf(root, path...)
		errs = append(errs, fmt.Errorf("%w: %s:%d: %s", ErrInvalidTaxonomy, name, line, fmt.Sprintf(format, args...)))
	}
	if t.Version == 0 {
		fail(nil, "missing version")
	} else if t.Version != TaxonomyVersion {
		fail([]any{"version"}, "version %d not supported (want %d)", t.Version, TaxonomyVersion)
	}
	if len(t.Languages) == 0 {
		fail(nil, "no languages")
	}
	if len(t.Channels) == 0 {
		fail(nil, "no channels")
	}

	queues := map[string]bool{}
	for i, q := range t.Queues {
		switch {
		case q.ID == "":
			fail([]any{"queues", i}, "queue without id")
		case queues[q.ID]:
			fail([]any{"queues", i, "id"}, "duplicate queue id %q", q.ID)
		}
		queues[q.ID] = true
	}
	if len(t.Queues) == 0 {
		fail(nil, "no queues")
	}

	levels := map[int]bool{}
	for i, l := range t.SeverityLevels {
		switch {
		case l.Level < 1 || l.Level > 5:
			fail([]any{"severity_levels", i, "level"}, "severity level %d outside 1..5", l.Level)
		case levels[l.Level]:
			fail([]any{"severity_levels", i, "level"}, "duplicate severity level %d", l.Level)
		case l.SLAMinutes <= 0:
			fail([]any{"severity_levels", i}, "severity level %d: missing SLA (sla_minutes must be > 0)", l.Level)
		}
		levels[l.Level] = true
	}
	for n := 1; n <= 5; n++ {
		if !levels[n] {
			fail([]any{"severity_levels"}, "severity level %d missing", n)
		}
	}
	for i, o := range t.QueueOverrides {
		if !queues[o.AddQueue] {
			fail([]any{"queue_overrides", i, "add_queue"}, "unknown queue %q", o.AddQueue)
		}
		if o.MinLevel < 1 || o.MinLevel > 5 {
			fail([]any{"queue_overrides", i, "min_level"}, "min_level %d outside 1..5", o.MinLevel)
		}
	}

	policies := map[string]bool{}
	for i, p := range t.Compensation.Policies {
		if policies[p.ID] || p.ID == "" {
			fail([]any{"compensation", "policies", i, "id"}, "duplicate or empty policy id %q", p.ID)
		}
		policies[p.ID] = true
		switch p.Kind {
		case "loss":
			if len(p.Tiers) == 0 {
				fail([]any{"compensation", "policies", i}, "policy %q: no tiers", p.ID)
			}
			for j, tier := range p.Tiers {
				last := j == len(p.Tiers)-1
				if tier.Multiplier <= 0 {
					fail([]any{"compensation", "policies", i, "tiers", j}, "policy %q: multiplier must be > 0", p.ID)
				}
				if last != (tier.MaxLoss == 0) {
					fail([]any{"compensation", "policies", i, "tiers", j}, "policy %q: only the last tier is unbounded", p.ID)
				}
				if j > 0 && !last && tier.MaxLoss <= p.Tiers[j-1].MaxLoss {
					fail([]any{"compensation", "policies", i, "tiers", j}, "policy %q: tiers must ascend", p.ID)
				}
			}
		case "fixed":
			for _, c := range t.Currencies {
				if _, ok := p.Amounts[c.Code]; !ok {
					fail([]any{"compensation", "policies", i, "amounts"}, "policy %q: no amount for currency %s", p.ID, c.Code)
				}
			}
		default:
			fail([]any{"compensation", "policies", i, "kind"}, "policy %q: kind must be loss or fixed, not %q", p.ID, p.Kind)
		}
	}
	for i, d := range t.Compensation.DelaySurcharge {
		if d.MinDays < 1 || (d.MaxDays != 0 && d.MaxDays < d.MinDays) || d.Percent < 0 {
			fail([]any{"compensation", "delay_surcharge", i}, "bad delay tier %d..%d days", d.MinDays, d.MaxDays)
		}
		if i > 0 {
			prev := t.Compensation.DelaySurcharge[i-1]
			if prev.MaxDays == 0 || d.MinDays <= prev.MaxDays {
				fail([]any{"compensation", "delay_surcharge", i}, "delay tiers overlap")
			}
		}
	}
	if len(t.Compensation.Forms) == 0 {
		fail([]any{"compensation"}, "no compensation forms")
	}

	scenarios := map[string]bool{}
	for i, s := range t.Scenarios {
		at := func(k string) []any { return []any{"scenarios", i, k} }
		if s.ID == "" {
			fail([]any{"scenarios", i}, "scenario without id")
		} else if scenarios[s.ID] {
			fail(at("id"), "duplicate scenario id %q", s.ID)
		}
		scenarios[s.ID] = true
		if !queues[s.Queue] {
			fail(at("queue"), "scenario %q: unknown queue %q", s.ID, s.Queue)
		}
		if s.DefaultSeverity < 1 || s.DefaultSeverity > 5 {
			fail(at("default_severity"), "scenario %q: default_severity %d outside 1..5", s.ID, s.DefaultSeverity)
		}
		if s.ConfidenceThreshold <= 0 || s.ConfidenceThreshold >= 1 {
			fail(at("confidence_threshold"), "scenario %q: confidence_threshold must be in (0,1)", s.ID)
		}
		if !policies[s.CompensationPolicy] {
			fail(at("compensation_policy"), "scenario %q: unknown compensation policy %q", s.ID, s.CompensationPolicy)
		}
		for _, lang := range []string{"en", "zh"} {
			if s.Name[lang] == "" || s.Description[lang] == "" {
				fail([]any{"scenarios", i}, "scenario %q: name and description need %s", s.ID, lang)
			}
		}
		if s.Guidance.Reply["en"] == "" || s.Guidance.Ask["en"] == "" || len(s.Guidance.NextSteps) == 0 {
			fail(at("guidance"), "scenario %q: guidance needs reply and ask in en and at least one next step", s.ID)
		}
	}
	t.validateDrafting(fail)
	if len(t.Scenarios) == 0 {
		fail(nil, "no scenarios")
	}

	currencies := map[string]bool{}
	for i, c := range t.Currencies {
		if currencies[c.Code] || len(c.Code) != 3 {
			fail([]any{"currencies", i}, "duplicate or malformed currency code %q", c.Code)
		}
		currencies[c.Code] = true
		if c.Rate <= 0 {
			fail([]any{"currencies", i}, "currency %s: rate must be > 0", c.Code)
		}
	}
	if base, ok := t.Currency(t.BaseCurrency); !ok || base.Rate != 1 {
		fail([]any{"base_currency"}, "base currency %q must be listed with rate 1", t.BaseCurrency)
	}

	signals := map[string]bool{}
	for i, a := range t.Escalation.Amounts {
		if a.Threshold <= 0 || a.MinLevel < 1 || a.MinLevel > 5 || signals[a.ID] {
			fail([]any{"escalation", "amounts", i}, "amount signal %q: needs a unique id, threshold > 0 and min_level 1..5", a.ID)
		}
		signals[a.ID] = true
	}
	for i, s := range t.Escalation.Signals {
		if s.ID == "" || signals[s.ID] {
			fail([]any{"escalation", "signals", i}, "duplicate or empty signal id %q", s.ID)
		}
		signals[s.ID] = true
		if s.MinLevel < 1 || s.MinLevel > 5 {
			fail([]any{"escalation", "signals", i, "min_level"}, "signal %q: min_level outside 1..5", s.ID)
		}
		if len(s.Phrases) == 0 {
			fail([]any{"escalation", "signals", i}, "signal %q: no phrases", s.ID)
		}
		for lang, ps := range s.Phrases {
			for _, p := range ps {
				if strings.TrimSpace(strings.TrimSuffix(p, "*")) == "" {
					fail([]any{"escalation", "signals", i, "phrases", lang}, "signal %q: empty phrase in %s", s.ID, lang)
				}
			}
		}
	}
	return errors.Join(errs...)
}

// lineOf walks the YAML tree along path (map keys as strings, sequence
// indexes as ints) and returns the line of the deepest node found.
func lineOf(root *yaml.Node, path ...any) int {
	n := root
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	line := n.Line
	for _, p := range path {
		var next *yaml.Node
		switch k := p.(type) {
		case string:
			if n.Kind == yaml.MappingNode {
				for i := 0; i+1 < len(n.Content); i += 2 {
					if n.Content[i].Value == k {
						next = n.Content[i+1]
						if next.Kind == yaml.ScalarNode {
							next = n.Content[i]
						}
						break
					}
				}
			}
		case int:
			if n.Kind == yaml.SequenceNode && k < len(n.Content) {
				next = n.Content[k]
			}
		}
		if next == nil {
			break
		}
		n, line = next, next.Line
	}
	return line
}

// String formats a level as "L3".
func (l SeverityLevel) String() string { return "L" + strconv.Itoa(l.Level) }
