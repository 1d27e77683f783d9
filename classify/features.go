package classify

import (
	"math"
	"reflect"
	"slices"
	"sort"

	"github.com/triagedesk/triage"
	"github.com/triagedesk/triage/features"
)

// DefaultFeatures is the feature set the shipped model uses.
var DefaultFeatures = features.Config{CharMin: 2, CharMax: 5, DenseMin: 1, DenseMax: 3, WordMax: 2, ConceptWeight: 3}

// Vector is a sparse feature vector: column indexes and values.
type Vector struct {
	Index []int32
	Value []float32
}

// vectorizer maps hashed n-grams to columns and weights them by TF-IDF.
type vectorizer struct {
	features features.Config
	lexicon  []triage.Concept
	concepts *features.Matcher
	columns  map[uint64]int32
	table    *columnTable // columns, for fast lookup
	idf      []float32
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
func newVectorizer(fc features.Config, lexicon []triage.Concept) *vectorizer {
	return &vectorizer{features: fc, lexicon: lexicon, concepts: features.NewMatcher(lexicon)}
}

// index marks concept columns and sets their weight; called once the
// columns are known (after fitting or loading).
func (v *vectorizer) index() {
	v.table = newColumnTable(v.columns)
	v.isConcept = make([]bool, len(v.idf))
	for _, h := range v.concepts.Hashes() {
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
	s.runes = v.features.Extract(text, v.concepts, s.runes, func(h uint64) {
		if c, ok := v.table.get(h); ok {
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
func fitVectorizer(fc features.Config, lexicon []triage.Concept, texts []string, minDF, maxFeatures int) *vectorizer {
	v := newVectorizer(fc, lexicon)
	df := map[uint64]int32{}
	seen := map[uint64]struct{}{}
	var buf []rune
	for _, t := range texts {
		clear(seen)
		buf = fc.Extract(t, v.concepts, buf, func(h uint64) {
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
