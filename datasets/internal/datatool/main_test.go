package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/triagedesk/triage"
	"github.com/triagedesk/triage/datasets"
	"github.com/triagedesk/triage/datasets/dedup"
	"github.com/triagedesk/triage/datasets/internal/card"
)

// newComplaints are the rows the workflow test adds: some without an id,
// one with an empty id, two with ids the data already uses and one with
// an id of its own.
const newComplaints = `{"text":"昨晚在《星河远征》里充了328元月卡，扣款成功但是游戏里一直显示未购买，客服机器人只会让我重启。","lang":"zh","scenario":"payment_recharge","severity":2,"channel":"chat"}
{"id":"cmp-zh-0001","text":"更新到3.2版本以后，我的华为平板一进副本就黑屏闪退，清缓存、重装都试过了还是一样。","lang":"zh","scenario":"technical_issue","severity":2,"channel":"app_review"}
{"text":"My tournament prize from the Saturday Crystal Cup (2,500 coins) never arrived, and the bracket page now lists me as disqualified with no reason given.","lang":"en","scenario":"rewards_promotions","severity":2,"channel":"email"}
{"id":"","text":"Pedí una devolución del pase de temporada de Lunaria hace nueve días porque lo compré dos veces por error, y nadie me ha contestado todavía.","lang":"es","scenario":"refund_cancellation","severity":2,"channel":"web_form"}
{"id":"cmp-en-0001","text":"Mon colis de figurines commandé le 3 mars est marqué livré, mais il n'y a rien dans ma boîte aux lettres ni chez le gardien de l'immeuble.","lang":"fr","scenario":"order_delivery","severity":2,"channel":"email"}
{"text":"ガチャの排出率表記が０．７５％なのに、三百連してもピックアップが一体も出ません。確率は本当に正しいのでしょうか。","lang":"ja","scenario":"fairness_dispute","severity":2,"channel":"web_form"}
{"id":"cmp-ko-9000","text":"길드 채팅에서 초등학생으로 보이는 아이에게 개인 연락처를 계속 묻는 유저가 있어요. 신고했는데 아직 활동 중입니다.","lang":"ko","scenario":"privacy_minors","severity":4,"channel":"in_game"}
`

// newCases are the cases the workflow test adds.
const newCases = `{"text":"I was charged twice for the Emberfall starter bundle (4.99 USD each time) within a minute, my bank statement shows both.","lang":"en","scenario":"payment_recharge","severity":2,"channel":"chat","resolution":"Payment log shows two captures 40 seconds apart from a double tap; voided the second capture.","reply":"Thanks for flagging this. The second charge was a duplicate and has been reversed; it will leave your statement within a few days.","resolved_at":"2025-03-14T09:30:00+08:00"}
{"id":"case-en-0001","text":"客服电话打了三次都说会回电，结果一次都没有，我的工单号是 TK-88213，问题到现在还没人处理。","lang":"zh","scenario":"service_quality","severity":2,"channel":"phone","resolution":"工单 TK-88213 被错误分配到已停用的队列，已转人工并由组长回电致歉。","reply":"非常抱歉让您多次等待。您的工单已转到专人处理，组长今天会给您回电。","resolved_at":"2025-06-02T15:05:00+08:00"}
`

