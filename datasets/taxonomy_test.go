package datasets

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/triagedesk/triage"
)

func TestEmbeddedTaxonomy(t *testing.T) {
	tax, err := LoadTaxonomy()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		queue    string
		severity int
	}{
		"account_security":    {"risk_control", 3},
		"account_access":      {"account_services", 2},
		"payment_recharge":    {"payments", 2},
		"refund_cancellation": {"payments", 2},
		"technical_issue":     {"tech_support", 1},
		"service_outage":      {"tech_support", 2},
		"rewards_promotions":  {"game_ops", 1},
		"fairness_dispute":    {"game_ops", 3},
		"virtual_items":       {"game_ops", 2},
		"order_delivery":      {"order_services", 2},
		"service_quality":     {"customer_care", 2},
		"privacy_minors":      {"legal_compliance", 3},
	}
	if len(tax.Scenarios) != len(want) {
		t.Fatalf("got %d scenarios, want %d", len(tax.Scenarios), len(want))
	}
	for id, w := range want {
		s, ok := tax.Scenario(id)
		if !ok {
			t.Errorf("scenario %s missing", id)
			continue
		}
		if s.Queue != w.queue || s.DefaultSeverity != w.severity {
			t.Errorf("%s: queue %s severity %d, want %s %d", id, s.Queue, s.DefaultSeverity, w.queue, w.severity)
		}
	}
	for lvl, sla := range map[int]int{1: 30, 2: 120, 3: 60, 4: 30, 5: 15} {
		l, ok := tax.Level(lvl)
		if !ok || l.SLAMinutes != sla {
			t.Errorf("level %d: SLA %d, want %d", lvl, l.SLAMinutes, sla)
		}
	}
	if got := tax.QueuesFor("payment_recharge", 5); strings.Join(got, ",") != "payments,escalations" {
		t.Errorf("level-5 payment queues = %v", got)
	}
	if got := tax.QueuesFor("payment_recharge", 4); strings.Join(got, ",") != "payments" {
		t.Errorf("level-4 payment queues = %v", got)
	}
	// Every signal speaks every dataset language.
	for _, s := range tax.Escalation.Signals {
		for _, lang := range tax.Languages {
			if len(s.Phrases[lang]) == 0 {
				t.Errorf("signal %s has no phrases in %s", s.ID, lang)
			}
		}
	}
	if len(tax.Hash) != 64 {
		t.Errorf("hash %q", tax.Hash)
	}
}

