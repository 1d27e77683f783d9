package suggest

import (
	"fmt"

	"github.com/triagedesk/triage"
	"github.com/triagedesk/triage/classify"
	"github.com/triagedesk/triage/retrieve"
)

// Request is one complaint to draft a reply for.
type Request struct {
	// Text is the complaint as the customer wrote it (it is redacted
	// before it leaves the process).
	Text string
	// Result is the complaint's classification.
	Result classify.Result
	// Cases are similar resolved cases, best first.
	Cases []retrieve.Result
	// Loss is the loss verified in the order or payment system; nil
	// until someone has verified it. It is never read from the complaint.
	Loss *triage.Money
	// DelayDays is how many days late the resolution is.
	DelayDays int
	// Currency is the customer's currency for fixed amounts (default:
	// the Loss currency, else the first currency the complaint names,
	// else the taxonomy's base currency).
	Currency string
}

// Compensation statuses.
const (
	// CompComputed: the policy amount for a verified loss.
	CompComputed = "computed"
	// CompFixed: a fixed goodwill amount the policy allows.
	CompFixed = "fixed"
	// CompPending: the policy applies once the loss is verified; no
	// amount may be promised yet.
	CompPending = "pending_verification"
)

// Offer is the compensation our policy allows for a case, with its
// status. It is computed by the taxonomy's rules from trusted inputs
// only, never taken from the model or the complaint.
type Offer struct {
	Policy      string   `json:"policy"`
	Description string   `json:"description"`
	Status      string   `json:"status"`
	Amount      *float64 `json:"amount,omitempty"`
	Currency    string   `json:"currency,omitempty"`
	Loss        float64  `json:"loss,omitempty"`
	DelayDays   int      `json:"delay_days,omitempty"`
}

// Money is the amount as Money (false when there is none).
func (c *Offer) Money() (triage.Money, bool) {
	if c == nil || c.Amount == nil {
		return triage.Money{}, false
	}
	return triage.Money{Amount: *c.Amount, Currency: c.Currency}, true
}

// Facts is what we know for certain about a case, computed by us and
// handed to the drafter as authoritative.
type Facts struct {
	Language            string // the customer's language, ISO 639-1 or "und"
	LanguageName        string // its English name
	Scenario            string
	ScenarioName        string
	ScenarioDescription string
	Severity            int
	SeverityName        string
	SLAMinutes          int
	Queue               string
	// Guidance is what we are doing about it, in English.
	Guidance     string
	Compensation *Offer
	// Thin: the evidence does not settle the case (no close case, or the
	// classifier was unsure); the reply should ask for Ask.
	Thin bool
	Ask  string // in English
	// Allowed are the only amounts a reply may promise.
	Allowed []triage.Money
}

// Defaults for Drafter.MinScore and Drafter.QuoteScore, set for the
// local embedder, whose cosines run low: on our dev split the best case
// scores 0.2 or more for 45% of complaints. Raise both for a neural
// embedder (e.g. 0.5 and 0.75).
const (
	DefaultMinScore   = 0.2
	DefaultQuoteScore = 0.4
)

// facts computes the facts for req.
func (d *Drafter) facts(req Request) (Facts, error) {
	res := req.Result
	f := Facts{Language: res.Language.Code, Scenario: res.Scenario.Label, Queue: res.Queue, SLAMinutes: res.SLAMinutes}
	if f.Language == "" {
		f.Language = classify.Undetermined
	}
	f.LanguageName = languageName(f.Language)
	f.Thin = res.NeedsReview || len(req.Cases) == 0 || req.Cases[0].Score < d.MinScore
	if res.Severity != nil {
		f.Severity = res.Severity.Level
		if l, ok := d.Taxonomy.Level(f.Severity); ok {
			f.SeverityName = l.Name.In("en")
		}
	}
	s, ok := d.Taxonomy.Scenario(f.Scenario)
	if !ok {
		// Out of scope or a label outside the taxonomy: no policy applies.
		f.Thin = true
		return f, nil
	}
	f.ScenarioName, f.ScenarioDescription = s.Name.In("en"), s.Description.In("en")
	f.Guidance, f.Ask = s.Guidance.Reply.In("en"), s.Guidance.Ask.In("en")
	comp, err := d.compensation(s, req)
	if err != nil {
		return Facts{}, err
	}
	f.Compensation = comp
	if m, ok := comp.Money(); ok {
		f.Allowed = append(f.Allowed, m)
		if comp.Loss > 0 {
			f.Allowed = append(f.Allowed, triage.Money{Amount: comp.Loss, Currency: comp.Currency})
		}
	}
	return f, nil
}

// compensation applies the scenario's policy to the trusted inputs.
func (d *Drafter) compensation(s triage.Scenario, req Request) (*Offer, error) {
	p, _ := d.Taxonomy.PolicyVariant(s.CompensationPolicy)
	c := &Offer{Policy: p.ID, Description: p.Description.In("en")}
	switch {
	case p.Kind == "fixed":
		got, err := d.Taxonomy.Compensate(s.ID, 0, d.currency(req), req.DelayDays)
		if err != nil {
			return nil, fmt.Errorf("suggest: %w", err)
		}
		c.Status, c.Amount, c.Currency = CompFixed, &got.Amount, got.Currency
	case req.Loss == nil:
		c.Status = CompPending
	default:
		got, err := d.Taxonomy.Compensate(s.ID, req.Loss.Amount, req.Loss.Currency, req.DelayDays)
		if err != nil {
			return nil, fmt.Errorf("suggest: %w", err)
		}
		c.Status, c.Amount, c.Currency, c.Loss, c.DelayDays = CompComputed, &got.Amount, got.Currency, got.Loss, got.DelayDays
	}
	return c, nil
}

// currency: the caller's, the verified loss's, the first one the
// complaint names, or the base currency.
func (d *Drafter) currency(req Request) string {
	switch {
	case req.Currency != "":
		return req.Currency
	case req.Loss != nil:
		return req.Loss.Currency
	}
	if req.Result.Severity != nil {
		for _, a := range req.Result.Severity.Amounts {
			return a.Currency
		}
	}
	return d.Taxonomy.BaseCurrency
}

var languageNames = map[string]string{
	"zh": "Chinese", "en": "English", "ja": "Japanese", "ko": "Korean", "es": "Spanish", "pt": "Portuguese",
	"fr": "French", "de": "German", "ru": "Russian", "tr": "Turkish", "vi": "Vietnamese", "th": "Thai",
	"id": "Indonesian", "ar": "Arabic", "it": "Italian", "nl": "Dutch", "pl": "Polish", "uk": "Ukrainian",
	"hi": "Hindi", "ms": "Malay",
}

// languageName is the English name of an ISO 639-1 code.
func languageName(code string) string {
	if n, ok := languageNames[code]; ok {
		return n
	}
	if code == classify.Undetermined {
		return "the language the complaint is written in"
	}
	return code
}
