package classify

import (
	"reflect"
	"sort"
	"testing"
)

func TestConceptMatcher(t *testing.T) {
	cm := newConceptMatcher([]Concept{
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
		cm.match(tt.text, func(c int32) { got = append(got, cm.ids[c]) })
		sort.Strings(got)
		want := append([]string(nil), tt.want...)
		sort.Strings(want)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("match(%q) = %v, want %v", tt.text, got, want)
		}
	}
	if newConceptMatcher(nil) != nil {
		t.Error("empty lexicon should give no matcher")
	}
}

func TestConceptsAreSharedFeatures(t *testing.T) {
	lex := []Concept{{ID: "hacked", Terms: map[string][]string{"en": {"hacked"}, "zh": {"被盗"}}}}
	v := fitVectorizer(DefaultFeatures, lex, []string{"my account was hacked", "账号被盗了"}, 2, 0)
	// Only the concept occurs in both texts, so with min_df 2 it is the one feature.
	if len(v.idf) != 1 {
		t.Fatalf("%d features, want only the shared concept", len(v.idf))
	}
	if _, ok := v.columns[conceptHash("hacked")]; !ok {
		t.Error("concept feature missing")
	}
}
