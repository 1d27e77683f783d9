package features

import (
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/triagedesk/triage"
)

// Matcher finds every concept term in a text in one pass
// (Aho–Corasick over bytes). A nil *Matcher matches nothing.
type Matcher struct {
	hashes []uint64 // ConceptHash of each concept id
	// automaton, frozen into arrays: edges of node n are
	// edgeByte/edgeNext[edgeStart[n]:edgeStart[n+1]], sorted by byte.
	edgeStart []int32
	edgeByte  []byte
	edgeNext  []int32
	fail      []int32
	out       [][]int32 // pattern ids ending at each node (suffixes included)
	patterns  []acPattern
	ids       []string // concept ids
}

type acPattern struct {
	length  int
	concept int32
	prefix  bool // may continue with more letters
	sub     bool // matches inside words
}

// NewMatcher builds the automaton for the concepts' terms; it returns nil
// for no concepts.
func NewMatcher(concepts []triage.Concept) *Matcher {
	if len(concepts) == 0 {
		return nil
	}
	type buildNode struct {
		next map[byte]int32
		out  []int32
	}
	nodes := []buildNode{{next: map[byte]int32{}}}
	cm := &Matcher{}
	seen := map[string]bool{}
	for ci, c := range concepts {
		cm.ids = append(cm.ids, c.ID)
		cm.hashes = append(cm.hashes, ConceptHash(c.ID))
		langs := make([]string, 0, len(c.Terms))
		for l := range c.Terms {
			langs = append(langs, l)
		}
		sort.Strings(langs)
		for _, lang := range langs {
			for _, t := range c.Terms[lang] {
				term := strings.ToLower(strings.TrimSpace(t))
				prefix := strings.HasSuffix(term, "*")
				term = strings.TrimSpace(strings.TrimSuffix(term, "*"))
				sub := insideWords[lang]
				key := term + "\x00" + string(rune(ci)) + boolKey(prefix, sub)
				if term == "" || seen[key] {
					continue
				}
				seen[key] = true
				pid := int32(len(cm.patterns))
				cm.patterns = append(cm.patterns, acPattern{length: len(term), concept: int32(ci), prefix: prefix, sub: sub})
				n := int32(0)
				for i := 0; i < len(term); i++ {
					nx, ok := nodes[n].next[term[i]]
					if !ok {
						nx = int32(len(nodes))
						nodes = append(nodes, buildNode{next: map[byte]int32{}})
						nodes[n].next[term[i]] = nx
					}
					n = nx
				}
				nodes[n].out = append(nodes[n].out, pid)
			}
		}
	}
	// Breadth-first failure links.
	fail := make([]int32, len(nodes))
	queue := []int32{}
	for _, nx := range sortedEdges(nodes[0].next) {
		queue = append(queue, nx.next)
	}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		for _, e := range sortedEdges(nodes[n].next) {
			f := fail[n]
			for {
				if nx, ok := nodes[f].next[e.b]; ok && nx != e.next {
					fail[e.next] = nx
					break
				}
				if f == 0 {
					fail[e.next] = 0
					break
				}
				f = fail[f]
			}
			nodes[e.next].out = append(nodes[e.next].out, nodes[fail[e.next]].out...)
			queue = append(queue, e.next)
		}
	}
	cm.fail = fail
	cm.out = make([][]int32, len(nodes))
	cm.edgeStart = make([]int32, len(nodes)+1)
	for i, n := range nodes {
		cm.out[i] = n.out
		cm.edgeStart[i] = int32(len(cm.edgeByte))
		for _, e := range sortedEdges(n.next) {
			cm.edgeByte = append(cm.edgeByte, e.b)
			cm.edgeNext = append(cm.edgeNext, e.next)
		}
	}
	cm.edgeStart[len(nodes)] = int32(len(cm.edgeByte))
	return cm
}

func boolKey(a, b bool) string {
	k := []byte{'0', '0'}
	if a {
		k[0] = '1'
	}
	if b {
		k[1] = '1'
	}
	return string(k)
}

type edge struct {
	b    byte
	next int32
}

func sortedEdges(m map[byte]int32) []edge {
	es := make([]edge, 0, len(m))
	for b, n := range m {
		es = append(es, edge{b, n})
	}
	sort.Slice(es, func(i, j int) bool { return es[i].b < es[j].b })
	return es
}

func (cm *Matcher) step(n int32, b byte) int32 {
	for {
		lo, hi := cm.edgeStart[n], cm.edgeStart[n+1]
		for i := lo; i < hi; i++ {
			if cm.edgeByte[i] == b {
				return cm.edgeNext[i]
			}
			if cm.edgeByte[i] > b {
				break
			}
		}
		if n == 0 {
			return 0
		}
		n = cm.fail[n]
	}
}

// Match calls emit with the concept index of every term found in lower
// (already lower-cased), once per occurrence.
func (cm *Matcher) Match(lower string, emit func(concept int32)) {
	n := int32(0)
	for i := 0; i < len(lower); i++ {
		n = cm.step(n, lower[i])
		for _, pid := range cm.out[n] {
			p := cm.patterns[pid]
			end := i + 1
			start := end - p.length
			if p.sub || (BoundaryBefore(lower, start) && (p.prefix || BoundaryAfter(lower, end))) {
				emit(p.concept)
			}
		}
	}
}

// Hashes returns the feature id (ConceptHash) of each concept, indexed
// as Match reports them.
func (cm *Matcher) Hashes() []uint64 {
	if cm == nil {
		return nil
	}
	return cm.hashes
}

// insideWords are the languages whose terms match without word
// boundaries: their scripts have no spaces between words (zh, ja, th) or
// attach particles to words (ko, ar).
var insideWords = map[string]bool{"zh": true, "ja": true, "th": true, "ko": true, "ar": true}

// InsideWords reports whether terms in lang match anywhere, not only at
// word boundaries.
func InsideWords(lang string) bool { return insideWords[lang] }

// BoundaryBefore reports whether a word may start at byte i of s.
func BoundaryBefore(s string, i int) bool {
	if i == 0 {
		return true
	}
	r, _ := utf8.DecodeLastRuneInString(s[:i])
	return !IsWordRune(r)
}

// BoundaryAfter reports whether a word may end at byte i of s.
func BoundaryAfter(s string, i int) bool {
	if i >= len(s) {
		return true
	}
	r, _ := utf8.DecodeRuneInString(s[i:])
	return !IsWordRune(r)
}
