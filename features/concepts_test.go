package features

import (
	"reflect"
	"sort"
	"testing"

	"github.com/triagedesk/triage"
)

func TestConceptMatcher(t *testing.T) {
	cm := NewMatcher([]triage.Concept{
		{ID: "hacked", Terms: map[string][]string{"en": {"hack*", "stolen account"}, "zh": {"被盗", "盗号"}, "ru": {"взлом*"}}},
		{ID: "legal", Terms: map[string][]string{"en": {"sue", "lawyer*"}, "ko": {"변호사"}}},
		{ID: "refund", Terms: map[string][]string{"en": {"refund*"}, "es": {"reembolso"}, "zh": {"退款"}}},
	})
	tests := []struct {
		text string
		want []string
	}{
		{"my account got hacked", []string{"hacked"}},
		{"hackers stole my stolen account", []string{"hacked", "hacked"}},
		{"this is an issue, not a lawsuit", nil}, // "sue" only as a word
		{"i will sue you and call my lawyers", []string{"legal", "legal"}},
		{"号被盗了要退款", []string{"hacked", "refund"}}, // substrings in Chinese
		{"аккаунт взломали", []string{"hacked"}},
		{"변호사를 선임했습니다", []string{"legal"}}, // Korean particles attach: substring
		{"quiero un reembolso ya", []string{"refund"}},
		{"reembolsos", nil}, // es term without * must end at a word boundary
		{"", nil},
	}
	for _, tt := range tests {
		var got []string
		cm.Match(tt.text, func(c int32) { got = append(got, cm.ids[c]) })
		sort.Strings(got)
		want := append([]string(nil), tt.want...)
		sort.Strings(want)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("match(%q) = %v, want %v", tt.text, got, want)
		}
	}
	if NewMatcher(nil) != nil {
		t.Error("empty lexicon should give no matcher")
	}
}
