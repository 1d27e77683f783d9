package datasets_test

import (
	"bytes"
	"io/fs"
	"os"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/triagedesk/triage/datasets"
	"github.com/triagedesk/triage/datasets/dedup"
	"github.com/triagedesk/triage/datasets/internal/card"
)

// The minimums the datasets issue sets; a change that breaks one fails CI.
const (
	minComplaints       = 1800
	minPerScenario      = 120
	minPerSeverity      = 60
	minZhShare          = 0.30
	minEnShare          = 0.15
	minOtherLanguages   = 8
	minPerOtherLanguage = 40
	minCases            = 480
	minCasesPerScenario = 30
	minCaseLanguages    = 5
	minPerCaseLanguage  = 10
)

func load(t *testing.T) card.Data {
	t.Helper()
	d, err := card.Load()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestComplaintCounts(t *testing.T) {
	d := load(t)
	cs := d.AllComplaints()
	if len(cs) < minComplaints {
		t.Errorf("%d complaints, want ≥ %d", len(cs), minComplaints)
	}
	byScenario, bySeverity, byLang := map[string]int{}, map[int]int{}, map[string]int{}
	for _, c := range cs {
		byScenario[c.Scenario]++
		bySeverity[c.Severity]++
		byLang[c.Lang]++
		if !d.Taxonomy.HasLanguage(c.Lang) {
			t.Errorf("%s: language %q is not in the taxonomy", c.ID, c.Lang)
		}
	}
	for _, s := range d.Taxonomy.ScenarioIDs() {
		if byScenario[s] < minPerScenario {
			t.Errorf("scenario %s: %d rows, want ≥ %d", s, byScenario[s], minPerScenario)
		}
	}
	for lvl := 1; lvl <= 5; lvl++ {
		if bySeverity[lvl] < minPerSeverity {
			t.Errorf("severity %d: %d rows, want ≥ %d", lvl, bySeverity[lvl], minPerSeverity)
		}
	}
	if share := float64(byLang["zh"]) / float64(len(cs)); share < minZhShare {
		t.Errorf("Chinese share %.3f, want ≥ %.2f", share, minZhShare)
	}
	if share := float64(byLang["en"]) / float64(len(cs)); share < minEnShare {
		t.Errorf("English share %.3f, want ≥ %.2f", share, minEnShare)
	}
	others := 0
	for lang, n := range byLang {
		if lang != "zh" && lang != "en" && n >= minPerOtherLanguage {
			others++
		}
	}
	if others < minOtherLanguages {
		t.Errorf("%d further languages with ≥ %d rows, want ≥ %d (%v)", others, minPerOtherLanguage, minOtherLanguages, byLang)
	}
}

func TestSplitsAreStratified(t *testing.T) {
	d := load(t)
	total := len(d.AllComplaints())
	for s, want := range map[datasets.Split]float64{datasets.Train: 0.70, datasets.Dev: 0.15, datasets.Test: 0.15} {
		if got := float64(len(d.Complaints[s])) / float64(total); got < want-0.02 || got > want+0.02 {
			t.Errorf("%s share %.3f, want %.2f ± 0.02", s, got, want)
		}
	}
	// Every (scenario, language) stratum with enough rows appears in every split.
	strata := map[[2]string]map[datasets.Split]int{}
	for _, s := range datasets.Splits {
		for _, c := range d.Complaints[s] {
			k := [2]string{c.Scenario, c.Lang}
			if strata[k] == nil {
				strata[k] = map[datasets.Split]int{}
			}
			strata[k][s]++
		}
	}
	for k, n := range strata {
		sum := n[datasets.Train] + n[datasets.Dev] + n[datasets.Test]
		if sum < 7 {
			continue
		}
		for _, s := range datasets.Splits {
			if n[s] == 0 {
				t.Errorf("stratum %v (%d rows) has no %s rows", k, sum, s)
			}
		}
		if tr := float64(n[datasets.Train]) / float64(sum); tr < 0.5 || tr > 0.85 {
			t.Errorf("stratum %v: train share %.2f", k, tr)
		}
	}
}

func TestCaseCounts(t *testing.T) {
	d := load(t)
	if len(d.Cases) < minCases {
		t.Errorf("%d cases, want ≥ %d", len(d.Cases), minCases)
	}
	byScenario, byLang := map[string]int{}, map[string]int{}
	withComp := 0
	for _, c := range d.Cases {
		byScenario[c.Scenario]++
		byLang[c.Lang]++
		if c.Compensation != nil {
			withComp++
		}
		if !strings.HasPrefix(c.ID, "case-") {
			t.Errorf("case id %q lacks the case- prefix", c.ID)
		}
		if y := c.ResolvedAt.Year(); y < 2023 || y > 2026 {
			t.Errorf("%s: resolved_at %v out of range", c.ID, c.ResolvedAt)
		}
	}
	for _, s := range d.Taxonomy.ScenarioIDs() {
		if byScenario[s] < minCasesPerScenario {
			t.Errorf("cases for %s: %d, want ≥ %d", s, byScenario[s], minCasesPerScenario)
		}
	}
	langs := 0
	for _, n := range byLang {
		if n >= minPerCaseLanguage {
			langs++
		}
	}
	if langs < minCaseLanguages {
		t.Errorf("%d case languages with ≥ %d rows, want ≥ %d (%v)", langs, minPerCaseLanguage, minCaseLanguages, byLang)
	}
	// Compensation is given in some cases, not all: refusals exist.
	if withComp == 0 || withComp == len(d.Cases) {
		t.Errorf("%d of %d cases have compensation", withComp, len(d.Cases))
	}
}

func TestFilesAreValidUTF8(t *testing.T) {
	err := fs.WalkDir(datasets.FS(), ".", func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		data, err := fs.ReadFile(datasets.FS(), path)
		if err != nil {
			return err
		}
		if len(data) == 0 {
			t.Errorf("%s is empty", path)
		}
		if !utf8.Valid(data) {
			t.Errorf("%s is not valid UTF-8", path)
		}
		if bytes.ContainsRune(data, utf8.RuneError) {
			t.Errorf("%s contains U+FFFD (a lost character)", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestNoDuplicates checks every complaint and case text against every
// other: no two normalise to the same text (differing only in digits,
// punctuation or spacing) and none share ≥ 80% of their character
// 5-grams. Across the complaint splits the bar is lower (50%), so no test
// text has a close cousin in training.
func TestNoDuplicates(t *testing.T) {
	d := load(t)
	type item struct{ id, split, text string }
	var items []item
	for _, s := range datasets.Splits {
		for _, c := range d.Complaints[s] {
			items = append(items, item{c.ID, string(s), c.Text})
		}
	}
	for _, c := range d.Cases {
		items = append(items, item{c.ID, "cases", c.Text})
	}
	texts := make([]string, len(items))
	seen := map[string]string{}
	for i, it := range items {
		texts[i] = it.text
		n := dedup.Normalize(it.text)
		if prev, ok := seen[n]; ok {
			t.Errorf("exact duplicate after normalising: %s and %s", prev, it.id)
		}
		seen[n] = it.id
	}
	for _, p := range dedup.NearPairs(texts, 5, 0.5) {
		a, b := items[p.I], items[p.J]
		crossSplit := a.split != b.split && a.split != "cases" && b.split != "cases"
		if p.Jaccard >= 0.8 || crossSplit {
			t.Errorf("near-duplicates (5-gram Jaccard %.2f): %s [%s] and %s [%s]", p.Jaccard, a.id, a.split, b.id, b.split)
		}
	}
}

func TestCardIsUpToDate(t *testing.T) {
	d := load(t)
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	want, err := card.Replace(string(readme), card.Markdown(d))
	if err != nil {
		t.Fatal(err)
	}
	if want != string(readme) {
		t.Error("datasets/README.md count tables are stale; run: go generate ./datasets")
	}
}
