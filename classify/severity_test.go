package classify

import (
	"strings"
	"testing"
)

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
		// The further languages, and the two signals added with them.
		{"Il mio avvocato vi contatterà", "it", "order_delivery", 4, []string{"legal_action"}},
		{"W aplikacji widzę dane innych klientów", "pl", "privacy_minors", 4, []string{"others_data"}},
		{"I can see other customers' orders in my account", "en", "privacy_minors", 4, []string{"others_data"}},
		{"dozens of players lost their skins after the update", "en", "virtual_items", 4, []string{"many_affected"}},
		{"Nakikita ko ang order ng iba sa app", "tl", "privacy_minors", 4, []string{"others_data"}},
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