// TestREADMEWorkflow runs the root README's "Changing the data" steps on
// a copy of the datasets directory: new rows go into NEW.jsonl and
// NEW_CASES.jsonl, then
//
//	go run ./datasets/internal/datatool split datasets/complaints/*.jsonl NEW.jsonl
//	go run ./datasets/internal/datatool cases datasets/cases.jsonl NEW_CASES.jsonl
//
// run from the root of the copy. The go test ./datasets checks read the
// embedded files, so the same checks (the strict readers with the
// taxonomy, unique ids, no near-duplicates, the card's tables) are run
// here on the copy's files instead. The real files are not written.
func TestREADMEWorkflow(t *testing.T) {
	tax, err := datasets.LoadTaxonomy()
	if err != nil {
		t.Fatal(err)
	}
	src, err := filepath.Abs("../..") // the datasets directory
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	for _, f := range []string{"complaints/train.jsonl", "complaints/dev.jsonl", "complaints/test.jsonl", "cases.jsonl", "README.md"} {
		copyFile(t, filepath.Join(src, f), filepath.Join(root, "datasets", f))
	}
	t.Chdir(root)
	before := loadCopy(t, tax)
	write(t, "NEW.jsonl", newComplaints)
	write(t, "NEW_CASES.jsonl", newCases)

	datatool(t, "split", "datasets/complaints/*.jsonl", "NEW.jsonl")
	datatool(t, "cases", "datasets/cases.jsonl", "NEW_CASES.jsonl")
	after := loadCopy(t, tax)

	// Existing rows keep their ids and texts.
	got := map[string]string{}
	for _, c := range after.AllComplaints() {
		got[c.ID] = c.Text
	}
	for _, c := range after.Cases {
		got[c.ID] = c.Text
	}
	for _, c := range before.AllComplaints() {
		if got[c.ID] != c.Text {
			t.Errorf("existing complaint %s lost or changed", c.ID)
		}
	}
	for _, c := range before.Cases {
		if got[c.ID] != c.Text {
			t.Errorf("existing case %s lost or changed", c.ID)
		}
	}
	if n, want := len(after.AllComplaints()), len(before.AllComplaints())+7; n != want {
		t.Errorf("%d complaints after split, want %d", n, want)
	}
	if n, want := len(after.Cases), len(before.Cases)+2; n != want {
		t.Errorf("%d cases after cases, want %d", n, want)
	}

	// New rows are there, with ids that were free.
	var oldIDs []string
	for _, c := range before.AllComplaints() {
		oldIDs = append(oldIDs, c.ID)
	}
	for _, c := range before.Cases {
		oldIDs = append(oldIDs, c.ID)
	}
	byText := map[string]string{}
	for id, text := range got {
		byText[text] = id
	}
	for _, tc := range []struct {
		text, prefix, lang string
		next               int    // the nth fresh id of its language
		keep               string // or the id it keeps
	}{
		{"昨晚在《星河远征》", "cmp", "zh", 1, ""},
		{"更新到3.2版本以后", "cmp", "zh", 2, ""}, // had cmp-zh-0001
		{"My tournament prize", "cmp", "en", 1, ""},
		{"Pedí una devolución", "cmp", "es", 1, ""},
		{"Mon colis de figurines", "cmp", "fr", 1, ""}, // had cmp-en-0001
		{"ガチャの排出率表記", "cmp", "ja", 1, ""},
		{"길드 채팅에서", "cmp", "ko", 0, "cmp-ko-9000"},
		{"I was charged twice", "case", "en", 1, ""},
		{"客服电话打了三次", "case", "zh", 1, ""}, // had case-en-0001
	} {
		id := idOf(byText, tc.text)
		switch {
		case id == "":
			t.Errorf("new row %q is missing", tc.text)
		case tc.keep != "":
			if id != tc.keep {
				t.Errorf("new row %q: id %s, want its own %s", tc.text, id, tc.keep)
			}
		default:
			want := fmt.Sprintf("%s-%s-%04d", tc.prefix, tc.lang, highest(oldIDs, tc.prefix, tc.lang)+tc.next)
			if id != want {
				t.Errorf("new row %q: id %s, want the next free %s", tc.text, id, want)
			}
		}
	}

	// A second run with the same new files changes nothing.
	snap := snapshot(t)
	datatool(t, "split", "datasets/complaints/*.jsonl", "NEW.jsonl")
	datatool(t, "cases", "datasets/cases.jsonl", "NEW_CASES.jsonl")
	for f, data := range snapshot(t) {
		if !bytes.Equal(data, snap[f]) {
			t.Errorf("second run changed %s", f)
		}
	}

	// make generate: the card's tables count the new rows.
	readme, err := os.ReadFile("datasets/README.md")
	if err != nil {
		t.Fatal(err)
	}
	updated, err := card.Replace(string(readme), card.Markdown(after))
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("### Labelled complaints: %d rows", len(after.AllComplaints())); !strings.Contains(updated, want) {
		t.Errorf("regenerated card lacks %q", want)
	}
}

