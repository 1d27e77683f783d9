package suggest

import (
	"errors"
	"slices"
	"testing"

	"github.com/triagedesk/triage"
	"github.com/triagedesk/triage/datasets"
	"github.com/triagedesk/triage/features"
)

func TestSentences(t *testing.T) {
	tests := []struct {
		text  string
		final bool
		done  []string
		tail  string
	}{
		{"Hello there. How are", false, []string{"Hello there."}, " How are"},
		{"It costs 3.5 dollars.", false, nil, "It costs 3.5 dollars."},
		{"It costs 3.5 dollars.", true, []string{"It costs 3.5 dollars."}, ""},
		{"您好。我们已收到！请稍候", false, []string{"您好。", "我们已收到！"}, "请稍候"},
		{"«Bonjour.» Merci", false, []string{"«Bonjour.»"}, " Merci"},
		{"他说“好的。”然后", false, []string{"他说“好的。”"}, "然后"},
		{"line one\nline two", false, []string{"line one\n"}, "line two"},
		{"Really? Yes! ok", false, []string{"Really?", " Yes!"}, " ok"},
		{"", true, nil, ""},
	}
	for _, tt := range tests {
		done, tail := sentences(tt.text, tt.final)
		if !slices.Equal(done, tt.done) || tail != tt.tail {
			t.Errorf("sentences(%q, %v) = %q, %q; want %q, %q", tt.text, tt.final, done, tail, tt.done, tt.tail)
		}
	}
	// A long text without punctuation (Thai) still flows.
	long := ""
	for len(long) < 700 {
		long += "ขอบคุณ "
	}
	done, tail := sentences(long, false)
	if len(done) != 1 || len(tail) > 600 || done[0]+tail != long {
		t.Errorf("long text: %d sentences, tail %d bytes", len(done), len(tail))
	}
}

func TestCheck(t *testing.T) {
	tax, err := datasets.LoadTaxonomy()
	if err != nil {
		t.Fatal(err)
	}
	ck := &checker{
		amounts: features.NewAmountFinder(tax),
		terms:   append(append([]string(nil), tax.Drafting.PromiseTerms["en"]...), tax.Drafting.PromiseTerms["zh"]...),
		allowed: []triage.Money{{Amount: 680.4, Currency: "CNY"}, {Amount: 648, Currency: "CNY"}},
		claimed: []triage.Money{{Amount: 30, Currency: "USD"}},
		numbers: []float64{100, 5},
	}
	tests := []struct {
		sentence string
		ok       bool
	}{
		{"We will refund 680.40 CNY to your account.", true},
		{"我们将为您补偿680.4元。", true},
		{"您被扣的648元已核实。", true},
		{"You mentioned a charge of $30, which we are checking.", true},
		{"We will refund your $30 today.", false},
		{"我们会赔偿您1000元。", false},
		{"我们会补偿您一千块", true}, // numerals in words are not read: a known limit
		{"Our policy adds 5% for delays to the refund.", true},
		{"You get a 20% discount voucher.", false},
		{"The refund takes 7 days.", true},
		{"We will credit you 500 diamonds.", false},
		{"Refund for order 4200001987365 is under way.", true},
		{"Your ticket [case:c-1234567] shows a refund [PHONE_1].", true},
		{"Nothing about money, 12345 apples.", true},
		{"We will refund 1,234,56 to you.", false}, // a number we cannot read, in a promise
	}
	for _, tt := range tests {
		err := ck.check(tt.sentence)
		if (err == nil) != tt.ok {
			t.Errorf("check(%q) = %v, want ok %v", tt.sentence, err, tt.ok)
		}
		if err != nil && !errors.Is(err, ErrUnsupportedPromise) {
			t.Errorf("check(%q): %v is not ErrUnsupportedPromise", tt.sentence, err)
		}
	}
}

func TestCite(t *testing.T) {
	ck := &checker{cases: map[string]bool{"a-1": true, "b-2": true}}
	got := ck.cite("See [case:a-1] and [case:zz-9] and [case:a-1][case:b-2].")
	if got != "See [case:a-1] and and [case:a-1][case:b-2]." || !slices.Equal(ck.cited, []string{"a-1", "b-2"}) {
		t.Errorf("cite = %q, cited %v", got, ck.cited)
	}
}
