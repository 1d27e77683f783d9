package classify

import (
	"sync"
	"testing"
)

var (
	detMu  sync.Mutex
	detsBy = map[bool]*Detector{}
)

// detector is the detector with lingua's full models, built once.
func detector(t testing.TB) *Detector { return cachedDetector(t, false) }

// lowDetector is the default of the service: lingua's trigram models.
func lowDetector(t testing.TB) *Detector { return cachedDetector(t, true) }

func cachedDetector(t testing.TB, low bool) *Detector {
	t.Helper()
	detMu.Lock()
	defer detMu.Unlock()
	if d := detsBy[low]; d != nil {
		return d
	}
	d, err := NewDetector(DetectorConfig{LowAccuracy: low})
	if err != nil {
		t.Fatal(err)
	}
	detsBy[low] = d
	return d
}

func TestDetect(t *testing.T) {
	for name, d := range map[string]*Detector{"high": detector(t), "low": lowDetector(t)} {
		t.Run(name, func(t *testing.T) { testDetect(t, d) })
	}
}

func testDetect(t *testing.T, d *Detector) {
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
		// The twelve further languages; Hebrew and Greek by script alone.
		{"החשבון שלי נפרץ ואני לא מצליח להתחבר", "he"},
		{"Ο λογαριασμός μου χακαρίστηκε και δεν μπορώ να συνδεθώ", "el"},
		{"मेरा अकाउंट हैक हो गया है, कृपया मदद करें", "hi"},
		{"Il mio account è stato bannato senza motivo", "it"},
		{"Mijn pakket is nooit aangekomen en niemand reageert", "nl"},
		{"Moje konto zostało zablokowane bez powodu", "pl"},
		{"Мій акаунт зламали, поверніть гроші", "uk"},
		{"Nemohu se přihlásit do svého účtu", "cs"},
		{"Nu am primit banii înapoi după anulare", "ro"},
		{"Jag har inte fått tillbaka mina pengar", "sv"},
		{"Hindi ko ma-access ang account ko, paki-ayos po", "tl"},
		// Romanised Hindi, which lingua has no model for.
		{"bhai mera account hack ho gaya hai, paise bhi nahi aaye", "hi"},
		// Malay and Indonesian by the words only one of them uses.
		{"Saya tak dapat duit balik lagi, dah seminggu tunggu", "ms"},
		{"Saya nggak bisa login, uang saya belum kembali", "id"},
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
	// Latin text that lingua is not certain of reports a runner-up.
	if r := d.Detect("Mi cuenta fue hackeada y perdi todo lo que tenia"); r.Confidence < 1 && (r.RunnerUp == nil || r.RunnerUp.Code == r.Code) {
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
	_, _, _, test := loadFixture(t)
	for name, d := range map[string]*Detector{"high": detector(t), "low": lowDetector(t)} {
		right := 0
		for _, c := range test {
			if d.Detect(c.Text).Code == c.Lang {
				right++
			}
		}
		acc := float64(right) / float64(len(test))
		t.Logf("%s accuracy: language accuracy on the test split: %.3f", name, acc)
		if acc < 0.97 {
			t.Errorf("%s accuracy: language accuracy %.3f on our test split, want ≥ 0.97", name, acc)
		}
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
