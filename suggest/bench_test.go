package suggest_test

import (
	"context"
	"testing"
	"time"

	"github.com/triagedesk/triage/llm/llmtest"
)

// The offline drafter: facts, redaction, checks and assembly.
func BenchmarkOfflineDraft(b *testing.B) {
	d, req := drafter(b, nil), zhRequest(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := d.Draft(context.Background(), req); err != nil {
			b.Fatal(err)
		}
	}
}

// An LLM draft against a local fake endpoint: the overhead we add around
// the model (prompt, HTTP, streaming, sentence checks, citations).
func BenchmarkLLMDraft(b *testing.B) {
	srv := llmtest.New(b, llmtest.Reply{Text: "您好，您在微信支付的648元已查到扣款记录，正在核查没有到账的原因 [case:case-zh-0007]。专员会在60分钟内回复您。给您带来不便，非常抱歉。"})
	d, req := drafter(b, newLLM(b, srv, 5*time.Second)), zhRequest(b)
	b.ReportAllocs()
	for b.Loop() {
		if dr, err := d.Draft(context.Background(), req); err != nil || dr.Degraded {
			b.Fatal(err, dr.FallbackReason)
		}
	}
}
