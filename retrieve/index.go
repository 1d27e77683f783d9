package retrieve

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/triagedesk/triage"
)

// Redactor removes personal data from text. The redact package provides
// the one the product uses.
type Redactor interface {
	Redact(text string) string
}

// ErrNoRedactor: an index was asked to embed or store text without a
// redactor. Build indexes with NewIndex.
var ErrNoRedactor = triage.NewError(triage.EINTERNAL, "retrieve: index without a redactor")

// Index searches a store with the embedder its vectors came from. Every
// text it embeds or stores passes its redactor first, so personal data
// never reaches the store or a remote embedder. Build one with NewIndex.
type Index struct {
	Store Store
	// BatchSize is how many cases Add embeds and writes at a time
	// (default 256).
	BatchSize int

	embedder Embedder
	redactor Redactor
}

// NewIndex binds an embedder to a store: it creates the collection for
// the embedder, or checks that the existing one was built with it. r
// redacts every case and query before it is embedded or stored; it is
// required.
func NewIndex(ctx context.Context, s Store, e Embedder, r Redactor) (*Index, error) {
	if r == nil {
		return nil, ErrNoRedactor
	}
	m := Meta{EmbedderVersion: e.Version(), Dimensions: e.Dimensions()}
	if l, ok := e.(*Local); ok {
		state, err := l.MarshalBinary()
		if err != nil {
			return nil, err
		}
		m.EmbedderState = state
	}
	if m.Dimensions == 0 {
		// A remote embedder learns its size from a first call.
		v, err := e.Embed(ctx, []string{"dimension probe"})
		if err != nil {
			return nil, err
		}
		m.Dimensions = len(v[0])
	}
	if err := s.SetMeta(ctx, m); err != nil {
		return nil, err
	}
	return &Index{Store: s, embedder: e, redactor: r}, nil
}

// EmbedderVersion names the embedder the index's vectors come from.
func (ix *Index) EmbedderVersion() string { return ix.embedder.Version() }

// Embed redacts texts and embeds them: the vectors a search would use.
func (ix *Index) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	if ix.redactor == nil {
		return nil, ErrNoRedactor
	}
	clean := make([]string, len(texts))
	for i, t := range texts {
		clean[i] = ix.redactor.Redact(t)
	}
	return ix.embedder.Embed(ctx, clean)
}

// LocalFor returns the local embedder a store was built with (restored
// from the saved state), or, for a new store, one fitted on corpus.
func LocalFor(ctx context.Context, s Store, corpus []string, opts LocalOptions) (*Local, error) {
	m, err := s.Meta(ctx)
	switch {
	case err == nil && strings.HasPrefix(m.EmbedderVersion, "local/"):
		return UnmarshalLocal(m.EmbedderState)
	case err == nil:
		return nil, fmt.Errorf("%w: the store holds %s vectors; configure that embedder (TRIAGE_EMBED_MODEL) or use another collection", ErrEmbedderMismatch, m.EmbedderVersion)
	case !errors.Is(err, ErrNoCollection):
		return nil, err
	}
	if len(corpus) == 0 {
		return nil, errors.New("local embedder: nothing to fit on: ingest some cases first")
	}
	return FitLocal(corpus, opts), nil
}

// BulkLoader is a store with a faster path for loading many records into
// an empty collection (the PostgreSQL store builds its HNSW index once, afterwards).
type BulkLoader interface {
	BulkLoad(ctx context.Context, recs []Record) error
}

// bulkMin is the smallest load into an empty store that takes the bulk path.
const bulkMin = 1000

// Add embeds and upserts cases in batches; progress (optional) is called
// with the number done after each batch. A large first load into a store
// that can bulk-load is embedded first and loaded in one go.
func (ix *Index) Add(ctx context.Context, cases []triage.Case, progress func(done int)) error {
	if ix.redactor == nil {
		return ErrNoRedactor
	}
	cleaned := make([]triage.Case, len(cases))
	for i, c := range cases {
		r := ix.redactor
		c.Text, c.Resolution, c.Reply = r.Redact(c.Text), r.Redact(c.Resolution), r.Redact(c.Reply)
		cleaned[i] = c
	}
	cases = cleaned
	if bl, ok := ix.Store.(BulkLoader); ok && len(cases) >= bulkMin {
		if n, err := ix.Store.Count(ctx); err == nil && n == 0 {
			return ix.bulk(ctx, bl, cases, progress)
		}
	}
	bs := ix.BatchSize
	if bs <= 0 {
		bs = 256
	}
	for start := 0; start < len(cases); start += bs {
		batch := cases[start:min(start+bs, len(cases))]
		texts := make([]string, len(batch))
		for i, c := range batch {
			texts[i] = c.Text
		}
		vecs, err := ix.embedder.Embed(ctx, texts)
		if err != nil {
			return err
		}
		recs := make([]Record, len(batch))
		for i, c := range batch {
			recs[i] = Record{Case: c, Vector: vecs[i]}
		}
		if err := ix.Store.Upsert(ctx, recs); err != nil {
			return err
		}
		if progress != nil {
			progress(start + len(batch))
		}
	}
	return nil
}

func (ix *Index) bulk(ctx context.Context, bl BulkLoader, cases []triage.Case, progress func(done int)) error {
	recs := make([]Record, len(cases))
	const chunk = 1024
	for start := 0; start < len(cases); start += chunk {
		end := min(start+chunk, len(cases))
		texts := make([]string, end-start)
		for i := range texts {
			texts[i] = cases[start+i].Text
		}
		vecs, err := ix.embedder.Embed(ctx, texts)
		if err != nil {
			return err
		}
		for i := range texts {
			recs[start+i] = Record{Case: cases[start+i], Vector: vecs[i]}
		}
		if progress != nil {
			progress(end / 2) // embedding is the first half of the work
		}
	}
	if err := bl.BulkLoad(ctx, recs); err != nil {
		return err
	}
	if progress != nil {
		progress(len(cases))
	}
	return nil
}

// Search returns the k cases most similar to text that match the filter.
func (ix *Index) Search(ctx context.Context, text string, k int, f Filter) ([]Result, error) {
	if strings.TrimSpace(text) == "" {
		return nil, ErrEmptyQuery
	}
	v, err := ix.Embed(ctx, []string{text})
	if err != nil {
		return nil, err
	}
	return ix.Store.Search(ctx, v[0], k, f)
}