func TestParseTaxonomyErrors(t *testing.T) {
	base := string(TaxonomyBytes())
	tests := []struct {
		name    string
		mutate  func(string) string
		want    []string // substrings of the error
		wantErr bool
	}{
		{"valid", func(s string) string { return s }, nil, false},
		{"unknown queue",
			func(s string) string { return strings.Replace(s, "queue: risk_control", "queue: risk_kontrol", 1) },
			[]string{`unknown queue "risk_kontrol"`, "taxonomy.yaml:"}, true},
		{"duplicate scenario id",
			func(s string) string { return strings.Replace(s, "- id: account_access", "- id: account_security", 1) },
			[]string{`duplicate scenario id "account_security"`}, true},
		{"missing SLA",
			func(s string) string { return strings.Replace(s, "    sla_minutes: 120\n", "", 1) },
			[]string{"severity level 2: missing SLA"}, true},
		{"missing level",
			func(s string) string {
				return strings.Replace(s, "  - level: 5\n", "  - level: 4\n", 1)
			},
			[]string{"severity level 5 missing", "duplicate severity level 4"}, true},
		{"unsupported version",
			func(s string) string { return strings.Replace(s, "version: 1\n", "version: 7\n", 1) },
			[]string{"version 7 not supported"}, true},
		{"missing version",
			func(s string) string { return strings.Replace(s, "version: 1\n", "", 1) },
			[]string{"missing version"}, true},
		{"unknown field",
			func(s string) string { return strings.Replace(s, "base_currency: CNY", "base_curency: CNY", 1) },
			[]string{"field base_curency not found"}, true},
		{"wrong type",
			func(s string) string {
				return strings.Replace(s, "default_severity: 3", "default_severity: high", 1)
			},
			[]string{"cannot unmarshal", "high"}, true},
		{"syntax",
			func(s string) string { return s + "\n  - : [\n" },
			[]string{"taxonomy.yaml:"}, true},
		{"unknown policy",
			func(s string) string {
				return strings.Replace(s, "compensation_policy: goodwill", "compensation_policy: generous", 1)
			},
			[]string{`unknown compensation policy "generous"`}, true},
		{"threshold out of range",
			func(s string) string {
				return strings.Replace(s, "confidence_threshold: 0.5\n", "confidence_threshold: 1.5\n", 1)
			},
			[]string{"confidence_threshold must be in (0,1)"}, true},
		{"placeholder lost in a translation",
			func(s string) string {
				return strings.Replace(s, `de: "Ein Mitarbeiter unseres Fachteams meldet sich innerhalb von {n} Stunden bei Ihnen."`, `de: "Ein Spezialist meldet sich bald."`, 1)
			},
			[]string{"drafting.sla_hours.de: must contain {n} once"}, true},
		{"guidance without English",
			func(s string) string {
				i := strings.Index(s, "    guidance:\n      reply:\n")
				j := strings.Index(s[i:], "        en: ")
				k := strings.Index(s[i+j:], "\n")
				return s[:i+j] + s[i+j+k+1:]
			},
			[]string{`scenario "account_security": guidance needs reply and ask in en`}, true},
		{"upper-case promise term",
			func(s string) string { return strings.Replace(s, `en: ["compensat"`, `en: ["Compensat"`, 1) },
			[]string{`drafting.promise_terms.en: "Compensat" must be non-empty lower case`}, true},
		{"overlapping delay tiers",
			func(s string) string {
				return strings.Replace(s, "{min_days: 4, max_days: 7, percent: 10}", "{min_days: 2, max_days: 7, percent: 10}", 1)
			},
			[]string{"delay tiers overlap"}, true},
		{"empty", func(string) string { return "" }, []string{"taxonomy.yaml: empty file"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseTaxonomy("taxonomy.yaml", []byte(tt.mutate(base)))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if err == nil {
				return
			}
			if !errors.Is(err, ErrInvalidTaxonomy) {
				t.Errorf("error does not wrap ErrInvalidTaxonomy: %v", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestValidationNamesLine(t *testing.T) {
	base := string(TaxonomyBytes())
	mutated := strings.Replace(base, "queue: customer_care", "queue: nowhere", 1)
	_, err := ParseTaxonomy("tax.yaml", []byte(mutated))
	if err == nil {
		t.Fatal("no error")
	}
	line := 1 + strings.Count(mutated[:strings.Index(mutated, "queue: nowhere")], "\n")
	if want := "tax.yaml:" + strconv.Itoa(line) + ":"; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not name %s", err, want)
	}
}

// The shipped taxonomy drafts in every language it lists.
func TestDraftingCoversEveryLanguage(t *testing.T) {
	tax, err := LoadTaxonomy()
	if err != nil {
		t.Fatal(err)
	}
	d := tax.Drafting
	for _, lang := range tax.Languages {
		for name, text := range map[string]triage.Text{
			"greeting": d.Greeting, "sla_minutes": d.SLAMinutes, "sla_hours": d.SLAHours,
			"compensation_amount": d.CompensationAmount, "compensation_goodwill": d.CompensationGoodwill,
			"compensation_pending": d.CompensationPending, "similar_cases": d.SimilarCases,
			"ask_intro": d.AskIntro, "closing": d.Closing,
		} {
			if text[lang] == "" {
				t.Errorf("drafting.%s: no %s", name, lang)
			}
		}
		if len(d.PromiseTerms[lang]) < 5 {
			t.Errorf("promise_terms.%s: %d terms", lang, len(d.PromiseTerms[lang]))
		}
		for _, s := range tax.Scenarios {
			if s.Guidance.Reply[lang] == "" || s.Guidance.Ask[lang] == "" {
				t.Errorf("scenario %s: guidance has no %s", s.ID, lang)
			}
		}
	}
}
