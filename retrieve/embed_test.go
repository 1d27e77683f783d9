package retrieve

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/triagedesk/triage/datasets"
)

var corpus = []string{
	"充了648没到账，订单号4200001987",
	"账号被盗了，装备全没了",
	"my account was hacked and my gems are gone",
	"the parcel never arrived, tracking stuck for a week",
	"refund my cancelled booking please",
	"Mi cuenta fue hackeada y perdí todas mis gemas",
}

func TestLocalEmbedder(t *testing.T) {
	lex, err := datasets.LoadLexicon()
	if err != nil {
		t.Fatal(err)
	}
	l := FitLocal(corpus, LocalOptions{Lexicon: lex.Concepts})
	if l.Dimensions() != DefaultLocalDimensions || !strings.HasPrefix(l.Version(), "local/1/") {
		t.Fatalf("dims %d version %s", l.Dimensions(), l.Version())
	}
	vs, err := l.Embed(context.Background(), []string{corpus[2], "My account got hacked, all gems gone!", "the parcel never arrived", corpus[5], "sunny weather tomorrow"})
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range vs {
		var n float64
		for _, x := range v {
			n += float64(x) * float64(x)
		}
		if math.Abs(n-1) > 1e-4 {
			t.Errorf("vector %d has squared norm %v", i, n)
		}
	}
	same, other := cosine(vs[0], vs[1]), cosine(vs[0], vs[2])
	if same < 0.5 || other > same-0.2 {
		t.Errorf("paraphrase similarity %.3f, unrelated %.3f", same, other)
	}
	// Cross-lingual: the concept features tie the Spanish to the English.
	if cross, unrelated := cosine(vs[0], vs[3]), cosine(vs[3], vs[4]); cross < unrelated+0.1 {
		t.Errorf("es–en hacked %.3f vs unrelated %.3f: concepts do not bridge languages", cross, unrelated)
	}

	// The saved state restores the same embedder.
	state, err := l.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	back, err := UnmarshalLocal(state)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := back.Embed(context.Background(), []string{corpus[2]})
	if back.Version() != l.Version() || cosine(again[0], vs[0]) < 0.99999 {
		t.Errorf("restored embedder differs: %s vs %s", back.Version(), l.Version())
	}
	// Another corpus is another embedder.
	if FitLocal(corpus[:3], LocalOptions{}).Version() == l.Version() {
		t.Error("different fits share a version")
	}
	for _, bad := range [][]byte{nil, []byte("TRIAGEL1"), state[:len(state)-5], []byte("garbage garbage")} {
		if _, err := UnmarshalLocal(bad); !errors.Is(err, ErrEmbedderState) {
			t.Errorf("bad state accepted: %v", err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := l.Embed(ctx, corpus); err == nil {
		t.Error("cancelled context ignored")
	}
}
