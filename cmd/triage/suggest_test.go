package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	openai "github.com/sashabaranov/go-openai"

	"github.com/triagedesk/triage/eval"
	"github.com/triagedesk/triage/internal/apptest"
	"github.com/triagedesk/triage/llm/llmtest"
	"github.com/triagedesk/triage/redact"
	"github.com/triagedesk/triage/suggest"
)

func decodeDraft(t *testing.T, r cliResult) suggest.Draft {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var d suggest.Draft
	if err := json.Unmarshal([]byte(r.stdout), &d); err != nil {
		t.Fatalf("not a draft: %v\n%s", err, r.stdout)
	}
	return d
}

// Offline drafts for a Chinese and an English complaint, with the policy
// computing compensation from a verified loss.
func TestSuggestOffline(t *testing.T) {
	env := map[string]string{"TRIAGE_DATA_DIR": apptest.DataDir(t)}
	tests := []struct {
		name, text string
		args       []string
		lang       string
		status     string
		amount     string
		cites      bool // a close case exists; otherwise the draft asks for details
	}{
		{"zh pending", "充了648元没到账，微信已经扣款了，订单号4200001987365，手机13812345678", nil, "zh", suggest.CompPending, "", true},
		{"zh verified", "充了648元没到账，微信已经扣款了，订单号4200001987365", []string{"--loss", "648", "--delay-days", "2"}, "zh", suggest.CompComputed, "712.80 CNY", true},
		{"en goodwill in USD, no case close enough", "The support agent hung up on me twice and nobody called back as promised. I pay $9.99 a month for this.", []string{"--currency", "USD", "--min-case-score", "0.9"}, "en", suggest.CompFixed, "3 USD", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := decodeDraft(t, cli(t, "", env, append(append([]string{"suggest", "--json"}, tt.args...), tt.text)...))
			if d.Generator != "offline" || d.Degraded || d.Language != tt.lang {
				t.Errorf("generator %q degraded %v language %q", d.Generator, d.Degraded, d.Language)
			}
			if d.Compensation == nil || d.Compensation.Status != tt.status {
				t.Fatalf("compensation %+v, want %s", d.Compensation, tt.status)
			}
			if tt.amount != "" && !strings.Contains(d.Reply, tt.amount) {
				t.Errorf("reply lacks %s:\n%s", tt.amount, d.Reply)
			}
			if len(d.NextSteps) == 0 || (len(d.Citations) > 0) != tt.cites {
				t.Errorf("citations %v, next steps %v:\n%s", d.Citations, d.NextSteps, d.Reply)
			}
			for _, id := range d.Citations {
				if !strings.Contains(d.Reply, "[case:"+id+"]") {
					t.Errorf("cites %s without a marker", id)
				}
			}
			if !tt.cites && !strings.Contains(d.Reply, "please reply with the following") {
				t.Errorf("no close case, yet the draft asks for nothing:\n%s", d.Reply)
			}
		})
	}

	// Without --json (and not on a terminal): the reply, then the footer.
	r := cli(t, "", env, "suggest", "充了648元没到账")
	if r.code != 0 || !strings.Contains(r.stdout, "您好") || !strings.Contains(r.stdout, "generator:    offline") || !strings.Contains(r.stdout, "next steps:") {
		t.Errorf("plain output: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

func TestSuggestWithLLM(t *testing.T) {
	env := map[string]string{"TRIAGE_DATA_DIR": apptest.DataDir(t), "OPENAI_API_KEY": llmtest.APIKey, "TRIAGE_CHAT_MODEL": "llama3.1:8b"}
	text := "充了648元没到账，微信已经扣款了，订单号4200001987365，我的手机13812345678"

	srv := llmtest.New(t, llmtest.Reply{Text: "您好，已收到您的反馈，我们正在核查这笔付款。结果会通过短信发送到[PHONE_1]。"})
	env["OPENAI_BASE_URL"] = srv.BaseURL()
	d := decodeDraft(t, cli(t, "", env, "suggest", "--json", text))
	if d.Generator != "llm:llama3.1:8b" || d.Degraded || !strings.Contains(d.Reply, "13812345678") {
		t.Errorf("draft %+v", d)
	}
	sent := srv.Requests()
	if len(sent) != 1 || sent[0].Model != "llama3.1:8b" || !strings.Contains(sent[0].Messages[1].Content, "[case:") {
		t.Fatalf("requests %+v", sent)
	}
	for _, m := range sent[0].Messages {
		if strings.Contains(m.Content, "13812345678") {
			t.Error("the phone number left the process")
		}
	}

	down := llmtest.New(t, llmtest.Reply{Status: 500})
	env["OPENAI_BASE_URL"] = down.BaseURL()
	d = decodeDraft(t, cli(t, "", env, "suggest", "--json", text))
	if d.Generator != "offline" || !d.Degraded || d.FallbackReason == "" {
		t.Errorf("endpoint down: %+v", d)
	}
	if len(down.Requests()) != 2 {
		t.Errorf("%d requests to a failing endpoint, want 2 (one retry)", len(down.Requests()))
	}
}

func TestSuggestBadInput(t *testing.T) {
	env := map[string]string{"TRIAGE_DATA_DIR": apptest.DataDir(t)}
	tests := []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"suggest"}, 2, "one TEXT"},
		{[]string{"suggest", "   "}, 2, "one TEXT"},
		{[]string{"suggest", "\xff\xfe"}, 1, "UTF-8"},
		{[]string{"suggest", "--k", "0", "hello"}, 2, "--k"},
		{[]string{"suggest", "--loss", "-5", "hello"}, 2, "negative"},
		{[]string{"suggest", "--classifier", "cascade", "hello"}, 2, "needs an LLM"},
		{[]string{"suggest", "--classifier", "bert", "hello"}, 2, "unknown classifier"},
		{[]string{"suggest", "--loss", "10", "--currency", "XYZ", "my top-up failed"}, 1, "unknown currency"},
	}
	for _, tt := range tests {
		r := cli(t, "", env, tt.args...)
		if r.code != tt.code || !strings.Contains(r.stderr, tt.msg) {
			t.Errorf("%q: exit %d, stderr %q; want %d with %q", tt.args, r.code, r.stderr, tt.code, tt.msg)
		}
	}
}

