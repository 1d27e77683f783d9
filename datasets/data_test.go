package datasets_test

import (
	"bytes"
	"io/fs"
	"os"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/triagedesk/triage/datasets"
	"github.com/triagedesk/triage/datasets/dedup"
	"github.com/triagedesk/triage/datasets/internal/card"
)

// The minimums the data issues set; a change that breaks one fails CI.
const (
	minComplaints           = 9000
	minPerCoreCell          = 35 // per scenario in each core language
	minFurtherLanguages     = 10
	minPerFurtherCell       = 10 // per scenario in each of those
	minPerSeverity          = 300
	minLabelledFeelings     = 7000 // rows with sentiment and emotion
	minCases                = 1500
	minCasesPerScenario     = 60
	minCasesPerCoreLanguage = 40
	minField                = 400
	minFieldLanguages       = 20
	minFieldHardShare       = 0.25
)

// coreLanguages are the fourteen languages the centre works in most.
var coreLanguages = []string{"zh", "en", "ja", "ko", "es", "pt", "fr", "de", "ru", "tr", "vi", "th", "id", "ar"}

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
	cell := map[[2]string]int{}
	bySeverity := map[int]int{}
	feelings := 0
	for _, c := range cs {
		cell[[2]string{c.Lang, c.Scenario}]++
		bySeverity[c.Severity]++
		if !d.Taxonomy.HasLanguage(c.Lang) {
			t.Errorf("%s: language %q is not in the taxonomy", c.ID, c.Lang)
		}
		if (c.Sentiment == "") != (c.Emotion == "") {
			t.Errorf("%s: sentiment %q with emotion %q: label both or neither", c.ID, c.Sentiment, c.Emotion)
		}
		if c.Sentiment != "" {
			feelings++
		}
	}
	if feelings < minLabelledFeelings {
		t.Errorf("%d rows with sentiment and emotion, want ≥ %d", feelings, minLabelledFeelings)
	}
	for _, lang := range coreLanguages {
		for _, s := range d.Taxonomy.ScenarioIDs() {
			if n := cell[[2]string{lang, s}]; n < minPerCoreCell {
				t.Errorf("%s/%s: %d rows, want ≥ %d", lang, s, n, minPerCoreCell)
			}
		}
	}
	further := 0
	for _, lang := range d.Taxonomy.Languages {
		if slices.Contains(coreLanguages, lang) {
			continue
		}
		full := true
		for _, s := range d.Taxonomy.ScenarioIDs() {
			full = full && cell[[2]string{lang, s}] >= minPerFurtherCell
		}
		if full {
			further++
		}
	}
	if further < minFurtherLanguages {
		t.Errorf("%d further languages with ≥ %d rows per scenario, want ≥ %d", further, minPerFurtherCell, minFurtherLanguages)
	}
	for lvl := 1; lvl <= 5; lvl++ {
		if bySeverity[lvl] < minPerSeverity {
			t.Errorf("severity %d: %d rows, want ≥ %d", lvl, bySeverity[lvl], minPerSeverity)
		}
	}
}

// The field set is large and varied enough to measure on, and shares no
// text with the splits the model trains near.
func TestFieldSet(t *testing.T) {
	d := load(t)
	field, err := datasets.LoadField(d.Taxonomy)
	if err != nil {
		t.Fatal(err)
	}
	langs, hard := map[string]bool{}, 0
	texts := make([]string, 0, len(field))
	for _, c := range field {
		langs[c.Lang] = true
		if c.Hard {
			hard++
		}
		if !strings.HasPrefix(c.ID, "fld-") {
			t.Errorf("field id %q lacks the fld- prefix", c.ID)
		}
		texts = append(texts, c.Text)
	}
	if len(field) < minField || len(langs) < minFieldLanguages {
		t.Errorf("field set: %d rows in %d languages, want ≥ %d in ≥ %d", len(field), len(langs), minField, minFieldLanguages)
	}
	if share := float64(hard) / float64(len(field)); share < minFieldHardShare {
		t.Errorf("field set: %.2f hard, want ≥ %.2f", share, minFieldHardShare)
	}
	n := len(texts)
	for _, c := range d.AllComplaints() {
		texts = append(texts, c.Text)
	}
	for _, p := range dedup.NearPairs(texts, 5, 0.8) {
		if p.I < n && p.J >= n {
			t.Errorf("field row %.50q is a near-duplicate (Jaccard %.2f) of a labelled complaint %.50q", texts[p.I], p.Jaccard, texts[p.J])
		}
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
	for _, lang := range coreLanguages {
		if byLang[lang] < minCasesPerCoreLanguage {
			t.Errorf("cases in %s: %d, want ≥ %d", lang, byLang[lang], minCasesPerCoreLanguage)
		}
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

// Every complaint's severity was labelled twice, blind, and its label is
// the resolved one.
func TestSeverityPasses(t *testing.T) {
	d := load(t)
	final := map[string]int{}
	for _, p := range d.Passes {
		if _, dup := final[p.ID]; dup {
			t.Errorf("%s: two severity passes", p.ID)
		}
		final[p.ID] = p.Final
		if p.Writer != p.Second && p.Final != p.Writer && p.Final != p.Second {
			t.Logf("%s: resolved to %d, neither %d nor %d", p.ID, p.Final, p.Writer, p.Second)
		}
	}
	for _, c := range d.AllComplaints() {
		f, ok := final[c.ID]
		switch {
		case !ok:
			t.Errorf("%s: no second severity pass", c.ID)
		case f != c.Severity:
			t.Errorf("%s: severity %d, resolved label %d", c.ID, c.Severity, f)
		}
	}
}
