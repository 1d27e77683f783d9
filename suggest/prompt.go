package suggest

import (
	"bytes"
	"embed"
	"fmt"
	"text/template"

	"github.com/triagedesk/triage"
	"github.com/triagedesk/triage/chat"
	"github.com/triagedesk/triage/retrieve"
)

//go:embed prompts/*.tmpl
var promptFS embed.FS

var prompts = template.Must(template.New("").Funcs(template.FuncMap{
	"minutes":      minutes,
	"compensation": compensationFact,
}).ParseFS(promptFS, "prompts/*.tmpl"))

// promptCase is a similar case as the prompt shows it.
type promptCase struct {
	ID, Scenario, Lang, Resolution, Reply string
	Score                                 float64
}

// Messages builds the chat for a draft: the system rules, then the
// facts, the cases and the (already redacted) complaint between
// delimiters.
func Messages(f Facts, cases []retrieve.Result, complaint string) ([]chat.Message, error) {
	data := struct {
		Facts     Facts
		Cases     []promptCase
		Complaint string
	}{Facts: f, Complaint: chat.Fence(complaint)}
	for _, c := range cases {
		data.Cases = append(data.Cases, promptCase{
			ID: c.ID, Scenario: c.Scenario, Lang: c.Lang, Score: c.Score,
			Resolution: chat.Fence(anonymous(c.Resolution)), Reply: chat.Fence(anonymous(c.Reply)),
		})
	}
	var sys, user bytes.Buffer
	if err := prompts.ExecuteTemplate(&sys, "system.tmpl", data); err != nil {
		return nil, fmt.Errorf("suggest: prompt: %w", err)
	}
	if err := prompts.ExecuteTemplate(&user, "user.tmpl", data); err != nil {
		return nil, fmt.Errorf("suggest: prompt: %w", err)
	}
	return []chat.Message{{Role: chat.System, Content: sys.String()}, {Role: chat.User, Content: user.String()}}, nil
}

// anonymous turns another customer's numbered placeholders ([PHONE_1])
// into bare ones ([PHONE]) so they never map back to this customer's data.
func anonymous(s string) string { return placeholderRe.ReplaceAllString(s, "[$1]") }

func minutes(n int) string {
	switch {
	case n%60 == 0 && n >= 120:
		return fmt.Sprintf("%d hour%s", n/60, plural(n/60))
	default:
		return fmt.Sprintf("%d minute%s", n, plural(n))
	}
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func compensationFact(c *Offer) string {
	if c == nil {
		return "none applies; offer none."
	}
	m, _ := c.Money()
	switch c.Status {
	case CompComputed:
		s := fmt.Sprintf("%s, under the %q policy (%s) for a verified loss of %s", m, c.Policy, c.Description, triage.Money{Amount: c.Loss, Currency: c.Currency})
		if c.DelayDays > 0 {
			s += fmt.Sprintf(", resolved %d days late", c.DelayDays)
		}
		return s + ". This is the only amount you may mention."
	case CompFixed:
		return fmt.Sprintf("a goodwill credit of %s if the problem is confirmed on our side (%q policy: %s). This is the only amount you may mention.", m, c.Policy, c.Description)
	default:
		return fmt.Sprintf("the %q policy applies (%s), but the loss is not verified yet: give no amount.", c.Policy, c.Description)
	}
}
