package classify

import (
	"math"
	"strings"
	"testing"
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
		got, ok := parseNumber(tt.in)
		if ok != tt.ok || (ok && math.Abs(got-tt.want) > 1e-9) {
			t.Errorf("parseNumber(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestFindAmounts(t *testing.T) {
	tax, _, _, _ := loadFixture(t)
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

func TestEscalation(t *testing.T) {
	tax, _, _, _ := loadFixture(t)
	e := newEscalator(tax)
	tests := []struct {
		text, lang, scenario string
		level                int
		signals              []string
	}{
		{"游戏有点卡", "zh", "technical_issue", 1, nil},
		{"再不处理我就去12315投诉", "zh", "payment_recharge", 4, []string{"regulator_media"}},
		{"已经委托律师起诉你们了", "zh", "refund_cancellation", 4, []string{"legal_action"}},
		{"我儿子偷偷用我的手机充了3000", "zh", "privacy_minors", 4, []string{"minors"}},
		{"这是我第三次联系客服了", "zh", "service_quality", 4, []string{"repeated_contact"}},
		{"账号被盗，损失了8万元", "zh", "account_security", 5, []string{"very_large_amount"}},
		{"被盗了6000元装备", "zh", "account_security", 4, []string{"large_amount"}},
		{"I will file a chargeback with my bank", "en", "payment_recharge", 4, []string{"chargeback"}},
		{"this issue is annoying", "en", "technical_issue", 1, nil}, // "sue" inside "issue" does not fire
		{"My lawyer will contact you", "en", "order_delivery", 4, []string{"legal_action"}},
		{"Ich werde die Verbraucherzentrale einschalten", "de", "order_delivery", 4, []string{"regulator_media"}},
		{"Voy a poner una reclamación en PROFECO", "es", "refund_cancellation", 4, []string{"regulator_media"}},
		{"Мой юрист уже готовит иск", "ru", "payment_recharge", 4, []string{"legal_action"}},
		{"변호사와 상담 중입니다", "ko", "account_access", 4, []string{"legal_action"}},
		{"ツアー中に食中毒で入院しました", "ja", "order_delivery", 5, []string{"health_safety"}},
		{"lütfen yardım edin, avukatıma danışacağım", "tr", "account_security", 4, []string{"legal_action"}},
		{"ลูกชายแอบเติมเงินไป", "th", "privacy_minors", 4, []string{"minors"}},
		{"سأتوجه إلى حماية المستهلك", "ar", "refund_cancellation", 4, []string{"regulator_media"}},
		// English phrases fire in any language's ticket; undetermined checks all languages.
		{"我要 chargeback", "zh", "payment_recharge", 4, []string{"chargeback"}},
		{"procon", Undetermined, "order_delivery", 4, []string{"regulator_media"}},
	}
	for _, tt := range tests {
		sev := e.assess(tt.text, tt.lang, tt.scenario)
		if sev.Level != tt.level {
			t.Errorf("%q: level %d, want %d (reasons %v)", tt.text, sev.Level, tt.level, sev.Reasons)
		}
		for _, s := range tt.signals {
			if !strings.Contains(strings.Join(sev.Signals, ","), s) {
				t.Errorf("%q: signals %v lack %s", tt.text, sev.Signals, s)
			}
		}
		if tt.signals == nil && len(sev.Signals) > 0 {
			t.Errorf("%q: unexpected signals %v", tt.text, sev.Signals)
		}
		if len(sev.Reasons) != 1+len(sev.Signals) {
			t.Errorf("%q: %d reasons for %d signals: %v", tt.text, len(sev.Reasons), len(sev.Signals), sev.Reasons)
		}
	}
}
