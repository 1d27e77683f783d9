package features

import (
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/triagedesk/triage"
)

// Amount is a sum of money found in a complaint.
type Amount struct {
	Value    float64 `json:"value"`
	Currency string  `json:"currency"`
	Base     float64 `json:"base"` // in the taxonomy's base currency
	Text     string  `json:"text"` // as written
}

// Money returns the amount as written, in its currency.
func (a Amount) Money() triage.Money { return triage.Money{Amount: a.Value, Currency: a.Currency} }

// AmountFinder finds amounts with a currency in text: "¥328", "648元",
// "$49.99", "1.200 €", "₩55,000", "R$ 89,90", "2万元", "38만원", "2tr đ".
// It scans for numbers and looks for a currency symbol just before or
// after each (with an optional multiplier word between): the same
// matches as one regular expression over every symbol, at a fraction of
// its cost.
type AmountFinder struct {
	currency map[string]triage.Currency // lower-cased symbol → currency
	symbols  []string                   // longest first, so "us$" wins over "$"
	mults    []string                   // longest first
}

// number: digits with , . space or ' as group or decimal separators.
const numberPattern = `\d+(?:[.,' \x{00a0}\x{202f}]\d+)*`

var numberRe = regexp.MustCompile(numberPattern)

// multiplier words that may sit between a number and its currency.
var multipliers = map[string]float64{
	"万": 1e4, "萬": 1e4, "千": 1e3, "k": 1e3, "w": 1e4,
	"만": 1e4, "천": 1e3, "억": 1e8, "亿": 1e8, "億": 1e8,
	"tr": 1e6, "triệu": 1e6, "nghìn": 1e3, "ngàn": 1e3, "juta": 1e6, "ribu": 1e3, "rb": 1e3, "jt": 1e6,
	"mil": 1e3, "mille": 1e3, "tys": 1e3, "тыс": 1e3, "млн": 1e6, "bin": 1e3, "milyon": 1e6,
}

// NewAmountFinder knows the currencies and symbols of tax.
func NewAmountFinder(tax *triage.Taxonomy) *AmountFinder {
	p := &AmountFinder{currency: map[string]triage.Currency{}}
	for _, c := range tax.Currencies {
		for _, s := range c.Symbols {
			ls := strings.ToLower(s)
			if _, dup := p.currency[ls]; !dup {
				p.currency[ls] = c
				p.symbols = append(p.symbols, ls)
			}
		}
	}
	sort.SliceStable(p.symbols, func(a, b int) bool { return len(p.symbols[a]) > len(p.symbols[b]) })
	for m := range multipliers {
		p.mults = append(p.mults, m)
	}
	sort.Slice(p.mults, func(a, b int) bool {
		return len(p.mults[a]) > len(p.mults[b]) || (len(p.mults[a]) == len(p.mults[b]) && p.mults[a] < p.mults[b])
	})
	return p
}

// space: an optional single ASCII space character at s[i] (as \s).
func space(s string, i int) bool {
	return i >= 0 && i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r' || s[i] == '\f')
}

// symbolBefore finds the longest symbol ending at i (after an optional
// space), starting at or after min; it returns the symbol and its start.
func (p *AmountFinder) symbolBefore(s string, i, min int) (string, int, bool) {
	best, bestStart := "", -1
	for _, gap := range []int{1, 0} {
		end := i - gap
		if gap == 1 && !space(s, end) {
			continue
		}
		for _, sym := range p.symbols {
			if start := end - len(sym); start >= min && (bestStart < 0 || start < bestStart) && strings.HasSuffix(s[:end], sym) {
				best, bestStart = sym, start
			}
		}
	}
	return best, bestStart, bestStart >= 0
}

// after matches an optional space, an optional multiplier, an optional
// space and (when needSym) a symbol from i, in a regular expression's
// order of preference; it returns the multiplier, the symbol and the end.
func (p *AmountFinder) after(s string, i int, needSym bool) (mult, sym string, end int, ok bool) {
	for _, sp1 := range []int{1, 0} {
		if sp1 == 1 && !space(s, i) {
			continue
		}
		j := i + sp1
		// The multipliers found here, longest first, then none.
		for mi := 0; mi <= len(p.mults); mi++ {
			m := ""
			if mi < len(p.mults) {
				if m = p.mults[mi]; !strings.HasPrefix(s[j:], m) {
					continue
				}
			}
			k := j + len(m)
			if !needSym {
				return m, "", k, true
			}
			for _, sp2 := range []int{1, 0} {
				if sp2 == 1 && !space(s, k) {
					continue
				}
				for _, sy := range p.symbols {
					if strings.HasPrefix(s[k+sp2:], sy) {
						return m, sy, k + sp2 + len(sy), true
					}
				}
			}
		}
	}
	return "", "", i, false
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
	last := 0 // matches do not overlap
	for _, n := range numberRe.FindAllStringIndex(lower, -1) {
		ns, ne := n[0], n[1]
		if ns < last {
			continue
		}
		var sym, mult string
		start, end := 0, 0
		if sy, st, ok := p.symbolBefore(lower, ns, last); ok {
			m, _, e, _ := p.after(lower, ne, false)
			sym, mult, start, end = sy, m, st, e
		} else if m, sy, e, ok := p.after(lower, ne, true); ok {
			// A currency word must end a word: "5 tl" but not "5 tlf"
			// (symbols in Han, kana or Hangul need no space after them).
			if !wordEndsAt(lower, e) {
				continue
			}
			sym, mult, start, end = sy, m, ns, e
		} else {
			continue
		}
		last = end
		v, ok := ParseNumber(lower[ns:ne])
		if !ok {
			continue
		}
		if f, ok := multipliers[mult]; ok && mult != "" {
			v *= f
		}
		c := p.currency[sym]
		base := math.Round(v*c.Rate*100) / 100
		out = append(out, Amount{Value: v, Currency: c.Code, Base: base, Text: strings.TrimSpace(text[start:end])})
	}
	return out
}

func wordEndsAt(s string, i int) bool {
	if i >= len(s) {
		return true
	}
	last, _ := utf8.DecodeLastRuneInString(s[:i])
	next, _ := utf8.DecodeRuneInString(s[i:])
	if !IsWordRune(last) || dense(last) || unicode.Is(unicode.Hangul, last) {
		return true
	}
	return !IsWordRune(next)
}

// ParseNumber reads "1,299.00", "1.200,50", "38 000", "4.797", "99,99":
// with both separators the last is the decimal point; with one kind, a
// group of exactly three digits after each separator means thousands.
func ParseNumber(s string) (float64, bool) {
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

// IsWordRune reports whether r is part of a word for matching phrases at
// word boundaries: a letter, a digit or a non-spacing mark.
func IsWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r)
}
