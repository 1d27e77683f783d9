package datasets

import (
	"errors"
	"strings"
	"testing"
)

func TestReadTable(t *testing.T) {
	tests := []struct {
		name     string
		file     string
		input    string
		opt      TableOptions
		want     []Row
		wantErr  error
		wantLine int
		wantMsg  string
	}{
		{
			name:  "jsonl with other field names",
			file:  "x.jsonl",
			input: `{"utterance":"where is my parcel","intent":"delivery","id":7,"lang":"en"}` + "\n" + `{"utterance":"refund please","intent":"refund"}`,
			opt:   TableOptions{TextField: "utterance", LabelField: "intent"},
			want:  []Row{{Line: 1, ID: "7", Text: "where is my parcel", Label: "delivery", Lang: "en"}, {Line: 2, Text: "refund please", Label: "refund"}},
		},
		{
			name:  "numeric labels become strings",
			file:  "sev.jsonl",
			input: `{"text":"lawyer letter attached","severity":5}`,
			opt:   TableOptions{LabelField: "severity"},
			want:  []Row{{Line: 1, Text: "lawyer letter attached", Label: "5", Severity: 5}},
		},
		{
			name:  "csv with header, quotes and embedded newline",
			file:  "x.csv",
			input: "id,text,scenario,severity\nc1,\"charged twice, refund me\",payment_recharge,3\nc2,\"line one\nline two\",technical_issue,1\n",
			want: []Row{
				{Line: 2, ID: "c1", Text: "charged twice, refund me", Label: "payment_recharge", Severity: 3},
				{Line: 3, ID: "c2", Text: "line one\nline two", Label: "technical_issue", Severity: 1},
			},
		},
		{
			name:  "label optional",
			file:  "in.jsonl",
			input: `{"id":"a","text":"hello"}`,
			opt:   TableOptions{LabelOptional: true},
			want:  []Row{{Line: 1, ID: "a", Text: "hello"}},
		},
		{name: "unknown text field", file: "x.jsonl", input: `{"body":"hi","scenario":"x"}`, wantErr: ErrField, wantLine: 1, wantMsg: `no field "text" (fields: body, scenario)`},
		{name: "missing label", file: "x.jsonl", input: `{"text":"hi"}` + "\n" + `{"text":"ho","scenario":""}`, wantErr: ErrField, wantLine: 1, wantMsg: "no label"},
		{name: "text is an object", file: "x.jsonl", input: `{"text":{"a":1},"scenario":"x"}`, wantErr: ErrSchema, wantLine: 1, wantMsg: "is an object"},
		{name: "line is an array", file: "x.jsonl", input: `{"text":"a","scenario":"x"}` + "\n[1,2]", wantErr: ErrSchema, wantLine: 2, wantMsg: "JSON object"},
		{name: "broken json", file: "x.jsonl", input: `{"text":"a","scenario":"x"}` + "\n{\"text\":", wantErr: ErrSyntax, wantLine: 2},
		{name: "empty text", file: "x.csv", input: "text,scenario\n  ,x\n", wantErr: ErrSchema, wantLine: 2, wantMsg: "empty text"},
		{name: "csv field count", file: "x.csv", input: "text,scenario\na,b\na,b,c\n", wantErr: ErrSyntax, wantLine: 3},
		{name: "csv bare quote", file: "x.csv", input: "text,scenario\n\"unterminated,b\n", wantErr: ErrSyntax, wantLine: 2},
		{name: "csv invalid UTF-8", file: "x.csv", input: "text,scenario\nok,a\nbad \xff,b\n", wantErr: ErrSyntax, wantLine: 3, wantMsg: "invalid UTF-8"},
		{name: "empty file", file: "x.jsonl", input: "", want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadTable(strings.NewReader(tt.input), tt.file, tt.opt)
			if tt.wantErr != nil {
				var le *LineError
				if !errors.Is(err, tt.wantErr) || !errors.As(err, &le) || le.Line != tt.wantLine || !strings.Contains(err.Error(), tt.wantMsg) {
					t.Fatalf("err = %v, want %v at line %d containing %q", err, tt.wantErr, tt.wantLine, tt.wantMsg)
				}
				if !strings.HasPrefix(err.Error(), tt.file+":") {
					t.Errorf("error %q does not start with the file name", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d rows %+v, want %d", len(got), got, len(tt.want))
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("row %d = %+v, want %+v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestEachLineGoesOnAfterBadLines(t *testing.T) {
	in := "ok 1\n\xff bad\n" + strings.Repeat("x", MaxLineBytes+10) + "\nok 2\n"
	var good []string
	var bad []int
	err := EachLine(strings.NewReader(in), "in", func(line int, data []byte, err error) error {
		if err != nil {
			bad = append(bad, line)
			return nil
		}
		good = append(good, string(data))
		return nil
	})
	if err != nil || strings.Join(good, ",") != "ok 1,ok 2" || len(bad) != 2 || bad[0] != 2 || bad[1] != 3 {
		t.Errorf("err %v, good %q, bad lines %v", err, good, bad)
	}
}
