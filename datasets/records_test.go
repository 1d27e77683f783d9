package datasets

import (
	"errors"
	"strings"
	"testing"
)

func TestReadComplaints(t *testing.T) {
	tax, err := LoadTaxonomy()
	if err != nil {
		t.Fatal(err)
	}
	good := `{"id":"a1","text":"充了648没到账","lang":"zh","scenario":"payment_recharge","severity":3,"queue":"payments","channel":"chat"}`
	good2 := `{"id":"a2","text":"cant login again","lang":"en","scenario":"account_access","severity":1,"queue":"account_services","channel":"app_review"}`
	tests := []struct {
		name     string
		input    string
		wantN    int
		wantLine int
		wantErr  error
		wantMsg  string
	}{
		{"two rows", good + "\n" + good2 + "\n", 2, 0, nil, ""},
		{"blank lines, CRLF, BOM and no final newline", "\xef\xbb\xbf" + good + "\r\n\r\n" + good2, 2, 0, nil, ""},
		{"empty input", "", 0, 0, nil, ""},
		{"broken JSON", good + "\n{\"id\":\"a3\",\"text\":\n", 1, 2, ErrSyntax, "unexpected EOF"},
		{"invalid UTF-8", good + "\n" + strings.Replace(good2, "cant", "c\xffnt", 1), 1, 2, ErrSyntax, "invalid UTF-8"},
		{"unknown field", strings.Replace(good, `"channel"`, `"chanel"`, 1), 0, 1, ErrSchema, `unknown field "chanel"`},
		{"wrong type", strings.Replace(good, `"severity":3`, `"severity":"3"`, 1), 0, 1, ErrSchema, `field "severity"`},
		{"severity out of range", strings.Replace(good, `"severity":3`, `"severity":9`, 1), 0, 1, ErrSchema, "severity 9 outside 1..5"},
		{"empty text", strings.Replace(good, "充了648没到账", "  ", 1), 0, 1, ErrSchema, "empty text"},
		{"missing id", strings.Replace(good, `"id":"a1",`, "", 1), 0, 1, ErrSchema, "missing id"},
		{"bad lang", strings.Replace(good, `"lang":"zh"`, `"lang":"Chinese"`, 1), 0, 1, ErrSchema, "ISO 639-1"},
		{"unknown scenario", strings.Replace(good, "payment_recharge", "lottery", 1), 0, 1, ErrLabel, `scenario "lottery"`},
		{"queue disagrees with taxonomy", strings.Replace(good, `"queue":"payments"`, `"queue":"game_ops"`, 1), 0, 1, ErrLabel, `routes to "payments"`},
		{"unknown channel", strings.Replace(good, `"channel":"chat"`, `"channel":"fax"`, 1), 0, 1, ErrLabel, `channel "fax"`},
		{"duplicate id", good + "\n" + good, 1, 2, ErrSchema, "duplicate id"},
		{"two objects on a line", good + good2, 0, 1, ErrSyntax, "more than one JSON value"},
		{"array instead of object", `[1,2]`, 0, 1, ErrSchema, ""},
		{"line too long", good + "\n" + `{"id":"x","text":"` + strings.Repeat("a", MaxLineBytes) + `"}` + "\n" + good2, 1, 2, ErrTooLong, "over"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadComplaints(strings.NewReader(tt.input), "in.jsonl", tax)
			if tt.wantErr == nil {
				if err != nil {
					t.Fatal(err)
				}
				if len(got) != tt.wantN {
					t.Fatalf("got %d rows, want %d", len(got), tt.wantN)
				}
				return
			}
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			var le *LineError
			if !errors.As(err, &le) || le.Line != tt.wantLine || le.File != "in.jsonl" {
				t.Fatalf("err = %#v, want a LineError at in.jsonl:%d", err, tt.wantLine)
			}
			if !strings.HasPrefix(err.Error(), "in.jsonl:") || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("message %q lacks %q", err, tt.wantMsg)
			}
		})
	}
}