// TestAssignIDs checks the id rules on rows in memory.
func TestAssignIDs(t *testing.T) {
	dir := t.TempDir()
	split := filepath.Join(dir, "train.jsonl")
	write(t, split, `{"id":"cmp-zh-0007"}`+"\n"+`{"id":"cmp-en-0002"}`+"\n")
	row := func(id, lang string, owned bool) stagedRow[triage.Complaint] {
		return stagedRow[triage.Complaint]{triage.Complaint{ID: id, Lang: lang}, owned}
	}
	staged := []stagedRow[triage.Complaint]{
		row("cmp-zh-0007", "zh", true),  // dataset row: keeps its id
		row("cmp-en-0002", "en", true),  // likewise
		row("cmp-zh-0007", "zh", false), // collides: fresh
		row("", "zh", false),            // none: fresh
		row("cmp-zh-0020", "zh", false), // free: kept
		row(" ", "de", false),           // blank: fresh, first de
		row("cmp-zh-0020", "zh", false), // taken by the row above: fresh
		row("cmp-en-0002", "fr", false), // collides: fresh, in its own language
	}
	rows, err := assignIDs(staged, []string{split, filepath.Join(dir, "missing.jsonl")}, "cmp", func(c *triage.Complaint) *triage.Complaint { return c })
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"cmp-zh-0007", "cmp-en-0002", "cmp-zh-0021", "cmp-zh-0022", "cmp-zh-0020", "cmp-de-0001", "cmp-zh-0023", "cmp-fr-0001"}
	for i, r := range rows {
		if r.ID != want[i] {
			t.Errorf("row %d: id %q, want %q", i, r.ID, want[i])
		}
	}
}

// datatool runs one datatool command as the README writes it, expanding
// globs as the shell would.
func datatool(t *testing.T, cmd string, args ...string) {
	t.Helper()
	var files []string
	for _, a := range args {
		m, err := filepath.Glob(a)
		if err != nil || len(m) == 0 {
			t.Fatalf("%s matches nothing", a)
		}
		files = append(files, m...)
	}
	run := map[string]func([]string) error{"split": runSplit, "cases": runCases}[cmd]
	if err := run(files); err != nil {
		t.Fatalf("datatool %s: %v", cmd, err)
	}
}

// loadCopy reads the working directory's datasets files with the strict
// readers and checks what go test ./datasets checks of them: unique ids
// across all files, no exact or near-duplicate texts (5-gram Jaccard ≥ 0.8
// anywhere, ≥ 0.5 across splits).
func loadCopy(t *testing.T, tax *triage.Taxonomy) card.Data {
	t.Helper()
	d := card.Data{Taxonomy: tax, Complaints: map[datasets.Split][]triage.Complaint{}}
	type item struct{ id, split, text string }
	var items []item
	for _, s := range datasets.Splits {
		f := datasets.ComplaintsFile(s)
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if d.Complaints[s], err = datasets.ReadComplaints(bytes.NewReader(data), f, tax); err != nil {
			t.Fatal(err)
		}
		for _, c := range d.Complaints[s] {
			items = append(items, item{c.ID, string(s), c.Text})
		}
	}
	data, err := os.ReadFile(datasets.CasesFile)
	if err != nil {
		t.Fatal(err)
	}
	if d.Cases, err = datasets.ReadCases(bytes.NewReader(data), datasets.CasesFile, tax); err != nil {
		t.Fatal(err)
	}
	for _, c := range d.Cases {
		items = append(items, item{c.ID, "cases", c.Text})
	}

	ids, norms := map[string]string{}, map[string]string{}
	texts := make([]string, len(items))
	for i, it := range items {
		if prev, ok := ids[it.id]; ok {
			t.Errorf("duplicate id %s (%s and %s)", it.id, prev, it.split)
		}
		ids[it.id] = it.split
		n := dedup.Normalize(it.text)
		if prev, ok := norms[n]; ok {
			t.Errorf("exact duplicate after normalising: %s and %s", prev, it.id)
		}
		norms[n] = it.id
		texts[i] = it.text
	}
	for _, p := range dedup.NearPairs(texts, 5, 0.5) {
		a, b := items[p.I], items[p.J]
		crossSplit := a.split != b.split && a.split != "cases" && b.split != "cases"
		if p.Jaccard >= 0.8 || crossSplit {
			t.Errorf("near-duplicates (5-gram Jaccard %.2f): %s [%s] and %s [%s]", p.Jaccard, a.id, a.split, b.id, b.split)
		}
	}
	return d
}

// highest returns the highest number of the prefix-lang-NNNN ids.
func highest(ids []string, prefix, lang string) int {
	n := 0
	for _, id := range ids {
		if l, m, ok := parseID(prefix, id); ok && l == lang {
			n = max(n, m)
		}
	}
	return n
}

// idOf returns the id of the text that starts with prefix.
func idOf(byText map[string]string, prefix string) string {
	for text, id := range byText {
		if strings.HasPrefix(text, prefix) {
			return id
		}
	}
	return ""
}

// snapshot returns the contents of the datasets files.
func snapshot(t *testing.T) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, f := range datasetFiles("datasets/complaints", datasets.CasesFile) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[f] = data
	}
	return out
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	write(t, to, string(data))
}

func write(t *testing.T, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}
