// Package redact removes personal data from text before it leaves the
// process (LLM and embedding endpoints) or is stored: e-mail addresses,
// phone numbers (Chinese mobile, E.164 and local formats), Chinese
// resident ID numbers (checksum), bank card numbers (Luhn), IBANs
// (mod 97) and IP addresses. Each value becomes a numbered placeholder
// such as [PHONE_1]; the same value gets the same placeholder, and the
// Redaction maps placeholders back for the agent's view. Order numbers,
// amounts, dates and tracking codes are left alone.
package redact

import (
	"fmt"
	"net/netip"
	"regexp"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Kind is a category of personal data.
type Kind string

// The kinds redacted, in the order they are looked for (more specific
// patterns first, so an ID number is not taken for a phone number).
const (
	Email Kind = "EMAIL"
	CNID  Kind = "ID"
	Card  Kind = "CARD"
	IBAN  Kind = "IBAN"
	IP    Kind = "IP"
	Phone Kind = "PHONE"
)

// Redaction is a redacted text and the way back.
type Redaction struct {
	Text string
	// Values maps each placeholder ("[PHONE_1]") to the original value.
	Values map[string]string
}

// Restore puts the original values back into text (e.g. a draft written
// from the redacted complaint, shown to the agent).
func (r Redaction) Restore(text string) string {
	if len(r.Values) == 0 {
		return text
	}
	pairs := make([]string, 0, 2*len(r.Values))
	keys := make([]string, 0, len(r.Values))
	for k := range r.Values {
		keys = append(keys, k)
	}
	// Longer placeholders first: [PHONE_10] before [PHONE_1].
	sort.Slice(keys, func(i, j int) bool {
		return len(keys[i]) > len(keys[j]) || (len(keys[i]) == len(keys[j]) && keys[i] < keys[j])
	})
	for _, k := range keys {
		pairs = append(pairs, k, r.Values[k])
	}
	return strings.NewReplacer(pairs...).Replace(text)
}

var (
	emailRe = regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}`)
	cnIDRe  = regexp.MustCompile(`\d{17}[\dXx]`)
	cardRe  = regexp.MustCompile(`\d(?:[ \-]?\d){12,18}`)
	ibanRe  = regexp.MustCompile(`\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]){11,30}\b`)
	ipv4Re  = regexp.MustCompile(`\d{1,3}(?:\.\d{1,3}){3}`)
	ipv6Re  = regexp.MustCompile(`(?i)\b(?:[0-9a-f]{1,4}:){2,7}[0-9a-f]{0,4}(?::[0-9a-f]{1,4})*\b`)
	// Phones: +country and digits with separators; Chinese mobiles
	// (1[3-9] and 9 digits, optional +86); local numbers written with
	// separators such as (555) 123-4567, 03-1234-5678, 010-12345678.
	phoneRe = regexp.MustCompile(`\+\d{1,3}[ \-.]?\(?\d{1,4}\)?(?:[ \-.]?\d{2,4}){2,4}|(?:\+?86[ \-]?)?1[3-9]\d(?:[ \-]?\d{4}){2}|\(\d{2,4}\)[ \-.]?\d{3,4}[ \-.]?\d{3,4}|\b0\d{1,3}[\-.]\d{3,4}[\-.]\d{3,4}\b|\b0\d{2,3}-\d{7,8}\b|\b\d{3}[\-.]\d{3}[\-.]\d{4}\b`)
)

// Words that, just before a number, say it is not personal data.
var notPII = []string{
	"订单", "单号", "运单", "工单", "流水", "编号", "交易号", "order", "ticket", "tracking", "invoice", "ref", "reference", "booking", "#",
	"注文", "주문", "pedido", "commande", "bestellnummer", "bestellung", "заказ", "sipariş", "đơn hàng", "คำสั่งซื้อ", "pesanan", "طلب",
}

// Redactor is the product's redactor: Redact replaces personal data with
// placeholders, as Text does. The zero value is ready to use.
type Redactor struct{}

// Redact returns text with personal data replaced by placeholders.
func (Redactor) Redact(text string) string { return Text(text).Text }

// Text redacts personal data in s.
func Text(s string) Redaction {
	r := Redaction{Text: s, Values: map[string]string{}}
	counts := map[Kind]int{}
	byValue := map[string]string{}
	place := func(kind Kind, value string) string {
		key := string(kind) + "\x00" + value
		if p, ok := byValue[key]; ok {
			return p
		}
		counts[kind]++
		p := fmt.Sprintf("[%s_%d]", kind, counts[kind])
		byValue[key] = p
		r.Values[p] = value
		return p
	}
	apply := func(kind Kind, re *regexp.Regexp, valid func(text string, start, end int) bool) {
		text := r.Text
		var b strings.Builder
		last := 0
		for _, m := range re.FindAllStringIndex(text, -1) {
			start, end := m[0], m[1]
			if !valid(text, start, end) {
				continue
			}
			b.WriteString(text[last:start])
			b.WriteString(place(kind, text[start:end]))
			last = end
		}
		b.WriteString(text[last:])
		r.Text = b.String()
	}
	// Cheap facts about the text decide which patterns can match at all:
	// most complaints hold few digits and no @, and the patterns are the
	// cost of redaction.
	var at, colons, dots, total, run, longest int
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			total++
			run++
			longest = max(longest, run)
			continue
		case c == '@':
			at++
		case c == ':':
			colons++
		case c == '.':
			dots++
		}
		run = 0
	}
	if at > 0 {
		apply(Email, emailRe, func(string, int, int) bool { return true })
	}
	if total < 7 && colons < 2 {
		return r // every pattern left needs 7 digits, or colons for IPv6
	}
	if longest >= 17 {
		apply(CNID, cnIDRe, func(t string, s, e int) bool { return standalone(t, s, e) && validCNID(t[s:e]) })
	}
	if total >= 8 {
		apply(IBAN, ibanRe, func(t string, s, e int) bool { return validIBAN(t[s:e]) })
	}
	if total >= 13 {
		apply(Card, cardRe, func(t string, s, e int) bool {
			plus := s > 0 && t[s-1] == '+' // +86 138 …: a phone, not a card
			return !plus && standalone(t, s, e) && !labelled(t, s) && luhn(digits(t[s:e]))
		})
	}
	if dots >= 3 {
		apply(IP, ipv4Re, func(t string, s, e int) bool {
			_, err := netip.ParseAddr(t[s:e])
			return standalone(t, s, e) && err == nil
		})
	}
	if colons >= 2 {
		apply(IP, ipv6Re, func(t string, s, e int) bool {
			a, err := netip.ParseAddr(t[s:e])
			return err == nil && a.Is6() && strings.Count(t[s:e], ":") >= 2
		})
	}
	apply(Phone, phoneRe, func(t string, s, e int) bool {
		d := digits(t[s:e])
		return standalone(t, s, e) && len(d) >= 7 && len(d) <= 15 && !labelled(t, s) && !dateLike(t[s:e])
	})
	return r
}

// standalone: the match is not glued to more digits or letters (a run of
// 20 digits is not a card number followed by 4 digits).
func standalone(t string, s, e int) bool {
	if s > 0 {
		r, _ := utf8.DecodeLastRuneInString(t[:s])
		if unicode.IsDigit(r) || (r < 128 && unicode.IsLetter(r)) {
			return false
		}
	}
	if e < len(t) {
		r, _ := utf8.DecodeRuneInString(t[e:])
		if unicode.IsDigit(r) || (r < 128 && unicode.IsLetter(r)) {
			return false
		}
	}
	return true
}

// labelled: one of the notPII words stands just before the number.
func labelled(t string, s int) bool {
	before := strings.ToLower(t[max(0, s-24):s])
	before = strings.TrimRight(before, " :：#№-")
	for _, w := range notPII {
		if strings.HasSuffix(before, w) || strings.HasSuffix(before, w+" no.") || strings.HasSuffix(before, w+" number") || strings.HasSuffix(before, w+" id") {
			return true
		}
	}
	return false
}

var dateRe = regexp.MustCompile(`^\d{4}[\-.]\d{1,2}[\-.]\d{1,2}$|^\d{1,2}[\-.]\d{1,2}[\-.]\d{4}$`)

func dateLike(s string) bool { return dateRe.MatchString(s) }

func digits(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// luhn checks a 13–19 digit card number.
func luhn(d string) bool {
	if len(d) < 13 || len(d) > 19 {
		return false
	}
	sum := 0
	for i := 0; i < len(d); i++ {
		n := int(d[len(d)-1-i] - '0')
		if i%2 == 1 {
			n *= 2
			if n > 9 {
				n -= 9
			}
		}
		sum += n
	}
	return sum%10 == 0
}

// validCNID checks the GB 11643 checksum and that the birth date is a date.
func validCNID(id string) bool {
	weights := []int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i := 0; i < 17; i++ {
		sum += int(id[i]-'0') * weights[i]
	}
	check := "10X98765432"[sum%11]
	last := id[17]
	if last == 'x' {
		last = 'X'
	}
	if last != check {
		return false
	}
	year, month, day := atoi(id[6:10]), atoi(id[10:12]), atoi(id[12:14])
	return year >= 1900 && year <= 2100 && month >= 1 && month <= 12 && day >= 1 && day <= 31
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}

// validIBAN checks the ISO 13616 mod-97 checksum.
func validIBAN(s string) bool {
	s = strings.ReplaceAll(s, " ", "")
	if len(s) < 15 || len(s) > 34 {
		return false
	}
	s = s[4:] + s[:4]
	rem := 0
	for _, c := range s {
		switch {
		case c >= '0' && c <= '9':
			rem = (rem*10 + int(c-'0')) % 97
		case c >= 'A' && c <= 'Z':
			v := int(c-'A') + 10
			rem = (rem*100 + v) % 97
		default:
			return false
		}
	}
	return rem == 1
}
