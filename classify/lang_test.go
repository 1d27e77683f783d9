package classify

import (
	"sync"
	"testing"
)

var (
	detOnce sync.Once
	det     *Detector
	detErr  error
)

func detector(t testing.TB) *Detector {
	t.Helper()
	detOnce.Do(func() { det, detErr = NewDetector(DetectorConfig{}) })
	if detErr != nil {
		t.Fatal(detErr)
	}
	return det
}

func TestDetect(t *testing.T) {
	d := detector(t)
	tests := []struct {
		text, want string
	}{
		{"ok", Undetermined},
		{"", Undetermined},
		{"12345 !!! 😡", Undetermined},
		{"??", Undetermined},
		{"充了648没到账", "zh"},
		{"我的account被ban了，怎么办", "zh"},
		{"帳號被停權了，求解封", "zh"},
		{"ガチャの天井が機能していません", "ja"},
		{"課金したのに石が届かない", "ja"},
		{"계정이 해킹당했어요", "ko"},
		{"เติมเงินแล้วไม่เข้าเกม", "th"},
		{"تم اختراق حسابي", "ar"},
		{"My account was hacked and all my skins are gone", "en"},
		{"Me robaron la cuenta y perdí todas mis gemas", "es"},
		{"Minha conta foi banida sem motivo nenhum", "pt"},
		{"Mon compte a été piraté hier soir", "fr"},
		{"Das Spiel stürzt ständig ab, seit dem letzten Update", "de"},
		{"Мой аккаунт взломали, верните деньги", "ru"},
		{"Hesabım çalındı, lütfen yardım edin", "tr"},
		{"Tài khoản của tôi bị hack rồi", "vi"},
		{"Akun saya kena hack, tolong dibantu", "id"},
	}
	for _, tt := range tests {
		got := d.Detect(tt.text)
		if got.Code != tt.want {
			t.Errorf("Detect(%q) = %s (%.2f, runner-up %v, %s), want %s", tt.text, got.Code, got.Confidence, got.RunnerUp, got.Reason, tt.want)
		}
		if got.Code == Undetermined && got.Reason == "" {
			t.Errorf("Detect(%q): undetermined without a reason", tt.text)
		}
		if got.Code != Undetermined && (got.Confidence <= 0 || got.Confidence > 1) {
			t.Errorf("Detect(%q): confidence %v", tt.text, got.Confidence)
		}
	}
	// Latin text reports a runner-up.
	if r := d.Detect("Mi cuenta fue hackeada y perdí todo lo que tenía"); r.RunnerUp == nil || r.RunnerUp.Code == r.Code {
		t.Errorf("no runner-up: %+v", r)
	}
}

func TestDetectorConfig(t *testing.T) {
	if _, err := NewDetector(DetectorConfig{Languages: []string{"en", "xx"}}); err == nil {
		t.Error("unknown language code accepted")
	}
	// With one Latin language lingua is not needed at all.
	d, err := NewDetector(DetectorConfig{Languages: []string{"zh", "en"}})
	if err != nil {
		t.Fatal(err)
	}
	if d.lingua != nil {
		t.Error("lingua loaded though every script has one language")
	}
	if got := d.Detect("refund my order please").Code; got != "en" {
		t.Errorf("got %s, want en", got)
	}
	if got := d.Detect("Мой аккаунт взломали").Code; got != Undetermined {
		t.Errorf("Cyrillic with no Cyrillic language configured: got %s", got)
	}
	// Japanese not configured: kana-free Han is Chinese, and kana text has no language.
	if got := d.Detect("ガチャの天井").Code; got != "zh" && got != Undetermined {
		t.Errorf("kana without ja configured: %s", got)
	}
}

func TestDetectAccuracyOnDatasets(t *testing.T) {
	d := detector(t)
	_, _, _, test := loadFixture(t)
	right := 0
	for _, c := range test {
		if d.Detect(c.Text).Code == c.Lang {
			right++
		}
	}
	acc := float64(right) / float64(len(test))
	t.Logf("language accuracy on the test split: %.3f", acc)
	if acc < 0.97 {
		t.Errorf("language accuracy %.3f on our test split, want ≥ 0.97", acc)
	}
}

func BenchmarkDetect(b *testing.B) {
	d := detector(b)
	texts := []string{"cant login again??", "Mi cuenta fue hackeada y perdí todo", "Das Spiel stürzt ständig ab", "充了648没到账", "Мой аккаунт взломали"}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d.Detect(texts[i%len(texts)])
	}
}
