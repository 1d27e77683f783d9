package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/triagedesk/triage"
	"github.com/triagedesk/triage/datasets"
	"github.com/triagedesk/triage/eval"
	"github.com/triagedesk/triage/internal/apptest"
	"github.com/triagedesk/triage/llm/llmtest"
)

// testSplit returns the embedded test split.
func testSplit(t *testing.T) []triage.Complaint {
	t.Helper()
	tax, err := datasets.LoadTaxonomy()
	if err != nil {
		t.Fatal(err)
	}
	test, err := datasets.LoadComplaints(datasets.Test, tax)
	if err != nil {
		t.Fatal(err)
	}
	return test
}

func TestEvalDefaultModel(t *testing.T) {
	out := filepath.Join(t.TempDir(), "report")
	r := cli(t, "", nil, "eval", "--out", out)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, want := range []string{"accuracy", "routing accuracy", "severity accuracy", "under-triage", "reports", "field", "hard / ordinary"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("summary lacks %q:\n%s", want, r.stdout)
		}
	}
	field, err := eval.ReadReport(filepath.Join(out, "field", "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	if field.Items < 400 || field.DataHashes["datasets/field/field.jsonl"] == "" || field.Slices.Hard["hard"].Items == 0 {
		t.Errorf("field report: %d items, hashes %v, hard slice %v", field.Items, field.DataHashes, field.Slices.Hard)
	}
	rep, err := eval.ReadReport(filepath.Join(out, "test", "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Items != len(testSplit(t)) || rep.RoutingAccuracy == nil || rep.Severity == nil || rep.LanguageAccuracy == nil || rep.ModelVersion == "" {
		t.Errorf("report %+v", rep)
	}
	if rep.DataHashes["datasets/complaints/test.jsonl"] == "" || !strings.HasPrefix(rep.Command, "triage eval") {
		t.Errorf("provenance: %v %q", rep.DataHashes, rep.Command)
	}
	raw, _ := os.ReadFile(filepath.Join(out, "test", "report.json"))
	for _, key := range []string{`"accuracy"`, `"macro_f1"`, `"weighted_f1"`, `"labels"`, `"confusion"`, `"most_confused"`, `"routing_accuracy"`,
		`"severity"`, `"under_triage_rate"`, `"language_accuracy"`, `"calibration"`, `"ece"`, `"coverage"`, `"slices"`, `"latency_us"`, `"throughput_per_s"`} {
		if !strings.Contains(string(raw), key) {
			t.Errorf("report.json lacks %s", key)
		}
	}
}

// TestRegressionGate evaluates the default model on the test split and
// the field set and compares each with the committed baseline
// (eval/baseline/{test,field}/report.json): accuracy, macro-F1 and
// routing accuracy may not fall by more than 0.02. Re-record the
// baseline deliberately with `make baseline`.
func TestRegressionGate(t *testing.T) {
	out := filepath.Join(t.TempDir(), "now")
	if r := cli(t, "", map[string]string{"TRIAGE_LANGUAGES": ""}, "eval", "--out", out); r.code != 0 {
		t.Fatalf("eval: exit %d: %s", r.code, r.stderr)
	}
	for _, set := range []string{"test", "field"} {
		r := cli(t, "", nil, "eval", "--compare", filepath.Join("../../eval/baseline", set, "report.json"), filepath.Join(out, set, "report.json"), "--max-drop", "0.02")
		if r.code != 0 {
			t.Errorf("the default model regressed on the %s set against eval/baseline (exit %d): %s\n%s", set, r.code, r.stderr, r.stdout)
		}
	}
}

func TestEvalCompareExitCodes(t *testing.T) {
	dir := t.TempDir()
	base := filepath.Join(dir, "base.json")
	worse := filepath.Join(dir, "worse.json")
	write := func(path string, acc float64) {
		b, _ := json.Marshal(eval.Report{Items: 10, Accuracy: acc, MacroF1: acc, Labels: map[string]eval.LabelMetrics{"a": {F1: acc}}})
		os.WriteFile(path, b, 0o644)
	}
	write(base, 0.80)
	write(worse, 0.75)
	if r := cli(t, "", nil, "eval", "--compare", base, worse, "--max-drop", "0.02"); r.code != 3 || !strings.Contains(r.stderr, "regression: accuracy, macro_f1") || !strings.Contains(r.stdout, "REGRESSION") {
		t.Errorf("drop of 0.05: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if r := cli(t, "", nil, "eval", "--compare", base, worse, "--max-drop", "0.1"); r.code != 0 {
		t.Errorf("within margin: exit %d %s", r.code, r.stderr)
	}
	if r := cli(t, "", nil, "eval", "--compare", base); r.code != 2 {
		t.Errorf("one file: exit %d", r.code)
	}
	if r := cli(t, "", nil, "eval", "--compare", base, "testdata/batch.jsonl"); r.code != 1 || !strings.Contains(r.stderr, "not a report") {
		t.Errorf("not a report: exit %d %s", r.code, r.stderr)
	}
}

func TestEvalOwnData(t *testing.T) {
	dir := t.TempDir()
	// train then evaluate, on another dataset's field names
	r := cli(t, "", nil, "eval", "--train", "testdata/intents.csv", "--data", "testdata/intents.csv", "--text-field", "utterance", "--label-field", "intent", "--out", dir)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	rep, err := eval.ReadReport(filepath.Join(dir, "report.json"))
	if err != nil || rep.Items != 18 || rep.RoutingAccuracy != nil || rep.Severity != nil {
		t.Fatalf("%v %+v", err, rep)
	}
	// 3-fold cross-validation: 6 examples per label
	r = cli(t, "", nil, "eval", "--folds", "3", "--data", "testdata/intents.csv", "--text-field", "utterance", "--label-field", "intent")
	if r.code != 0 || !strings.Contains(r.stdout, "3-fold accuracy") {
		t.Errorf("folds: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	// labels unseen in training are counted, not a crash
	model := filepath.Join(dir, "m.model")
	cli(t, "", nil, "train", "--data", "testdata/intents.csv", "--text-field", "utterance", "--label-field", "intent", "--out", model)
	r = cli(t, "", nil, "eval", "--model", model, "--data", "testdata/unseen.jsonl", "--text-field", "utterance", "--label-field", "intent")
	if r.code != 0 || !strings.Contains(r.stdout, "unseen labels") || !strings.Contains(r.stdout, "smalltalk ×1") {
		t.Errorf("unseen labels: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
}

func TestEvalErrors(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.jsonl")
	os.WriteFile(empty, nil, 0o644)
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"broken line", []string{"eval", "--data", "testdata/batch.jsonl"}, 1, "testdata/batch.jsonl:1:"},
		{"empty data", []string{"eval", "--data", empty}, 1, "no items"},
		{"one example per label in k-fold", []string{"eval", "--folds", "5", "--data", "testdata/unseen.jsonl", "--text-field", "utterance", "--label-field", "intent"}, 1, "5-fold needs at least 5 examples per label"},
		{"two modes", []string{"eval", "--model", "x", "--folds", "3"}, 2, "choose one of"},
		{"missing file", []string{"eval", "--data", filepath.Join(dir, "nope.jsonl")}, 1, "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := cli(t, "", nil, tt.args...)
			if r.code != tt.code || !strings.Contains(r.stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want %d containing %q", r.code, r.stderr, tt.code, tt.want)
			}
		})
	}
}

func TestEvalRetrieval(t *testing.T) {
	testStores(t, func(t *testing.T, env map[string]string) {
		out := filepath.Join(t.TempDir(), "ret")
		r := cli(t, "", env, "eval", "retrieval", "--pairs", "testdata/pairs.jsonl", "--out", out)
		if r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		var rep eval.RetrievalReport
		data, err := os.ReadFile(filepath.Join(out, "report.json"))
		if err != nil || json.Unmarshal(data, &rep) != nil {
			t.Fatalf("report: %v %s", err, data)
		}
		if rep.Queries != 4 || rep.Documents != 4 || rep.RecallAt10 < 0.99 || rep.IndexRecallAt10 < 0.99 || rep.RecallAt1 < 0.5 {
			t.Errorf("report %+v", rep)
		}
		for _, key := range []string{`"recall_at_1"`, `"recall_at_5"`, `"recall_at_10"`, `"mrr"`, `"index_recall_at_10"`} {
			if !strings.Contains(string(data), key) {
				t.Errorf("report lacks %s", key)
			}
		}
	})
	r := cli(t, "", map[string]string{"TRIAGE_DATA_DIR": apptest.DataDir(t)}, "eval", "retrieval", "--pairs", "testdata/unseen.jsonl")
	if r.code != 1 || !strings.Contains(r.stderr, "no positive pairs") {
		t.Errorf("pairs without positives: exit %d %s", r.code, r.stderr)
	}
}

// eval retrieval with a remote embedder: the endpoint sees every text
// redacted, never an e-mail address, phone number or card number.
func TestEvalRetrievalSendsNoPII(t *testing.T) {
	srv := llmtest.NewEmbeddings(t, "m", func(text string) []float32 {
		v := make([]float32, 8)
		for j, b := range []byte(text) {
			v[(j+int(b))%8] += float32(b%7) + 1
		}
		return v
	})
	pairs := filepath.Join(t.TempDir(), "pairs.jsonl")
	secrets := []string{"li.wei@example.com", "13812345678", "4111 1111 1111 1111", "+44 7700 900123"}
	lines := `{"text_a":"my account was hacked, write to li.wei@example.com","text_b":"account stolen, contact li.wei@example.com or 13812345678","label":1}
{"text_a":"card 4111 1111 1111 1111 charged twice","text_b":"double charge on my card 4111 1111 1111 1111","label":1}
{"text_a":"call me on +44 7700 900123 about the parcel","text_b":"parcel missing, ring +44 7700 900123","label":1}
`
	if err := os.WriteFile(pairs, []byte(lines), 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"TRIAGE_DATA_DIR": apptest.DataDir(t), "OPENAI_BASE_URL": srv.BaseURL(), "OPENAI_API_KEY": llmtest.APIKey, "TRIAGE_EMBED_MODEL": "m"}
	r := cli(t, "", env, "eval", "retrieval", "--pairs", pairs)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var inputs []string
	for _, b := range srv.Batches() {
		inputs = append(inputs, b...)
	}
	if len(inputs) < 6 {
		t.Fatalf("the endpoint saw %d texts, want every document and query", len(inputs))
	}
	placeholders := 0
	for _, in := range inputs {
		for _, s := range secrets {
			if strings.Contains(in, s) {
				t.Errorf("sent unredacted: %q", in)
			}
		}
		if strings.Contains(in, "[EMAIL_") || strings.Contains(in, "[PHONE_") || strings.Contains(in, "[CARD_") {
			placeholders++
		}
	}
	if placeholders == 0 {
		t.Errorf("no placeholders in what was sent: %q", inputs)
	}
}
