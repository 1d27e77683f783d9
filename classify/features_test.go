package classify

import (
	"testing"

	"github.com/triagedesk/triage"
	"github.com/triagedesk/triage/features"
)

func TestVectorizeIsNormalised(t *testing.T) {
	v := fitVectorizer(DefaultFeatures, nil, []string{"my account was hacked", "账号被盗了", "my order never arrived"}, 1, 0)
	x := v.vectorize("my account was hacked yesterday", newScratch())
	var sum float64
	for i, w := range x.Value {
		sum += float64(w) * float64(w)
		if i > 0 && x.Index[i] <= x.Index[i-1] {
			t.Fatal("indexes not sorted")
		}
	}
	if sum < 0.999 || sum > 1.001 {
		t.Errorf("squared norm %v, want 1", sum)
	}
	if empty := v.vectorize("zzzz qqqq", newScratch()); len(empty.Index) != 0 {
		t.Errorf("unknown n-grams produced features: %v", empty.Index)
	}
}

func TestConceptsAreSharedFeatures(t *testing.T) {
	lex := []triage.Concept{{ID: "hacked", Terms: map[string][]string{"en": {"hacked"}, "zh": {"被盗"}}}}
	v := fitVectorizer(DefaultFeatures, lex, []string{"my account was hacked", "账号被盗了"}, 2, 0)
	// Only the concept occurs in both texts, so with min_df 2 it is the one feature.
	if len(v.idf) != 1 {
		t.Fatalf("%d features, want only the shared concept", len(v.idf))
	}
	if _, ok := v.columns[features.ConceptHash("hacked")]; !ok {
		t.Error("concept feature missing")
	}
}
