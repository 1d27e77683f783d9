package features

import (
	"math"
	"testing"

	"github.com/triagedesk/triage/datasets"
)

func TestParseNumber(t *testing.T) {
	tests := []struct {
		in   string
		want float64
		ok   bool
	}{
		{"648", 648, true},
		{"1,299.00", 1299, true},
		{"1.200,50", 1200.5, true},
		{"38,000", 38000, true},
		{"4.797", 4797, true},
		{"18.960.000", 18960000, true},
		{"99,99", 99.99, true},
		{"49.99", 49.99, true},
		{"38 000", 38000, true},
		{"1.2.3", 0, false},
	}
	for _, tt := range tests {
		got, ok := ParseNumber(tt.in)
		if ok != tt.ok || (ok && math.Abs(got-tt.want) > 1e-9) {
			t.Errorf("ParseNumber(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestFindAmounts(t *testing.T) {
	tax, err := datasets.LoadTaxonomy()
	if err != nil {
		t.Fatal(err)
	}
	p := NewAmountFinder(tax)
	tests := []struct {
		text     string
		currency string
		value    float64
	}{
		{"充了648元没到账", "CNY", 648},
		{"被扣了¥328两次", "CNY", 328},
		{"损失了2万元的装备", "CNY", 20000},
		{"一共5千块钱", "CNY", 5000},
		{"charged $49.99 twice", "USD", 49.99},
		{"I lost USD 1,250 in a day", "USD", 1250},
		{"Abbuchung von 1.200 € ohne Grund", "EUR", 1200},
		{"현질 38만원 했는데", "KRW", 380000},
		{"₩55,000 결제됐어요", "KRW", 55000},
		{"cobraram R$ 89,90 duas vezes", "BRL", 89.9},
		{"списали 399 руб. за подписку", "RUB", 399},
		{"mất 18.960.000đ", "VND", 18960000},
		{"課金した¥12,000が消えた", "CNY", 12000}, // ¥ alone reads as yuan: the taxonomy lists it under CNY
		{"3万円課金しました", "JPY", 30000},
		{"2.300 € retirados", "EUR", 2300},
		// The currencies of the twelve further languages.
		{"Zapłaciłem 1 200 zł i nic nie dostałem", "PLN", 1200},
		{"Saya bayar RM 350 tapi tak dapat", "MYR", 350},
		{"שילמתי ₪4,500 ולא קיבלתי כלום", "ILS", 4500},
		{"Zaplatil jsem 2 500 Kč a nic", "CZK", 2500},
		{"Am plătit 3000 lei pentru bilet", "RON", 3000},
		{"Я заплатила 5000 грн за квиток", "UAH", 5000},
		{"Jag betalade 4 500 kr för resan", "SEK", 4500},
		{"Πλήρωσα 800 ευρώ για το πακέτο", "EUR", 800},
		{"मैंने ₹60,000 दिए और कुछ नहीं मिला", "INR", 60000},
		{"4 bin TL'lik skin", "TRY", 4000},
		{"promise me 10000 yuan now", "CNY", 10000},
		{"İade edilmedi, 250 TL kayıp", "TRY", 250}, // İ lower-cases to 3 bytes
	}
	for _, tt := range tests {
		got := p.Find(tt.text)
		if len(got) == 0 {
			t.Errorf("find(%q): nothing found", tt.text)
			continue
		}
		if got[0].Currency != tt.currency || math.Abs(got[0].Value-tt.value) > 1e-6 {
			t.Errorf("find(%q) = %+v, want %v %s", tt.text, got[0], tt.value, tt.currency)
		}
	}
	for _, text := range []string{"订单号 4200001987 还没发货", "level 648 boss", "3 days ago", "call 555-0199", "1,2,3 go"} {
		if got := p.Find(text); len(got) != 0 {
			t.Errorf("find(%q) = %+v, want no amount", text, got)
		}
	}
}
