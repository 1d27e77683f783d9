// Package dedup finds exact and near-duplicate texts: the check that keeps
// a dataset from testing a model on what it was trained on.
package dedup

import (
	"sort"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Normalize folds a text to the form duplicates are compared in: NFKC,
// lower case, letters only. Texts that differ only in digits, punctuation,
// spacing or emoji normalise to the same string.
func Normalize(s string) string {
	s = norm.NFKC.String(s)
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Mc, r) {
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// Shingles returns the set of character n-grams of the normalised text; a
// text shorter than n is one shingle.
func Shingles(s string, n int) map[string]struct{} {
	r := []rune(Normalize(s))
	set := make(map[string]struct{}, len(r))
	if len(r) <= n {
		if len(r) > 0 {
			set[string(r)] = struct{}{}
		}
		return set
	}
	for i := 0; i+n <= len(r); i++ {
		set[string(r[i:i+n])] = struct{}{}
	}
	return set
}

// Jaccard returns |a∩b| / |a∪b| of two shingle sets.
func Jaccard(a, b map[string]struct{}) float64 {
	if len(a) == 0 && len(b) == 0 {
		return 1
	}
	if len(a) > len(b) {
		a, b = b, a
	}
	inter := 0
	for k := range a {
		if _, ok := b[k]; ok {
			inter++
		}
	}
	return float64(inter) / float64(len(a)+len(b)-inter)
}

// Pair is two texts (by index) and their similarity.
type Pair struct {
	I, J    int
	Jaccard float64
}

// NearPairs returns every pair of texts whose character n-gram Jaccard
// similarity is at least threshold, most similar first. Exact duplicates
// after Normalize have similarity 1.
func NearPairs(texts []string, n int, threshold float64) []Pair {
	sets := make([]map[string]struct{}, len(texts))
	index := map[string][]int{}
	for i, t := range texts {
		sets[i] = Shingles(t, n)
		for g := range sets[i] {
			index[g] = append(index[g], i)
		}
	}
	var pairs []Pair
	shared := make([]int, len(texts))
	for i := range texts {
		var touched []int
		for g := range sets[i] {
			for _, j := range index[g] {
				if j > i {
					if shared[j] == 0 {
						touched = append(touched, j)
					}
					shared[j]++
				}
			}
		}
		for _, j := range touched {
			inter := shared[j]
			shared[j] = 0
			union := len(sets[i]) + len(sets[j]) - inter
			if sim := float64(inter) / float64(union); sim >= threshold {
				pairs = append(pairs, Pair{i, j, sim})
			}
		}
	}
	sort.Slice(pairs, func(a, b int) bool {
		if pairs[a].Jaccard != pairs[b].Jaccard {
			return pairs[a].Jaccard > pairs[b].Jaccard
		}
		if pairs[a].I != pairs[b].I {
			return pairs[a].I < pairs[b].I
		}
		return pairs[a].J < pairs[b].J
	})
	return pairs
}