// eval --classifier cascade asks the LLM only about the complaints the
// model abstains on; an oracle LLM then lifts accuracy.
func TestEvalCascade(t *testing.T) {
	test := testSplit(t)
	gold := map[string]string{}
	for _, c := range test {
		gold[redact.Text(c.Text).Text] = c.Scenario
	}
	srv := llmtest.NewFunc(t, func(req openai.ChatCompletionRequest) llmtest.Reply {
		u := req.Messages[len(req.Messages)-1].Content
		u = strings.TrimSuffix(strings.TrimPrefix(u, "<<<COMPLAINT\n"), "\nCOMPLAINT>>>\n")
		b, _ := json.Marshal(map[string]string{"scenario": gold[u]})
		return llmtest.Reply{Text: string(b)}
	})
	env := map[string]string{"TRIAGE_DATA_DIR": apptest.DataDir(t), "OPENAI_BASE_URL": srv.BaseURL(), "OPENAI_API_KEY": llmtest.APIKey, "TRIAGE_CHAT_MODEL": "oracle"}
	reports := map[string]*eval.Report{}
	for _, mode := range []string{"local", "cascade"} {
		out := filepath.Join(t.TempDir(), mode)
		r := cli(t, "", env, "eval", "--classifier", mode, "--set", "test", "--out", out)
		if r.code != 0 {
			t.Fatalf("%s: exit %d: %s", mode, r.code, r.stderr)
		}
		rep, err := eval.ReadReport(filepath.Join(out, "test", "report.json"))
		if err != nil {
			t.Fatal(err)
		}
		reports[mode] = rep
	}
	calls := len(srv.Requests())
	local, casc := reports["local"], reports["cascade"]
	if calls == 0 || calls >= len(test) {
		t.Errorf("%d LLM calls for %d items", calls, len(test))
	}
	if casc.Accuracy <= local.Accuracy || casc.Classifier != "cascade:oracle" || local.Classifier != "local" {
		t.Errorf("cascade %s %.3f vs local %s %.3f", casc.Classifier, casc.Accuracy, local.Classifier, local.Accuracy)
	}
}
