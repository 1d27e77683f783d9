package suggest

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/triagedesk/triage/retrieve"
)

var digitRe = regexp.MustCompile(`\d|\[[A-Z]+\]`)

// offline assembles a reply from the taxonomy's guidance in the
// customer's language and the best cases, and says which cases it cites.
// It states only what is true for any case of the scenario: what we are
// doing, the compensation the facts allow, what we need from the
// customer, and when they will hear from us.
func (d *Drafter) offline(f Facts, cases []retrieve.Result) (string, []string) {
	dr := d.Taxonomy.Drafting
	lang := f.Language
	if dr.Greeting[lang] == "" {
		lang = "en"
	}
	var body []string
	add := func(s string) {
		if s = strings.TrimSpace(s); s != "" {
			body = append(body, s)
		}
	}
	s, known := d.Taxonomy.Scenario(f.Scenario)
	if known {
		add(s.Guidance.Reply.In(lang))
	}

	// Cases: quote one sentence of the best case's reply when it is
	// close and in the customer's language; cite the others.
	var evidence []retrieve.Result
	for _, c := range cases {
		if c.Score >= d.MinScore && len(evidence) < 2 {
			evidence = append(evidence, c)
		}
	}
	var cited []string
	if len(evidence) > 0 && evidence[0].Score >= max(d.QuoteScore, d.MinScore) && evidence[0].Lang == lang {
		if q := d.quote(evidence[0].Reply, lang); q != "" {
			add(q + " [case:" + evidence[0].ID + "]")
			cited = append(cited, evidence[0].ID)
			evidence = evidence[1:]
		}
	}
	if len(evidence) > 0 {
		var marks []string
		for _, c := range evidence {
			marks = append(marks, "[case:"+c.ID+"]")
			cited = append(cited, c.ID)
		}
		add(strings.Replace(strings.Replace(dr.SimilarCases.In(lang), "{cases}", " "+strings.Join(marks, ""), 1), "  [", " [", 1))
	}

	if c := f.Compensation; c != nil {
		m, _ := c.Money()
		switch c.Status {
		case CompComputed:
			add(strings.Replace(dr.CompensationAmount.In(lang), "{amount}", m.String(), 1))
		case CompFixed:
			add(strings.Replace(dr.CompensationGoodwill.In(lang), "{amount}", m.String(), 1))
		case CompPending:
			add(dr.CompensationPending.In(lang))
		}
	}
	if f.Thin && known {
		intro := dr.AskIntro.In(lang)
		if !strings.HasSuffix(intro, "：") && !strings.HasSuffix(intro, "、") {
			intro += " "
		}
		add(intro + s.Guidance.Ask.In(lang) + stop(lang))
	}
	if f.SLAMinutes > 0 {
		if f.SLAMinutes >= 120 && f.SLAMinutes%60 == 0 {
			add(strings.Replace(dr.SLAHours.In(lang), "{n}", strconv.Itoa(f.SLAMinutes/60), 1))
		} else {
			add(strings.Replace(dr.SLAMinutes.In(lang), "{n}", strconv.Itoa(f.SLAMinutes), 1))
		}
	}
	sep := " "
	if lang == "zh" || lang == "ja" {
		sep = ""
	}
	reply := fmt.Sprintf("%s\n\n%s\n\n%s", dr.Greeting.In(lang), strings.Join(body, sep), dr.Closing.In(lang))
	return reply, cited
}

// quote picks a sentence of a case reply that holds for any customer
// with the same problem: not the greeting or the sign-off, no numbers,
// no personal data, no promise of money.
func (d *Drafter) quote(reply, lang string) string {
	ss, _ := sentences(reply, true)
	if len(ss) > 2 {
		ss = ss[1 : len(ss)-1]
	}
	terms := append(append([]string(nil), d.Taxonomy.Drafting.PromiseTerms["en"]...), d.Taxonomy.Drafting.PromiseTerms[lang]...)
next:
	for _, s := range ss {
		s = strings.TrimSpace(s)
		if n := len(s); n < 20 || n > 240 || digitRe.MatchString(s) || strings.ContainsAny(s, "?？") {
			continue
		}
		lower := strings.ToLower(s)
		for _, t := range terms {
			if strings.Contains(lower, t) {
				continue next
			}
		}
		return s
	}
	return ""
}

// stop ends a sentence in lang.
func stop(lang string) string {
	switch lang {
	case "zh", "ja":
		return "。"
	case "th":
		return ""
	default:
		return "."
	}
}
