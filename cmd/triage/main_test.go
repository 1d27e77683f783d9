package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/triagedesk/triage/classify"
	"github.com/triagedesk/triage/internal/apptest"
)

type cliResult struct {
	code           int
	stdout, stderr string
}

// cli runs the command line in-process with its own data directory and
// a small language set (no lingua models) unless env overrides it.
func cli(t *testing.T, stdin string, env map[string]string, args ...string) cliResult {
	t.Helper()
	vars := map[string]string{"TRIAGE_DATA_DIR": apptest.DataDir(t), "TRIAGE_LANGUAGES": "zh,en"}
	for k, v := range env {
		vars[k] = v
	}
	var out, errb bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(stdin), &out, &errb, func(k string) string { return vars[k] })
	return cliResult{code, out.String(), errb.String()}
}

func TestClassifyCommand(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"TRIAGE_DATA_DIR": dir}
	r := cli(t, "", env, "classify", "充值了648元，钻石一直没到账，订单号 4200001987")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var res classify.Result
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil {
		t.Fatalf("output is not a result: %v\n%s", err, r.stdout)
	}
	if res.Scenario.Label != "payment_recharge" || res.Language.Code != "zh" || res.Queue != "payments" || res.Severity == nil || res.DueAt == nil {
		t.Errorf("unexpected result: %s", r.stdout)
	}
	for _, key := range []string{`"language"`, `"scenario"`, `"alternatives"`, `"severity"`, `"queue"`, `"queues"`, `"sla_minutes"`, `"due_at"`, `"needs_review"`, `"review_reasons"`, `"model_version"`} {
		if !strings.Contains(r.stdout, key) {
			t.Errorf("output lacks %s", key)
		}
	}
	// The default model was cached; a second run reuses it (same version).
	models, _ := filepath.Glob(filepath.Join(dir, "models", "default-*.model"))
	if len(models) != 1 {
		t.Fatalf("cached models: %v", models)
	}
	r2 := cli(t, "my parcel never arrived", env, "classify")
	var res2 classify.Result
	if r2.code != 0 || json.Unmarshal([]byte(r2.stdout), &res2) != nil || res2.ModelVersion != res.ModelVersion {
		t.Errorf("stdin run: exit %d, %s %s", r2.code, r2.stdout, r2.stderr)
	}
	if strings.Contains(r2.stderr, "trained the default model") {
		t.Error("the cached model was retrained")
	}
}

func TestClassifyJSONL(t *testing.T) {
	in, err := os.ReadFile("testdata/batch.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	r := cli(t, string(in), nil, "classify", "--jsonl")
	if r.code != 1 {
		t.Errorf("exit %d, want 1 after bad lines", r.code)
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d results, want 2 (the good lines):\n%s", len(lines), r.stdout)
	}
	for i, id := range []string{"a", "d"} {
		var res classify.Result
		if err := json.Unmarshal([]byte(lines[i]), &res); err != nil || res.ID != id {
			t.Errorf("line %d: id %q (%v), want %q", i, res.ID, err, id)
		}
	}
	for _, want := range []string{"stdin:2:", "stdin:3:", `no field "text"`} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
}

func TestCLIErrors(t *testing.T) {
	dir := t.TempDir()
	notModel := filepath.Join(dir, "junk.model")
	os.WriteFile(notModel, []byte("not a model"), 0o644)
	tests := []struct {
		name  string
		stdin string
		args  []string
		code  int
		want  string
	}{
		{"empty input", "", []string{"classify"}, 1, "no text"},
		{"blank argument", "", []string{"classify", "   "}, 1, "no text"},
		{"invalid UTF-8", "", []string{"classify", "bad \xff"}, 1, "not valid UTF-8"},
		{"missing model", "", []string{"classify", "--model", filepath.Join(dir, "nope.model"), "hello"}, 1, "no such file"},
		{"not a model", "", []string{"classify", "--model", notModel, "hello"}, 1, "not a triage model file"},
		{"unknown flag", "", []string{"classify", "--frobnicate"}, 2, "unknown flag"},
		{"unknown command", "", []string{"frobnicate"}, 2, "unknown command"},
		{"bad flag value", "", []string{"classify", "--llm-timeout", "fast", "hi"}, 2, "--llm-timeout"},
		{"text and jsonl", "", []string{"classify", "--jsonl", "hello"}, 2, "--jsonl reads stdin"},
		{"train without data", "", []string{"train", "--out", filepath.Join(dir, "m")}, 2, "required flag"},
		{"unknown text field", "", []string{"train", "--data", "testdata/intents.csv", "--label-field", "intent", "--out", filepath.Join(dir, "m")}, 1, `testdata/intents.csv:2: missing field: no field "text"`},
		{"broken JSONL", "", []string{"train", "--data", "testdata/batch.jsonl", "--out", filepath.Join(dir, "m")}, 1, "testdata/batch.jsonl:1:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := cli(t, tt.stdin, nil, tt.args...)
			if r.code != tt.code || !strings.Contains(r.stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want exit %d containing %q", r.code, r.stderr, tt.code, tt.want)
			}
			if n := strings.Count(strings.TrimSpace(r.stderr), "\n"); n > 0 && tt.code != 0 {
				t.Errorf("error is not one line:\n%s", r.stderr)
			}
		})
	}
}

func TestTrainOwnData(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(dir, "intents.model")
	r := cli(t, "", nil, "train", "--data", "testdata/intents.csv", "--text-field", "utterance", "--label-field", "intent", "--out", model)
	if r.code != 0 {
		t.Fatalf("train: exit %d: %s", r.code, r.stderr)
	}
	if !strings.Contains(r.stdout, "3 labels") {
		t.Errorf("summary: %s", r.stdout)
	}
	b, err := classify.Load(model)
	if err != nil {
		t.Fatal(err)
	}
	if b.Severity != nil || b.Scenario.Meta.TaxonomyHash != "" || b.Scenario.Meta.Metrics.DevExamples == 0 {
		t.Errorf("meta %+v", b.Scenario.Meta)
	}
	r = cli(t, "", nil, "classify", "--model", model, "my parcel is lost, tracking shows nothing")
	var res classify.Result
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &res) != nil {
		t.Fatalf("classify: exit %d %s %s", r.code, r.stdout, r.stderr)
	}
	// Labels outside the taxonomy: no severity or routing.
	if res.Scenario.Label != "delivery" || res.Severity != nil || res.Queue != "" {
		t.Errorf("result %s", r.stdout)
	}
}

// Every command reads and checks the whole configuration: a bad value is
// exit 2 naming the variable, whichever command runs.
func TestEveryCommandIsStrict(t *testing.T) {
	commands := [][]string{
		{"classify", "hello"}, {"suggest", "hello"}, {"eval"}, {"train", "--data", "x", "--out", "y"},
		{"ingest", "--data", "x"}, {"search", "hello"}, {"feedback", "export"}, {"serve"}, {"eval", "retrieval", "--pairs", "x"},
	}
	bad := []struct{ name, value string }{
		{"TRIAGE_LLM_TIMEOUT", "fast"},
		{"TRIAGE_CLASSIFIER", "cascade"},
		{"TRIAGE_LANG_ACCURACY", "medium"},
		{"TRIAGE_SIMILAR_CASES", "0"},
	}
	for _, args := range commands {
		for _, b := range bad {
			r := cli(t, "", map[string]string{b.name: b.value}, args...)
			if r.code != 2 || !strings.Contains(r.stderr, b.name) {
				t.Errorf("%v with %s=%s: exit %d, %q", args, b.name, b.value, r.code, r.stderr)
			}
		}
	}
}
