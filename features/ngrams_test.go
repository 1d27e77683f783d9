package features

import (
	"reflect"
	"testing"
)

func TestTokenize(t *testing.T) {
	tests := []struct {
		in   string
		want []string // "" marks a clause break; "#" prefix a dense run
	}{
		{"Cant LOGIN again??", []string{"cant", "login", "again", ""}},
		{"我的account被ban了", []string{"#我的", "account", "#被", "ban", "#了"}},
		{"充了648没到账，急", []string{"#充了", "648", "#没到账", "", "#急"}},
		{"ｆｕｌｌｗｉｄｔｈ", []string{"fullwidth"}}, // NFKC
		{"เกมค้าง แลค", []string{"#เกมค้าง", "#แลค"}},
		{"계정 해킹 당했어요", []string{"계정", "해킹", "당했어요"}},
		{"", nil},
	}
	for _, tt := range tests {
		toks, _ := tokenize(tt.in, nil)
		var got []string
		for _, tok := range toks {
			switch {
			case tok.runes == nil:
				got = append(got, "")
			case tok.dense:
				got = append(got, "#"+string(tok.runes))
			default:
				got = append(got, string(tok.runes))
			}
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("tokenize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestExtractCounts(t *testing.T) {
	fc := Config{CharMin: 3, CharMax: 3, DenseMin: 1, DenseMax: 2, WordMax: 2}
	count := func(text string) int {
		n := 0
		fc.Extract(text, nil, nil, func(uint64) { n++ })
		return n
	}
	// "ab": padded " ab " → 2 char trigrams, 1 word = 3
	if got := count("ab"); got != 3 {
		t.Errorf("ab: %d features, want 3", got)
	}
	// "ab cd": 2+2 trigrams, 2 words, 1 bigram = 7
	if got := count("ab cd"); got != 7 {
		t.Errorf("ab cd: %d features, want 7", got)
	}
	// "ab. cd": the break stops the bigram = 6
	if got := count("ab. cd"); got != 6 {
		t.Errorf("ab. cd: %d features, want 6", got)
	}
	// "账号被盗": 4 unigrams + 3 bigrams = 7
	if got := count("账号被盗"); got != 7 {
		t.Errorf("账号被盗: %d features, want 7", got)
	}
}

func TestFeatureHashesAreStable(t *testing.T) {
	// Hashes are stored in model files: they must not change between
	// builds. FNV-1a of "c" + " ab".
	var got []uint64
	Config{CharMin: 3, CharMax: 3, DenseMin: 1, DenseMax: 1, WordMax: 1}.Extract("ab", nil, nil, func(h uint64) { got = append(got, h) })
	want := hashRunes(hashByte(fnvOffset, kindChar), []rune(" ab"))
	if got[0] != want || want != 0xd6dc8b921d616b95 {
		t.Errorf("hash of ' ab' = %#x (recomputed %#x); feature hashing changed", got[0], want)
	}
}
