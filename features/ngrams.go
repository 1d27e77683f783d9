package features

import (
	"unicode"
	"unicode/utf8"

	"github.com/triagedesk/triage"
	"golang.org/x/text/unicode/norm"
)

// Config sets which n-grams Extract and the Featurizer take.
type Config struct {
	// CharMin and CharMax bound the character n-grams taken inside words of
	// space-delimited scripts (Latin, Cyrillic, Hangul, Arabic…), with the
	// word padded by boundary marks.
	CharMin int `json:"char_min"`
	CharMax int `json:"char_max"`
	// DenseMin and DenseMax bound the character n-grams taken over runs of
	// scripts written without spaces (Han, kana, Thai, Lao, Khmer, Myanmar).
	DenseMin int `json:"dense_min"`
	DenseMax int `json:"dense_max"`
	// WordMax is the longest word n-gram (1: unigrams, 2: and bigrams).
	WordMax int `json:"word_max"`
	// ConceptWeight scales lexicon concept features against n-grams
	// (0 means 1).
	ConceptWeight float64 `json:"concept_weight,omitempty"`
}

// feature kinds, mixed into the hash so a word and a character n-gram
// with the same letters are different features.
const (
	kindWord    = 'w'
	kindChar    = 'c'
	kindDense   = 'd'
	kindConcept = 'x'
)

// dense reports whether r belongs to a script written without spaces
// between words, where character n-grams stand in for words.
func dense(r rune) bool {
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Thai,
		unicode.Lao, unicode.Khmer, unicode.Myanmar)
}

// wordRune reports whether r continues a word in a space-delimited script.
func wordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Mc, r)
}

// token is one word, or one run of a dense script.
type token struct {
	runes []rune
	dense bool
}

// tokenize splits normalised text into words and dense-script runs. A
// sentence break (punctuation) is marked with a nil token so word
// n-grams do not span it.
func tokenize(text string, buf []rune) ([]token, []rune) {
	if !norm.NFKC.IsNormalString(text) {
		text = norm.NFKC.String(text)
	}
	buf = buf[:0]
	for _, r := range text {
		buf = append(buf, unicode.ToLower(r))
	}
	var toks []token
	for i := 0; i < len(buf); {
		r := buf[i]
		switch {
		case dense(r):
			j := i + 1
			for j < len(buf) && (dense(buf[j]) || unicode.Is(unicode.Mn, buf[j]) || unicode.Is(unicode.Mc, buf[j])) {
				j++
			}
			toks = append(toks, token{buf[i:j:j], true})
			i = j
		case wordRune(r):
			j := i + 1
			for j < len(buf) && wordRune(buf[j]) && !dense(buf[j]) {
				j++
			}
			toks = append(toks, token{buf[i:j:j], false})
			i = j
		default:
			if !unicode.IsSpace(r) && len(toks) > 0 && toks[len(toks)-1].runes != nil {
				toks = append(toks, token{}) // sentence or clause break
			}
			i++
		}
	}
	return toks, buf
}

// fnv-1a, 64 bit: stable across processes and platforms, so hashed
// feature ids can be stored in model files.
const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func hashByte(h uint64, b byte) uint64 { return (h ^ uint64(b)) * fnvPrime }

func hashRunes(h uint64, rs []rune) uint64 {
	var b [utf8.UTFMax]byte
	for _, r := range rs {
		n := utf8.EncodeRune(b[:], r)
		for _, c := range b[:n] {
			h = hashByte(h, c)
		}
	}
	return h
}

// ConceptHash is the feature id of a lexicon concept.
func ConceptHash(id string) uint64 {
	h := hashByte(fnvOffset, kindConcept)
	for i := 0; i < len(id); i++ {
		h = hashByte(h, id[i])
	}
	return h
}

// Extract calls emit with the hash of every n-gram of text, and of every
// concept m finds in it (m may be nil), repeats included. buf is scratch
// space for the lower-cased runes; the grown buffer is returned for reuse.
func (fc Config) Extract(text string, m *Matcher, buf []rune, emit func(uint64)) []rune {
	toks, buf := tokenize(text, buf)
	if m != nil {
		m.Match(string(buf), func(c int32) { emit(m.hashes[c]) })
	}
	var padded []rune
	for i, t := range toks {
		if t.runes == nil {
			continue
		}
		if t.dense {
			for s := 0; s+fc.DenseMin <= len(t.runes); s++ {
				h := hashByte(fnvOffset, kindDense)
				for n := 1; n <= fc.DenseMax && s+n <= len(t.runes); n++ {
					h = hashRunes(h, t.runes[s+n-1:s+n])
					if n >= fc.DenseMin {
						emit(h)
					}
				}
			}
		} else {
			padded = append(padded[:0], ' ')
			padded = append(padded, t.runes...)
			padded = append(padded, ' ')
			// Each start's n-grams extend one another, so one pass of the
			// hash per start yields all of them (FNV is sequential).
			for s := 0; s+fc.CharMin <= len(padded); s++ {
				h := hashByte(fnvOffset, kindChar)
				for n := 1; n <= fc.CharMax && s+n <= len(padded); n++ {
					h = hashRunes(h, padded[s+n-1:s+n])
					if n >= fc.CharMin {
						emit(h)
					}
				}
			}
		}
		// word n-grams: a dense run counts as one word for its neighbours
		h := hashRunes(hashByte(fnvOffset, kindWord), t.runes)
		if !t.dense {
			emit(h)
		}
		for n := 2; n <= fc.WordMax; n++ {
			if i+n > len(toks) {
				break
			}
			g := h
			ok := true
			for _, u := range toks[i+1 : i+n] {
				if u.runes == nil {
					ok = false
					break
				}
				g = hashRunes(hashByte(g, ' '), u.runes)
			}
			if ok {
				emit(g)
			}
		}
	}
	return buf
}

// Featurizer extracts features from text: hashed word
// and character n-grams and lexicon concepts. Other packages (similar-case
// retrieval) use it to see text the way the classifier does. It is safe
// for concurrent use.
type Featurizer struct {
	cfg       Config
	concepts  *Matcher
	isConcept map[uint64]bool
}

// NewFeaturizer returns a featurizer for the config and lexicon.
func NewFeaturizer(cfg Config, lexicon []triage.Concept) *Featurizer {
	f := &Featurizer{cfg: cfg, concepts: NewMatcher(lexicon), isConcept: map[uint64]bool{}}
	for _, h := range f.concepts.Hashes() {
		f.isConcept[h] = true
	}
	return f
}

// Features calls emit with the 64-bit hash of every feature occurrence
// in text; concept is true for lexicon concepts.
func (f *Featurizer) Features(text string, emit func(hash uint64, concept bool)) {
	f.cfg.Extract(text, f.concepts, nil, func(h uint64) { emit(h, f.isConcept[h]) })
}
