package dedup

import (
	"testing"
)

func TestNormalize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"充了648没到账！！", "充了没到账"},
		{"Cant LOGIN again??", "cantloginagain"},
		{"ｆｕｌｌｗｉｄｔｈ ＡＢＣ", "fullwidthabc"},
		{"😡😡 lag", "lag"},
		{"ไม่ได้รับของ 555", "ไม่ได้รับของ"}, // Thai vowel signs are kept
		{"", ""},
	}
	for _, tt := range tests {
		if got := Normalize(tt.in); got != tt.want {
			t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestNearPairs(t *testing.T) {
	texts := []string{
		"充了648没到账，订单号 4200001987",
		"充了328没到账，订单号 4200001555", // differs only in digits
		"my account was hacked and all my skins are gone",
		"My account was hacked, and all my skins are gone!!", // punctuation and case
		"my account was hacked and all my gems are gone",     // one word swapped: similar, not identical
		"the hotel in Chiang Mai cancelled our booking the night before",
	}
	pairs := NearPairs(texts, 5, 0.6)
	found := map[[2]int]float64{}
	for _, p := range pairs {
		found[[2]int{p.I, p.J}] = p.Jaccard
	}
	if found[[2]int{0, 1}] != 1 || found[[2]int{2, 3}] != 1 {
		t.Errorf("exact duplicates after normalising not found: %v", pairs)
	}
	if j := found[[2]int{2, 4}]; j < 0.6 || j >= 1 {
		t.Errorf("swapped-word pair similarity %v, want in [0.6, 1)", j)
	}
	for k := range found {
		if k[0] == 5 || k[1] == 5 {
			t.Errorf("unrelated text paired: %v", k)
		}
	}
	for i := 1; i < len(pairs); i++ {
		if pairs[i].Jaccard > pairs[i-1].Jaccard {
			t.Fatal("pairs not sorted by similarity")
		}
	}
}

func TestJaccard(t *testing.T) {
	a := Shingles("abcdef", 5) // abcde, bcdef
	b := Shingles("abcdeg", 5) // abcde, bcdeg
	if got := Jaccard(a, b); got != 1.0/3 {
		t.Errorf("Jaccard = %v, want 1/3", got)
	}
	if got := Jaccard(Shingles("abc", 5), Shingles("abc", 5)); got != 1 {
		t.Errorf("short texts: %v", got)
	}
}
