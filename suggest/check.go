package suggest

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/triagedesk/triage"
	"github.com/triagedesk/triage/features"
)

// ErrUnsupportedPromise: a draft promised money the facts do not allow.
var ErrUnsupportedPromise = triage.NewError(triage.EINVALID, "draft promises an amount outside the facts")

var (
	citationRe    = regexp.MustCompile(`\[case:([^\]\s]{1,128})\]`)
	placeholderRe = regexp.MustCompile(`\[([A-Z]+)_\d+\]`)
	numberRe      = regexp.MustCompile(`\d+(?:[.,]\d+)*\s?%?`)
)

// checker holds a draft to the facts, one sentence at a time.
type checker struct {
	amounts *features.AmountFinder
	terms   []string       // words that make a sentence a promise of money
	allowed []triage.Money // amounts the facts allow
	claimed []triage.Money // amounts the complaint names: may be echoed, not promised
	numbers []float64      // numbers the facts state (policy percentages, thresholds)
	cases   map[string]bool
	cited   []string
}

// check returns ErrUnsupportedPromise when sentence promises an amount
// outside the facts. An amount in the facts may appear anywhere; an
// amount the customer named may be repeated back outside a promise; in a
// sentence that promises money, any other amount, any percentage or
// number the facts do not state, and any number above 31 (days and
// hours pass) is rejected.
func (c *checker) check(sentence string) error {
	lower := strings.ToLower(placeholderRe.ReplaceAllString(citationRe.ReplaceAllString(sentence, " "), " "))
	promise := false
	for _, t := range c.terms {
		if strings.Contains(lower, t) {
			promise = true
			break
		}
	}
	rest := lower
	for _, a := range c.amounts.Find(lower) {
		rest = strings.Replace(rest, a.Text, " ", 1)
		m := a.Money()
		if contains(c.allowed, m) || (!promise && contains(c.claimed, m)) {
			continue
		}
		return fmt.Errorf("%w: %q", ErrUnsupportedPromise, strings.TrimSpace(sentence))
	}
	if !promise {
		return nil
	}
	for _, n := range numberRe.FindAllString(rest, -1) {
		n = strings.TrimSpace(n)
		percent := strings.HasSuffix(n, "%")
		n = strings.TrimSpace(strings.TrimSuffix(n, "%"))
		if !percent && len(n) >= 6 && strings.Trim(n, "0123456789") == "" {
			continue // an order or ticket number
		}
		v, ok := features.ParseNumber(n)
		if !ok {
			// A number we cannot read in a promise: refuse rather than
			// let it through unchecked.
			return fmt.Errorf("%w: %q", ErrUnsupportedPromise, strings.TrimSpace(sentence))
		}
		if slices.Contains(c.numbers, v) || (!percent && (v <= 31 || containsValue(c.allowed, v))) {
			continue
		}
		return fmt.Errorf("%w: %q", ErrUnsupportedPromise, strings.TrimSpace(sentence))
	}
	return nil
}

// cite keeps the citations of retrieved cases, records them, and removes
// any other [case:…] marker (a case the model made up).
func (c *checker) cite(sentence string) string {
	out := citationRe.ReplaceAllStringFunc(sentence, func(m string) string {
		id := citationRe.FindStringSubmatch(m)[1]
		if !c.cases[id] {
			return ""
		}
		for _, seen := range c.cited {
			if seen == id {
				return m
			}
		}
		c.cited = append(c.cited, id)
		return m
	})
	if len(out) != len(sentence) {
		out = strings.Replace(out, "  ", " ", -1)
		out = strings.Replace(out, " .", ".", -1)
	}
	return out
}

func contains(ms []triage.Money, m triage.Money) bool {
	for _, a := range ms {
		if a.Equal(m) {
			return true
		}
	}
	return false
}

func containsValue(ms []triage.Money, v float64) bool {
	for _, a := range ms {
		if a.Equal(triage.Money{Amount: v, Currency: a.Currency}) {
			return true
		}
	}
	return false
}

// closers end a quotation or a bracket after a sentence's last mark.
const closers = `"'”’」』)）»`

// sentences cuts text at sentence ends. With final false it keeps the
// unfinished tail, to be completed by more streamed text; a tail longer
// than maxPending is cut at its last space so a text without
// punctuation (Thai) still flows.
func sentences(text string, final bool) (done []string, tail string) {
	const maxPending = 600
	start := 0
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		end := i + size
		boundary := false
		switch r {
		case '。', '！', '？', '\n', '؟', '۔':
			boundary = true
		case '.', '!', '?', ';', '；':
			if end == len(text) {
				boundary = final
			} else {
				next, _ := utf8.DecodeRuneInString(text[end:])
				boundary = unicode.IsSpace(next) || strings.ContainsRune(closers, next)
			}
		}
		if boundary {
			// Keep a closing quote or bracket with its sentence.
			for end < len(text) {
				next, n := utf8.DecodeRuneInString(text[end:])
				if !strings.ContainsRune(closers, next) {
					break
				}
				end += n
			}
			done = append(done, text[start:end])
			start = end
		}
		i = end
	}
	tail = text[start:]
	if final && tail != "" {
		done, tail = append(done, tail), ""
	}
	if len(tail) > maxPending {
		if cut := strings.LastIndexFunc(tail, unicode.IsSpace); cut > 0 {
			done, tail = append(done, tail[:cut+1]), tail[cut+1:]
		}
	}
	return done, tail
}
