package retrieve

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"sort"

	"github.com/triagedesk/triage"
	"github.com/triagedesk/triage/features"
)

// LocalOptions configure the local embedder.
type LocalOptions struct {
	// Dimensions of the hashed dense vector (default 1024; ≤ 2,000 so
	// pgvector can build an HNSW index on it).
	Dimensions int `json:"dimensions"`
	// Features are the n-grams taken (default DefaultLocalFeatures).
	Features features.Config `json:"features"`
	// Lexicon adds cross-lingual concept features, so a Portuguese
	// complaint finds a Spanish case about the same thing.
	Lexicon []triage.Concept `json:"lexicon,omitempty"`
}

// DefaultLocalDimensions is the local embedder's default vector size.
const DefaultLocalDimensions = 1024

// DefaultLocalFeatures are the classifier's features with character 1–2-
// grams (not 1–3) over Han, kana and Thai: on short paraphrases the
// trigrams add more noise than signal (recall@5 on BQ 0.107 vs 0.097).
var DefaultLocalFeatures = features.Config{CharMin: 2, CharMax: 5, DenseMin: 1, DenseMax: 2, WordMax: 2, ConceptWeight: 3}

// Local is the default embedder: no network, multilingual, lexical.
// Character n-grams for Han, kana and Thai, word and character n-grams
// elsewhere, and lexicon concepts, weighted by sublinear TF × IDF (IDF
// fitted on the case corpus), folded into a dense vector by signed feature
// hashing and L2-normalised. Its fitted state is saved with the store, so
// queries are always embedded like the stored cases.
type Local struct {
	opts    LocalOptions
	feat    *features.Featurizer
	docs    int
	idf     map[uint64]float32
	unseen  float32 // IDF of a feature no fitted text had
	version string
}

// FitLocal fits the local embedder's IDF on a corpus.
func FitLocal(texts []string, opts LocalOptions) *Local {
	if opts.Dimensions == 0 {
		opts.Dimensions = DefaultLocalDimensions
	}
	if opts.Features == (features.Config{}) {
		opts.Features = DefaultLocalFeatures
	}
	l := &Local{opts: opts, feat: features.NewFeaturizer(opts.Features, opts.Lexicon), docs: len(texts)}
	df := map[uint64]int{}
	seen := map[uint64]bool{}
	for _, t := range texts {
		clear(seen)
		l.feat.Features(t, func(h uint64, _ bool) {
			if !seen[h] {
				seen[h] = true
				df[h]++
			}
		})
	}
	l.idf = make(map[uint64]float32, len(df))
	for h, n := range df {
		l.idf[h] = idf(len(texts), n)
	}
	l.finish()
	return l
}

func idf(docs, df int) float32 {
	return float32(math.Log(float64(1+docs)/float64(1+df)) + 1)
}

func (l *Local) finish() {
	l.unseen = idf(l.docs, 0)
	l.version = "local/1/" + l.stateHash()[:12]
}

// Version identifies the embedder: its parameters and fitted IDF.
func (l *Local) Version() string { return l.version }

// Dimensions is the vector size.
func (l *Local) Dimensions() int { return l.opts.Dimensions }

// Embed embeds texts; it never fails and does no I/O, but honours ctx.
func (l *Local) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	for i, t := range texts {
		if i%256 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		out[i] = l.embed(t)
	}
	return out, nil
}

func (l *Local) embed(text string) []float32 {
	tf := map[uint64]float32{}
	l.feat.Features(text, func(h uint64, concept bool) {
		w := float32(1)
		if concept && l.opts.Features.ConceptWeight > 0 {
			w = float32(l.opts.Features.ConceptWeight)
		}
		tf[h] += w
	})
	v := make([]float32, l.opts.Dimensions)
	dims := uint64(l.opts.Dimensions)
	for h, n := range tf {
		w, ok := l.idf[h]
		if !ok {
			w = l.unseen
		}
		w *= 1 + float32(math.Log(float64(n)))
		if h&1 == 1 {
			w = -w
		}
		v[(h>>1)%dims] += w
	}
	normalize(v)
	return v
}

func normalize(v []float32) {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	if s == 0 {
		return
	}
	inv := float32(1 / math.Sqrt(s))
	for i := range v {
		v[i] *= inv
	}
}

const localMagic = "TRIAGEL1"

// MarshalBinary serialises the fitted embedder (options, corpus size and
// IDF table) for storage beside the vectors.
func (l *Local) MarshalBinary() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(localMagic)
	opts, err := json.Marshal(l.opts)
	if err != nil {
		return nil, err
	}
	binary.Write(&b, binary.LittleEndian, uint32(len(opts)))
	b.Write(opts)
	binary.Write(&b, binary.LittleEndian, uint32(l.docs))
	keys := make([]uint64, 0, len(l.idf))
	for h := range l.idf {
		keys = append(keys, h)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	binary.Write(&b, binary.LittleEndian, uint32(len(keys)))
	for _, h := range keys {
		binary.Write(&b, binary.LittleEndian, h)
		binary.Write(&b, binary.LittleEndian, l.idf[h])
	}
	return b.Bytes(), nil
}

// ErrEmbedderState is returned for unreadable embedder state.
var ErrEmbedderState = triage.NewError(triage.EINVALID, "unreadable local embedder state")

// UnmarshalLocal restores an embedder saved with MarshalBinary.
func UnmarshalLocal(data []byte) (*Local, error) {
	r := bytes.NewReader(data)
	magic := make([]byte, len(localMagic))
	if _, err := r.Read(magic); err != nil || string(magic) != localMagic {
		return nil, ErrEmbedderState
	}
	var n uint32
	if binary.Read(r, binary.LittleEndian, &n) != nil || int(n) > r.Len() {
		return nil, ErrEmbedderState
	}
	optJSON := make([]byte, n)
	r.Read(optJSON)
	l := &Local{}
	if err := json.Unmarshal(optJSON, &l.opts); err != nil || l.opts.Dimensions <= 0 {
		return nil, fmt.Errorf("%w: options", ErrEmbedderState)
	}
	var docs, count uint32
	if binary.Read(r, binary.LittleEndian, &docs) != nil || binary.Read(r, binary.LittleEndian, &count) != nil || int(count)*12 != r.Len() {
		return nil, fmt.Errorf("%w: truncated", ErrEmbedderState)
	}
	l.docs = int(docs)
	l.idf = make(map[uint64]float32, count)
	for i := uint32(0); i < count; i++ {
		var h uint64
		var w float32
		binary.Read(r, binary.LittleEndian, &h)
		binary.Read(r, binary.LittleEndian, &w)
		l.idf[h] = w
	}
	l.feat = features.NewFeaturizer(l.opts.Features, l.opts.Lexicon)
	l.finish()
	return l, nil
}

func (l *Local) stateHash() string {
	data, _ := l.MarshalBinary()
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}