func TestReadComplaintsWithoutTaxonomy(t *testing.T) {
	// Without a taxonomy, labels are free-form: other datasets use their own.
	in := `{"id":"b1","text":"transfer failed","lang":"en","scenario":"failed_transfer","severity":2,"queue":"","channel":"sms"}`
	got, err := ReadComplaints(strings.NewReader(in), "x.jsonl", nil)
	if err != nil || len(got) != 1 || got[0].Scenario != "failed_transfer" {
		t.Fatalf("got %v, %v", got, err)
	}
}

func TestReadCases(t *testing.T) {
	tax, err := LoadTaxonomy()
	if err != nil {
		t.Fatal(err)
	}
	good := `{"id":"k1","text":"充值648元两天没到账","lang":"zh","scenario":"payment_recharge","severity":3,"queue":"payments","channel":"chat","resolution":"查到回调丢失，已补单","reply":"您好，已补发并补偿712.8元。","compensation":{"policy":"loss","loss":648,"currency":"CNY","delay_days":2,"amount":712.8,"form":"original_payment"},"resolved_at":"2025-03-14T09:21:00+08:00"}`
	tests := []struct {
		name    string
		input   string
		wantErr error
		wantMsg string
	}{
		{"valid", good, nil, ""},
		{"no compensation", strings.Replace(good, `"compensation":{"policy":"loss","loss":648,"currency":"CNY","delay_days":2,"amount":712.8,"form":"original_payment"},`, "", 1), nil, ""},
		{"amount off policy", strings.Replace(good, `"amount":712.8`, `"amount":1296`, 1), ErrSchema, "policy allows 712.80"},
		{"wrong policy", strings.Replace(good, `"policy":"loss"`, `"policy":"goodwill"`, 1), ErrLabel, `uses "loss"`},
		{"unknown currency", strings.Replace(good, `"currency":"CNY"`, `"currency":"DOGE"`, 1), ErrLabel, "unknown currency"},
		{"unknown form", strings.Replace(good, `"original_payment"`, `"cash_in_envelope"`, 1), ErrLabel, "form"},
		{"empty reply", strings.Replace(good, `"reply":"您好，已补发并补偿712.8元。"`, `"reply":""`, 1), ErrSchema, "empty reply"},
		{"missing resolved_at", strings.Replace(good, `,"resolved_at":"2025-03-14T09:21:00+08:00"`, "", 1), ErrSchema, "missing resolved_at"},
		{"bad resolved_at", strings.Replace(good, `2025-03-14T09:21:00+08:00`, `yesterday`, 1), ErrSyntax, "parsing time"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadCases(strings.NewReader(tt.input), "cases.jsonl", tax)
			if tt.wantErr == nil {
				if err != nil || len(got) != 1 {
					t.Fatalf("got %d, %v", len(got), err)
				}
				return
			}
			if !errors.Is(err, tt.wantErr) || !strings.Contains(err.Error(), tt.wantMsg) || !strings.HasPrefix(err.Error(), "cases.jsonl:1: ") {
				t.Fatalf("err = %v, want %v containing %q", err, tt.wantErr, tt.wantMsg)
			}
		})
	}
}

func FuzzReadComplaints(f *testing.F) {
	tax, err := LoadTaxonomy()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(`{"id":"a1","text":"充了648没到账","lang":"zh","scenario":"payment_recharge","severity":3,"queue":"payments","channel":"chat"}`)
	f.Add("{\"id\":1}\n\xff")
	f.Add("\n\n[]")
	f.Fuzz(func(t *testing.T, in string) {
		rows, err := ReadComplaints(strings.NewReader(in), "f", tax)
		if err != nil {
			var le *LineError
			if !errors.As(err, &le) {
				t.Fatalf("error without a line: %v", err)
			}
			return
		}
		for _, r := range rows {
			if r.ID == "" || strings.TrimSpace(r.Text) == "" {
				t.Fatalf("accepted an invalid row %+v", r)
			}
		}
	})
}
