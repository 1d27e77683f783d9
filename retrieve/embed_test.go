package retrieve

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

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

func cos(a, b []float32) float64 {
	var d, na, nb float64
	for i := range a {
		d += float64(a[i]) * float64(b[i])
		na += float64(a[i]) * float64(a[i])
		nb += float64(b[i]) * float64(b[i])
	}
	return d / math.Sqrt(na*nb)
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
	same, other := cos(vs[0], vs[1]), cos(vs[0], vs[2])
	if same < 0.5 || other > same-0.2 {
		t.Errorf("paraphrase similarity %.3f, unrelated %.3f", same, other)
	}
	// Cross-lingual: the concept features tie the Spanish to the English.
	if cross, unrelated := cos(vs[0], vs[3]), cos(vs[3], vs[4]); cross < unrelated+0.1 {
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
	if back.Version() != l.Version() || cos(again[0], vs[0]) < 0.99999 {
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

// fakeOpenAI speaks the embeddings wire format and checks what it is sent.
type fakeOpenAI struct {
	t        *testing.T
	dims     int
	failures []int // status codes to answer first, in order
	calls    atomic.Int32
	inputs   [][]string
}

func (f *fakeOpenAI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := int(f.calls.Add(1))
	if r.Method != http.MethodPost || r.URL.Path != "/v1/embeddings" {
		f.t.Errorf("request %s %s", r.Method, r.URL.Path)
	}
	if got := r.Header.Get("Authorization"); got != "Bearer sk-test" {
		f.t.Errorf("Authorization %q", got)
	}
	if n <= len(f.failures) {
		w.WriteHeader(f.failures[n-1])
		io.WriteString(w, `{"error":{"message":"slow down","type":"rate_limit"}}`)
		return
	}
	var req struct {
		Model string   `json:"model"`
		Input []string `json:"input"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Model != "embed-test" {
		f.t.Errorf("body: %v model %q", err, req.Model)
	}
	f.inputs = append(f.inputs, req.Input)
	type item struct {
		Object    string    `json:"object"`
		Index     int       `json:"index"`
		Embedding []float32 `json:"embedding"`
	}
	resp := struct {
		Object string `json:"object"`
		Data   []item `json:"data"`
		Model  string `json:"model"`
	}{Object: "list", Model: req.Model}
	// answer in reverse order: the client must place vectors by index
	for i := len(req.Input) - 1; i >= 0; i-- {
		v := make([]float32, f.dims)
		v[0] = float32(len(req.Input[i]))
		resp.Data = append(resp.Data, item{"embedding", i, v})
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(resp)
}

func newFake(t *testing.T, f *fakeOpenAI, dims int, opt OpenAIOptions) (*OpenAI, func()) {
	f.t = t
	srv := httptest.NewServer(f)
	opt.BaseURL, opt.APIKey, opt.Model = srv.URL+"/v1", "sk-test", "embed-test"
	opt.Backoff = time.Millisecond
	opt.Dimensions = dims
	e, err := NewOpenAI(opt)
	if err != nil {
		t.Fatal(err)
	}
	return e, srv.Close
}

func TestOpenAIEmbedder(t *testing.T) {
	f := &fakeOpenAI{dims: 8}
	e, stop := newFake(t, f, 0, OpenAIOptions{BatchSize: 2})
	defer stop()
	texts := []string{"a", "bb", "ccc", "dddd", "eeeee"}
	vs, err := e.Embed(context.Background(), texts)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.inputs) != 3 || len(f.inputs[0]) != 2 || len(f.inputs[2]) != 1 {
		t.Errorf("batches %v", f.inputs)
	}
	for i, v := range vs {
		if int(v[0]) != len(texts[i]) {
			t.Errorf("vector %d belongs to another text", i)
		}
	}
	if e.Dimensions() != 8 || e.Version() != "openai/embed-test" {
		t.Errorf("dims %d version %s", e.Dimensions(), e.Version())
	}
}

func TestOpenAIRetries(t *testing.T) {
	f := &fakeOpenAI{dims: 4, failures: []int{429, 503}}
	e, stop := newFake(t, f, 4, OpenAIOptions{})
	defer stop()
	if _, err := e.Embed(context.Background(), []string{"x"}); err != nil {
		t.Fatalf("after a 429 and a 503: %v", err)
	}
	if f.calls.Load() != 3 {
		t.Errorf("%d calls, want 3", f.calls.Load())
	}
	// A client error is not retried.
	f2 := &fakeOpenAI{dims: 4, failures: []int{400}}
	e2, stop2 := newFake(t, f2, 4, OpenAIOptions{})
	defer stop2()
	if _, err := e2.Embed(context.Background(), []string{"x"}); err == nil || f2.calls.Load() != 1 {
		t.Errorf("400: err %v after %d calls", err, f2.calls.Load())
	}
	// Retries give up.
	f3 := &fakeOpenAI{dims: 4, failures: []int{500, 500, 500, 500, 500}}
	e3, stop3 := newFake(t, f3, 4, OpenAIOptions{Retries: 2})
	defer stop3()
	if _, err := e3.Embed(context.Background(), []string{"x"}); err == nil || f3.calls.Load() != 3 {
		t.Errorf("persistent 500: err %v after %d calls", err, f3.calls.Load())
	}
}

func TestOpenAIDimensionCheck(t *testing.T) {
	f := &fakeOpenAI{dims: 8}
	e, stop := newFake(t, f, 16, OpenAIOptions{})
	defer stop()
	if _, err := e.Embed(context.Background(), []string{"x"}); !errors.Is(err, ErrDimension) {
		t.Errorf("8-dim answer for a 16-dim store: %v", err)
	}
}

func TestOpenAIHonoursContext(t *testing.T) {
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer slow.Close()
	defer close(release)
	e, _ := NewOpenAI(OpenAIOptions{BaseURL: slow.URL + "/v1", Model: "m"})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := e.Embed(ctx, []string{"x"}); err == nil || time.Since(start) > 2*time.Second {
		t.Errorf("err %v after %v", err, time.Since(start))
	}
	if _, err := NewOpenAI(OpenAIOptions{}); err == nil {
		t.Error("no model accepted")
	}
}
