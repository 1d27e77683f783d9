package triage

import (
	"fmt"
	"math"
	"slices"
	"strconv"
)

// TaxonomyVersion is the taxonomy file format this version understands.
const TaxonomyVersion = 1

// OutOfScope is the label for texts outside every scenario. A model
// trained with it predicts it like any label; the classifier then routes
// the text to review instead of a queue.
const OutOfScope = "oos"

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
	Sentiments     []string        `yaml:"sentiments"`
	Emotions       []string        `yaml:"emotions"`
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

// Scenario returns the scenario with the given id.
func (t *Taxonomy) Scenario(id string) (Scenario, bool) {
	return find(t.Scenarios, func(s Scenario) bool { return s.ID == id })
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
	return find(t.SeverityLevels, func(l SeverityLevel) bool { return l.Level == n })
}

// Queue returns the queue with the given id.
func (t *Taxonomy) Queue(id string) (Queue, bool) {
	return find(t.Queues, func(q Queue) bool { return q.ID == id })
}

// Currency returns the currency with the given ISO 4217 code.
func (t *Taxonomy) Currency(code string) (Currency, bool) {
	return find(t.Currencies, func(c Currency) bool { return c.Code == code })
}

// PolicyVariant returns the compensation policy with the given id.
func (t *Taxonomy) PolicyVariant(id string) (PolicyVariant, bool) {
	return find(t.Compensation.Policies, func(p PolicyVariant) bool { return p.ID == id })
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
		if level >= o.MinLevel && !slices.Contains(qs, o.AddQueue) {
			qs = append(qs, o.AddQueue)
		}
	}
	return qs
}

// HasLanguage reports whether lang is one of the taxonomy's languages.
func (t *Taxonomy) HasLanguage(lang string) bool { return slices.Contains(t.Languages, lang) }

// HasChannel reports whether ch is one of the taxonomy's channels.
func (t *Taxonomy) HasChannel(ch string) bool { return slices.Contains(t.Channels, ch) }

// HasForm reports whether form is a known compensation payout form.
func (t *Taxonomy) HasForm(form string) bool { return slices.Contains(t.Compensation.Forms, form) }

// find returns the first element of xs that matches.
func find[T any](xs []T, match func(T) bool) (T, bool) {
	if i := slices.IndexFunc(xs, match); i >= 0 {
		return xs[i], true
	}
	var zero T
	return zero, false
}

// Sentinel errors for compensation requests callers may branch on.
var (
	ErrUnknownScenario = NewError(EINVALID, "unknown scenario")
	ErrUnknownCurrency = NewError(EINVALID, "unknown currency")
	ErrInvalidAmount   = NewError(EINVALID, "invalid amount")
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

// String formats a level as "L3".
func (l SeverityLevel) String() string { return "L" + strconv.Itoa(l.Level) }
