package classify

import (
	"strings"
	"unicode"
)

// Hand-written rules for what lingua cannot tell: Hindi written in Latin
// letters (lingua's Hindi model is Devanagari only), and Malay against
// Indonesian, whose shared vocabulary leaves lingua's two best within a
// hair of each other on most short texts. Both rules count marker words:
// frequent words of one language that the other (and English) does not
// use, or uses in another spelling.

// hinglish are function words and everyday verbs of romanised Hindi that
// Tagalog, Malay and English do not have.
var hinglish = wordSet(`hai hain nahi nahin nhi mera meri mere mujhe mujhko kya kyu kyun kaise kab
	aur bhi tha thi gaya gayi raha rahi rahe kiya diya liya hua hui paise paisa yaar abhi kuch
	wala wali wale liye karna karke karo bahut bohot bahot hoga chahiye sakta sakte sakti bata
	batao koi sab apna apni aapka aapki humara hamara hamare tum tumhara pehle baad phir fir`)

// malay and indonesian are words one of the pair uses where the other
// says something else (tak/nggak, duit/uang, akaun/akun, …).
var (
	malay = wordSet(`tak nak boleh duit wang awak kereta sahaja kerana percuma sikit macam mcm dah
		kat pasal mahu hantar cuba faham akaun telefon tempahan penghantaran syarikat perkhidmatan
		semula pejabat ringgit rm je jer takde tiada sbb
		biasalah`)
	indonesian = wordSet(`nggak gak ga enggak engga bisa mau uang kamu mobil saja aja karena gratis gimana
		udah dong sih banget deh kok rupiah rp akun coba kirim pengiriman pemesanan paham telepon
		kembali perusahaan gue gw lo loh kalo kayak tolong dibantu mohon pesanan belum sdh blm`)
)

// A few markers of one side are noise; these many, and these many more
// than the other side, decide.
const (
	minMarkers     = 3
	minMarkerShare = 0.15
)

func wordSet(s string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(s) {
		m[w] = true
	}
	return m
}

// latinWords returns the lower-cased runs of ASCII letters of text.
func latinWords(text string) []string {
	return strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return r > unicode.MaxASCII || !unicode.IsLetter(r)
	})
}

func countIn(words []string, set map[string]bool) int {
	n := 0
	for _, w := range words {
		if set[w] {
			n++
		}
	}
	return n
}

// romanised reports Hindi for Latin text full of Hindi function words,
// when Hindi is configured.
func (d *Detector) romanised(text string) (string, bool) {
	if !d.configured["hi"] {
		return "", false
	}
	words := latinWords(text)
	n := countIn(words, hinglish)
	if n >= minMarkers && float64(n) >= minMarkerShare*float64(len(words)) {
		return "hi", true
	}
	return "", false
}

// closePair settles Malay against Indonesian by their marker words, when
// lingua put one of them first or could not choose between them.
func (d *Detector) closePair(text string, res Language) Language {
	if !d.configured["ms"] || !d.configured["id"] {
		return res
	}
	first, second := res.Code, ""
	if res.RunnerUp != nil {
		second = res.RunnerUp.Code
	}
	if first == Undetermined {
		first = second
	}
	if first != "ms" && first != "id" {
		return res
	}
	words := latinWords(text)
	ms, id := countIn(words, malay), countIn(words, indonesian)
	conf := max(res.Confidence, 0.5)
	if ms == id {
		conf = 0.5
	}
	switch {
	case ms > id:
		return Language{Code: "ms", Confidence: conf, RunnerUp: &Candidate{"id", round3(1 - conf)}}
	case id > ms, d.order["id"] < d.order["ms"]:
		// Lingua's own choice between the two is no better than a coin
		// on short texts: a tie goes to the language configured first (by
		// default Indonesian, the core one). They are mutually
		// intelligible, so a reply in it still serves.
		return Language{Code: "id", Confidence: conf, RunnerUp: &Candidate{"ms", round3(1 - conf)}}
	}
	return Language{Code: "ms", Confidence: conf, RunnerUp: &Candidate{"id", round3(1 - conf)}}
}
