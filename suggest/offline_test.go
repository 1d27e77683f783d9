package suggest_test

import (
	"context"
	"strings"
	"testing"

	"github.com/triagedesk/triage"
	"github.com/triagedesk/triage/classify"
	"github.com/triagedesk/triage/features"
	"github.com/triagedesk/triage/suggest"
)

// The offline draft in every language the taxonomy drafts in: the
// customer's language, the scenario's guidance, citations, the SLA, and
// nothing the facts do not allow.
func TestOfflineDraftEveryLanguage(t *testing.T) {
	tax, _ := taxonomy(t)
	for _, lang := range tax.Languages {
		for _, s := range tax.Scenarios {
			req := suggest.Request{
				Text:   "some complaint text",
				Result: result(lang, s.ID, 2, 120),
				Cases:  similar(t, "case-en-0005", 0.55, "case-zh-0009", 0.41, "case-ja-0002", 0.2),
			}
			d, err := drafter(t, nil).Draft(context.Background(), req)
			if err != nil {
				t.Fatalf("%s/%s: %v", lang, s.ID, err)
			}
			if d.Generator != "offline" || d.Degraded || d.Language != lang {
				t.Errorf("%s/%s: generator %q degraded %v language %q", lang, s.ID, d.Generator, d.Degraded, d.Language)
			}
			for _, want := range []string{tax.Drafting.Greeting[lang], s.Guidance.Reply[lang], tax.Drafting.Closing[lang]} {
				if !strings.Contains(d.Reply, want) {
					t.Errorf("%s/%s: reply lacks %q:\n%s", lang, s.ID, want, d.Reply)
				}
			}
			if !strings.Contains(d.Reply, strings.Replace(tax.Drafting.SLAHours[lang], "{n}", "2", 1)) {
				t.Errorf("%s/%s: no SLA sentence:\n%s", lang, s.ID, d.Reply)
			}
			if len(d.Citations) != 2 || d.Citations[0] != "case-en-0005" || d.Citations[1] != "case-zh-0009" {
				t.Errorf("%s/%s: citations %v, want the two cases above the evidence threshold", lang, s.ID, d.Citations)
			}
			for _, id := range d.Citations {
				if !strings.Contains(d.Reply, "[case:"+id+"]") {
					t.Errorf("%s/%s: cites %s without a marker", lang, s.ID, id)
				}
			}
			if strings.Contains(d.Reply, "{") {
				t.Errorf("%s/%s: unfilled placeholder:\n%s", lang, s.ID, d.Reply)
			}
		}
	}
}

func TestOfflineDraftCompensationAndAsk(t *testing.T) {
	tax, _ := taxonomy(t)
	verified := zhRequest(t)
	verified.Loss = &triage.Money{Amount: 648, Currency: "CNY"}
	goodwill := suggest.Request{Text: "客服态度太差了，挂我电话", Result: result("zh", "service_quality", 2, 120), Cases: similar(t, "case-zh-0007", 0.1)}
	goodwillUSD := suggest.Request{Text: "The agent hung up on me twice and I was charged $5 for the call", Result: result("en", "service_quality", 2, 120, features.Amount{Value: 5, Currency: "USD"}), Cases: nil}
	unknownLang := suggest.Request{Text: "Kundeservice har ikke svaret i flere dage", Result: result("da", "service_quality", 2, 30)}
	tests := []struct {
		name      string
		req       suggest.Request
		status    string
		amount    string // in the reply
		ask       bool
		replyLang string
	}{
		{"verified loss", verified, suggest.CompComputed, "680.40 CNY", false, "zh"},
		{"pending", zhRequest(t), suggest.CompPending, "", false, "zh"},
		{"goodwill, thin evidence", goodwill, suggest.CompFixed, "20 CNY", true, "zh"},
		{"goodwill in the customer's currency", goodwillUSD, suggest.CompFixed, "3 USD", true, "en"},
		{"a language without phrases falls back to English", unknownLang, suggest.CompFixed, "20 CNY", true, "en"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := drafter(t, nil).Draft(context.Background(), tt.req)
			if err != nil {
				t.Fatal(err)
			}
			if d.Compensation == nil || d.Compensation.Status != tt.status {
				t.Fatalf("compensation %+v, want %s", d.Compensation, tt.status)
			}
			if tt.amount != "" && !strings.Contains(d.Reply, tt.amount) {
				t.Errorf("reply lacks %s:\n%s", tt.amount, d.Reply)
			}
			if tt.amount == "" && strings.Contains(d.Reply, tax.Drafting.CompensationPending[tt.replyLang]) == false {
				t.Errorf("pending compensation not stated:\n%s", d.Reply)
			}
			if got := strings.Contains(d.Reply, tax.Drafting.AskIntro[tt.replyLang]); got != tt.ask {
				t.Errorf("asks for details: %v, want %v:\n%s", got, tt.ask, d.Reply)
			}
			if !strings.Contains(d.Reply, tax.Drafting.Greeting[tt.replyLang]) {
				t.Errorf("not in %s:\n%s", tt.replyLang, d.Reply)
			}
		})
	}
}

// A close case in the customer's language lends the draft one sentence
// of its reply (never one with numbers or money in it); a less close one
// is only cited.
func TestOfflineDraftQuotesTheBestCase(t *testing.T) {
	tax, cases := taxonomy(t)
	guidance, _ := tax.Scenario("account_security")
	for _, score := range []float64{0.71, 0.3} {
		req := suggest.Request{
			Text:   "Someone logged into my account from another country and sold my gear.",
			Result: result("en", "account_security", 3, 60),
			Cases:  similar(t, "case-en-0001", score),
		}
		d, err := drafter(t, nil).Draft(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		body := strings.Split(d.Reply, "\n\n")[1]
		after, ok := strings.CutPrefix(body, guidance.Guidance.Reply["en"]+" ")
		if !ok || len(d.Citations) != 1 {
			t.Fatalf("score %.2f: unexpected draft:\n%s", score, d.Reply)
		}
		quote, _, found := strings.Cut(after, " [case:case-en-0001]")
		if !found {
			t.Fatalf("score %.2f: no citation after the guidance:\n%s", score, d.Reply)
		}
		if score >= suggest.DefaultQuoteScore {
			if !strings.Contains(cases["case-en-0001"].Reply, quote) || strings.ContainsAny(quote, "0123456789") {
				t.Errorf("quote %q is not a number-free sentence of the case reply", quote)
			}
		} else if quote != strings.TrimSuffix(strings.Replace(tax.Drafting.SimilarCases["en"], "{cases}", "", 1), " .") {
			t.Errorf("score %.2f: expected the similar-cases sentence, got %q", score, quote)
		}
		if !strings.Contains(d.Reply, "within 60 minutes") {
			t.Errorf("SLA of one hour not stated in minutes:\n%s", d.Reply)
		}
	}
}

func TestOfflineDraftOutOfScope(t *testing.T) {
	res := result("en", classify.OutOfScope, 1, 0)
	res.Severity, res.Queue, res.Queues, res.NeedsReview = nil, "", nil, true
	d, err := drafter(t, nil).Draft(context.Background(), suggest.Request{Text: "What's the weather tomorrow?", Result: res})
	if err != nil {
		t.Fatal(err)
	}
	if d.Compensation != nil || len(d.Citations) != 0 || d.Reply == "" {
		t.Errorf("out of scope: %+v", d)
	}
}
