package classify

import (
	"math"
	"reflect"
	"slices"
	"sort"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// FeatureConfig sets which n-grams the featurizer extracts.
type FeatureConfig struct {
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

// DefaultFeatures is the feature set the shipped model uses.
var DefaultFeatures = FeatureConfig{CharMin: 2, CharMax: 5, DenseMin: 1, DenseMax: 3, WordMax: 2, ConceptWeight: 3}

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

// conceptHash is the feature id of a lexicon concept.
func conceptHash(id string) uint64 {
	h := hashByte(fnvOffset, kindConcept)
	for i := 0; i < len(id); i++ {
		h = hashByte(h, id[i])
	}
	return h
}

// extract calls emit with the hash of every n-gram of text, and of every
// lexicon concept found in it, repeats included.
func (fc FeatureConfig) extract(text string, cm *conceptMatcher, conceptIDs []uint64, buf []rune, emit func(uint64)) []rune {
	toks, buf := tokenize(text, buf)
	if cm != nil {
		cm.match(string(buf), func(c int32) { emit(conceptIDs[c]) })
	}
	var padded []rune
	for i, t := range toks {
		if t.runes == nil {
			continue
		}
		if t.dense {
			for n := fc.DenseMin; n <= fc.DenseMax; n++ {
				for s := 0; s+n <= len(t.runes); s++ {
					emit(hashRunes(hashByte(fnvOffset, kindDense), t.runes[s:s+n]))
				}
			}
		} else {
			padded = append(padded[:0], ' ')
			padded = append(padded, t.runes...)
			padded = append(padded, ' ')
			for n := fc.CharMin; n <= fc.CharMax; n++ {
				if n > len(padded) {
					break
				}
				for s := 0; s+n <= len(padded); s++ {
					emit(hashRunes(hashByte(fnvOffset, kindChar), padded[s:s+n]))
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

// Vector is a sparse feature vector: column indexes and values.
type Vector struct {
	Index []int32
	Value []float32
}

// vectorizer maps hashed n-grams to columns and weights them by TF-IDF.
type vectorizer struct {
	features FeatureConfig
	lexicon  []Concept
	concepts *conceptMatcher
	// conceptIDs are the feature hashes of the matcher's concepts.
	conceptIDs []uint64
	columns    map[uint64]int32
	idf        []float32
	// isConcept marks the columns that are lexicon concepts.
	isConcept     []bool
	conceptWeight float32
}

// equal: the same features, vocabulary and weights, so both give the
// same vector for any text.
func (v *vectorizer) equal(o *vectorizer) bool {
	if v == o {
		return true
	}
	if v.features != o.features || v.conceptWeight != o.conceptWeight || !reflect.DeepEqual(v.lexicon, o.lexicon) ||
		len(v.columns) != len(o.columns) || !slices.Equal(v.idf, o.idf) || !slices.Equal(v.isConcept, o.isConcept) {
		return false
	}
	for h, c := range v.columns {
		if d, ok := o.columns[h]; !ok || d != c {
			return false
		}
	}
	return true
}

// newVectorizer prepares the concept matcher; columns and idf are filled
// by fitting or loading.
func newVectorizer(fc FeatureConfig, lexicon []Concept) *vectorizer {
	v := &vectorizer{features: fc, lexicon: lexicon, concepts: newConceptMatcher(lexicon)}
	for _, c := range lexicon {
		v.conceptIDs = append(v.conceptIDs, conceptHash(c.ID))
	}
	return v
}

// index marks concept columns and sets their weight; called once the
// columns are known (after fitting or loading).
func (v *vectorizer) index() {
	v.isConcept = make([]bool, len(v.idf))
	for _, h := range v.conceptIDs {
		if c, ok := v.columns[h]; ok {
			v.isConcept[c] = true
		}
	}
	v.conceptWeight = float32(v.features.ConceptWeight)
	if v.conceptWeight == 0 {
		v.conceptWeight = 1
	}
}

// scratch holds reusable buffers for one goroutine.
type scratch struct {
	runes []rune
	cols  []int32
}

func newScratch() *scratch { return &scratch{cols: make([]int32, 0, 1024)} }

// vectorize returns the L2-normalised TF-IDF vector of text with
// sublinear term frequency (1 + log tf). Unknown n-grams are ignored.
func (v *vectorizer) vectorize(text string, s *scratch) Vector {
	s.cols = s.cols[:0]
	s.runes = v.features.extract(text, v.concepts, v.conceptIDs, s.runes, func(h uint64) {
		if c, ok := v.columns[h]; ok {
			s.cols = append(s.cols, c)
		}
	})
	slices.Sort(s.cols)
	n := 0
	for i, c := range s.cols {
		if i == 0 || c != s.cols[i-1] {
			n++
		}
	}
	vec := Vector{Index: make([]int32, 0, n), Value: make([]float32, 0, n)}
	var norm2 float64
	for i := 0; i < len(s.cols); {
		j := i + 1
		for j < len(s.cols) && s.cols[j] == s.cols[i] {
			j++
		}
		tf := float32(1)
		if j-i > 1 {
			tf = 1 + float32(math.Log(float64(j-i)))
		}
		w := tf * v.idf[s.cols[i]]
		if v.isConcept[s.cols[i]] {
			w *= v.conceptWeight
		}
		vec.Index = append(vec.Index, s.cols[i])
		vec.Value = append(vec.Value, w)
		norm2 += float64(w) * float64(w)
		i = j
	}
	if norm2 > 0 {
		inv := float32(1 / math.Sqrt(norm2))
		for i := range vec.Value {
			vec.Value[i] *= inv
		}
	}
	return vec
}

// fitVectorizer builds the vocabulary from training texts: n-grams that
// occur in at least minDF texts, at most maxFeatures of them (the most
// frequent; ties broken by hash, so the result is deterministic).
func fitVectorizer(fc FeatureConfig, lexicon []Concept, texts []string, minDF, maxFeatures int) *vectorizer {
	v := newVectorizer(fc, lexicon)
	df := map[uint64]int32{}
	seen := map[uint64]struct{}{}
	var buf []rune
	for _, t := range texts {
		clear(seen)
		buf = fc.extract(t, v.concepts, v.conceptIDs, buf, func(h uint64) {
			if _, ok := seen[h]; !ok {
				seen[h] = struct{}{}
				df[h]++
			}
		})
	}
	type entry struct {
		h  uint64
		df int32
	}
	var keep []entry
	for h, n := range df {
		if int(n) >= minDF {
			keep = append(keep, entry{h, n})
		}
	}
	sort.Slice(keep, func(a, b int) bool {
		if keep[a].df != keep[b].df {
			return keep[a].df > keep[b].df
		}
		return keep[a].h < keep[b].h
	})
	if maxFeatures > 0 && len(keep) > maxFeatures {
		keep = keep[:maxFeatures]
	}
	sort.Slice(keep, func(a, b int) bool { return keep[a].h < keep[b].h })
	v.columns, v.idf = make(map[uint64]int32, len(keep)), make([]float32, len(keep))
	n := float64(len(texts))
	for i, e := range keep {
		v.columns[e.h] = int32(i)
		v.idf[i] = float32(math.Log((1+n)/(1+float64(e.df))) + 1)
	}
	v.index()
	return v
}

// Featurizer extracts the classifier's features from text: hashed word
// and character n-grams and lexicon concepts. Other packages (similar-case
// retrieval) use it to see text the way the classifier does. It is safe
// for concurrent use.
type Featurizer struct {
	cfg        FeatureConfig
	concepts   *conceptMatcher
	conceptIDs []uint64
	isConcept  map[uint64]bool
}

// NewFeaturizer returns a featurizer for the config and lexicon.
func NewFeaturizer(cfg FeatureConfig, lexicon []Concept) *Featurizer {
	v := newVectorizer(cfg, lexicon)
	f := &Featurizer{cfg: cfg, concepts: v.concepts, conceptIDs: v.conceptIDs, isConcept: map[uint64]bool{}}
	for _, h := range f.conceptIDs {
		f.isConcept[h] = true
	}
	return f
}

// Features calls emit with the 64-bit hash of every feature occurrence
// in text; concept is true for lexicon concepts.
func (f *Featurizer) Features(text string, emit func(hash uint64, concept bool)) {
	f.cfg.extract(text, f.concepts, f.conceptIDs, nil, func(h uint64) { emit(h, f.isConcept[h]) })
}
