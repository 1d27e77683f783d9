package feedback_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/triagedesk/triage/datasets"
	"github.com/triagedesk/triage/feedback"
	"github.com/triagedesk/triage/feedback/feedbacktest"
)

func TestFileStoreContract(t *testing.T) {
	feedbacktest.Run(t, func(t *testing.T) (feedback.Store, func() feedback.Store) {
		path := filepath.Join(t.TempDir(), "sub", "feedback.jsonl")
		s, err := feedback.OpenFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return s, func() feedback.Store {
			s2, err := feedback.OpenFile(path)
			if err != nil {
				t.Fatal(err)
			}
			return s2
		}
	})
}

func TestFileStoreTornLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "feedback.jsonl")
	s, _ := feedback.OpenFile(path)
	ctx := context.Background()
	if err := s.Add(ctx, feedback.Entry{TicketID: "a", Text: "x", Scenario: "technical_issue"}); err != nil {
		t.Fatal(err)
	}
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"ticket_id":"b","te`) // a crash mid-write
	f.Close()
	if got, err := s.List(ctx); err != nil || len(got) != 1 {
		t.Errorf("torn last line: %d entries, %v", len(got), err)
	}
	os.WriteFile(path, []byte("{broken\n{\"ticket_id\":\"c\"}\n"), 0o644)
	if _, err := s.List(ctx); err == nil || !strings.Contains(err.Error(), "feedback.jsonl:1") {
		t.Errorf("bad line in the middle: %v", err)
	}
}

func TestValidate(t *testing.T) {
	tax, err := datasets.LoadTaxonomy()
	if err != nil {
		t.Fatal(err)
	}
	yes := true
	ok := feedback.Entry{TicketID: "T-1", Text: "我的号被盗了", Scenario: "account_security"}
	tests := []struct {
		name string
		mut  func(*feedback.Entry)
		msg  string // "" valid
	}{
		{"valid", func(*feedback.Entry) {}, ""},
		{"only suggestion used", func(e *feedback.Entry) { e.Scenario, e.SuggestionUsed = "", &yes }, ""},
		{"out of scope", func(e *feedback.Entry) { e.Scenario = "oos" }, ""},
		{"no ticket", func(e *feedback.Entry) { e.TicketID = " " }, "ticket_id"},
		{"nothing to record", func(e *feedback.Entry) { e.Scenario = "" }, "nothing to record"},
		{"unknown scenario", func(e *feedback.Entry) { e.Scenario = "billing" }, "unknown scenario"},
		{"severity", func(e *feedback.Entry) { e.Severity = 9 }, "severity 9"},
		{"queue", func(e *feedback.Entry) { e.Queue = "vip" }, "unknown queue"},
		{"channel", func(e *feedback.Entry) { e.Channel = "fax" }, "unknown channel"},
		{"empty text", func(e *feedback.Entry) { e.Text = "  " }, "text"},
		{"invalid utf-8", func(e *feedback.Entry) { e.Text = "\xff" }, "UTF-8"},
	}
	for _, tt := range tests {
		e := ok
		tt.mut(&e)
		err := e.Validate(tax)
		if tt.msg == "" && err != nil || tt.msg != "" && (err == nil || !strings.Contains(err.Error(), tt.msg) || !errors.Is(err, feedback.ErrInvalid)) {
			t.Errorf("%s: %v", tt.name, err)
		}
	}
}

func TestExport(t *testing.T) {
	entries := []feedback.Entry{
		{TicketID: "T-1", Text: "first", Scenario: "payment_recharge"},
		{TicketID: "T-2", Text: "no label", Queue: "payments"},
		{TicketID: "T-1", Text: "first", Scenario: "refund_cancellation", Severity: 2, Lang: "en"},
		{TicketID: "T-3", Text: "third", Scenario: "technical_issue", Channel: "chat"},
	}
	var b bytes.Buffer
	n, err := feedback.Export(&b, entries)
	if err != nil || n != 2 {
		t.Fatalf("%d, %v", n, err)
	}
	want := `{"id":"T-1","text":"first","lang":"en","scenario":"refund_cancellation","severity":2}
{"id":"T-3","text":"third","scenario":"technical_issue","channel":"chat"}
`
	if b.String() != want {
		t.Errorf("export:\n%s\nwant:\n%s", b.String(), want)
	}
	rows, err := datasets.ReadTable(&b, "export.jsonl", datasets.TableOptions{})
	if err != nil || len(rows) != 2 || rows[0].Label != "refund_cancellation" {
		t.Errorf("the export does not read back as training data: %+v %v", rows, err)
	}
}
