package classify

import (
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/triagedesk/triage/datasets"
)

// Amount is a sum of money found in a complaint.
type Amount struct {
	Value    float64 `json:"value"`
	Currency string  `json:"currency"`
	Base     float64 `json:"base"` // in the taxonomy's base currency
	Text     string  `json:"text"` // as written
}

// AmountFinder finds amounts with a currency in text: "¥328", "648元",
// "$49.99", "1.200 €", "₩55,000", "R$ 89,90", "2万元", "38만원", "2tr đ".
type AmountFinder struct {
	re       *regexp.Regexp
	currency map[string]datasets.Currency // lower-cased symbol → currency
}

// number: digits with , . space or ' as group or decimal separators.
const numberPattern = `\d+(?:[.,' \x{00a0}\x{202f}]\d+)*`

// multiplier words that may sit between a number and its currency.
var multipliers = map[string]float64{
	"万": 1e4, "萬": 1e4, "千": 1e3, "k": 1e3, "K": 1e3, "w": 1e4, "W": 1e4,
	"만": 1e4, "천": 1e3, "억": 1e8, "亿": 1e8, "億": 1e8,
	"tr": 1e6, "triệu": 1e6, "nghìn": 1e3, "ngàn": 1e3, "juta": 1e6, "ribu": 1e3, "rb": 1e3, "jt": 1e6,
	"mil": 1e3, "mille": 1e3, "tys": 1e3, "тыс": 1e3, "млн": 1e6, "bin": 1e3, "milyon": 1e6,
}

// NewAmountFinder knows the currencies and symbols of tax.
func NewAmountFinder(tax *datasets.Taxonomy) *AmountFinder {
	p := &AmountFinder{currency: map[string]datasets.Currency{}}
	var syms []string
	for _, c := range tax.Currencies {
		for _, s := range c.Symbols {
			ls := strings.ToLower(s)
			if _, dup := p.currency[ls]; !dup {
				p.currency[ls] = c
				syms = append(syms, regexp.QuoteMeta(ls))
			}
		}
	}
	// Longest symbols first so "us$" wins over "$".
	sort.Slice(syms, func(a, b int) bool { return len(syms[a]) > len(syms[b]) })
	var mults []string
	for m := range multipliers {
		mults = append(mults, regexp.QuoteMeta(strings.ToLower(m)))
	}
	sort.Slice(mults, func(a, b int) bool {
		return len(mults[a]) > len(mults[b]) || (len(mults[a]) == len(mults[b]) && mults[a] < mults[b])
	})
	sym := "(" + strings.Join(syms, "|") + ")"
	mult := "(" + strings.Join(mults, "|") + ")?"
	// symbol before the number, or after it (with an optional multiplier).
	p.re = regexp.MustCompile(`(?:` + sym + `\s?(` + numberPattern + `)\s?` + mult + `)|(?:(` + numberPattern + `)\s?` + mult + `\s?` + sym + `)`)
	return p
}

// Find returns every amount in text, converted to the base currency.
func (p *AmountFinder) Find(text string) []Amount {
	lower := strings.ToLower(text)
	if len(lower) != len(text) {
		// Lower-casing changed byte offsets (e.g. Turkish İ): quote the
		// lower-cased text rather than cut the original at wrong places.
		text = lower
	}
	var out []Amount
	for _, m := range p.re.FindAllStringSubmatchIndex(lower, -1) {
		var sym, num, mult string
		get := func(i int) string {
			if m[2*i] < 0 {
				return ""
			}
			return lower[m[2*i]:m[2*i+1]]
		}
		suffix := get(1) == ""
		if !suffix {
			sym, num, mult = get(1), get(2), get(3)
		} else {
			num, mult, sym = get(4), get(5), get(6)
		}
		// A currency word must end a word: "5 tl" but not "5 tlf"
		// (symbols in Han, kana or Hangul need no space after them).
		if suffix && !wordEndsAt(lower, m[1]) {
			continue
		}
		v, ok := parseNumber(num)
		if !ok {
			continue
		}
		if f, ok := multipliers[mult]; ok && mult != "" {
			v *= f
		}
		c := p.currency[sym]
		base := math.Round(v*c.Rate*100) / 100
		out = append(out, Amount{Value: v, Currency: c.Code, Base: base, Text: strings.TrimSpace(text[m[0]:m[1]])})
	}
	return out
}

func wordEndsAt(s string, i int) bool {
	if i >= len(s) {
		return true
	}
	last, _ := utf8.DecodeLastRuneInString(s[:i])
	next, _ := utf8.DecodeRuneInString(s[i:])
	if !isWordRune(last) || dense(last) || unicode.Is(unicode.Hangul, last) {
		return true
	}
	return !isWordRune(next)
}

// parseNumber reads "1,299.00", "1.200,50", "38 000", "4.797", "99,99":
// with both separators the last is the decimal point; with one kind, a
// group of exactly three digits after each separator means thousands.
func parseNumber(s string) (float64, bool) {
	s = strings.NewReplacer("\u00a0", " ", "\u202f", " ", "'", " ").Replace(s)
	s = strings.ReplaceAll(s, " ", "")
	lastDot, lastComma := strings.LastIndexByte(s, '.'), strings.LastIndexByte(s, ',')
	switch {
	case lastDot >= 0 && lastComma >= 0:
		if lastDot > lastComma {
			s = strings.ReplaceAll(s, ",", "")
		} else {
			s = strings.ReplaceAll(s, ".", "")
			s = strings.Replace(s, ",", ".", 1)
		}
	case lastDot >= 0 || lastComma >= 0:
		sep := "."
		if lastComma >= 0 {
			sep = ","
		}
		parts := strings.Split(s, sep)
		thousands := len(parts) > 2
		if !thousands {
			thousands = len(parts[1]) == 3
		}
		for _, p := range parts[1:] {
			if len(p) != 3 {
				thousands = false
			}
		}
		if thousands {
			s = strings.ReplaceAll(s, sep, "")
		} else if len(parts) == 2 {
			s = parts[0] + "." + parts[1]
		} else {
			return 0, false
		}
	}
	v, err := strconv.ParseFloat(s, 64)
	return v, err == nil
}
