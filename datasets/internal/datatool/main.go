// Command datatool maintains the embedded datasets: it assigns ids, drops
// duplicates and splits labelled complaints (split), adds resolved cases
// (cases), and regenerates the dataset card's count tables (card).
//
//	go run ./datasets/internal/datatool split  FILE.jsonl...
//	go run ./datasets/internal/datatool cases  FILE.jsonl...
//	go run ./datasets/internal/datatool field  FILE.jsonl...
//	go run ./datasets/internal/datatool card
//	go run ./datasets/internal/datatool compensate SCENARIO LOSS CURRENCY DELAY_DAYS
//
// Input rows may omit id and queue; both are filled in (queue from the
// taxonomy). Rows read from the dataset files themselves (the complaint
// splits and the cases file) keep their ids. Any other row keeps its id
// only if no dataset file and no earlier row uses it; otherwise, or when
// it has none, it gets the next free id of its kind and language: one
// more than the highest cmp-<lang>-NNNN (or case-<lang>-NNNN) in use.
// Run from the repository root.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"hash/fnv"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/triagedesk/triage"
	"github.com/triagedesk/triage/datasets"
	"github.com/triagedesk/triage/datasets/dedup"
	"github.com/triagedesk/triage/datasets/internal/card"
)

const (
	nearDup   = 0.8 // dropped
	sameSplit = 0.5 // kept, but kept in one split
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: datatool split|cases|card [flags] [FILE...]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "split":
		err = runSplit(os.Args[2:])
	case "cases":
		err = runCases(os.Args[2:])
	case "field":
		err = runField(os.Args[2:])
	case "compensate":
		err = runCompensate(os.Args[2:])
	case "card":
		err = runCard(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "datatool:", err)
		os.Exit(1)
	}
}

func runSplit(args []string) error {
	fs := flag.NewFlagSet("split", flag.ExitOnError)
	dir := fs.String("out", "datasets/complaints", "output directory")
	seed := fs.String("seed", "triage-2026", "split seed")
	fs.Parse(args)
	tax, err := datasets.LoadTaxonomy()
	if err != nil {
		return err
	}
	base := func(c *triage.Complaint) *triage.Complaint { return c }
	known := datasetFiles(*dir, datasets.CasesFile)
	staged, err := readStaging(fs.Args(), known, tax, base)
	if err != nil {
		return err
	}
	// The field set measures text the model has never seen: nothing close
	// to it may be trained on.
	var field []string
	if fcs, err := datasets.LoadField(tax); err == nil {
		for _, c := range fcs {
			field = append(field, c.Text)
		}
	}
	staged = dropDuplicates(staged, func(r stagedRow[triage.Complaint]) string { return r.row.Text }, field)
	rows, err := assignIDs(staged, known, "cmp", base)
	if err != nil {
		return err
	}
	for _, c := range rows {
		if _, err := datasets.ReadComplaints(bytes.NewReader(mustJSON(c)), "row "+c.ID, tax); err != nil {
			return err
		}
	}

	texts := make([]string, len(rows))
	for i, r := range rows {
		texts[i] = r.Text
	}
	// Clusters of similar texts go to one split together.
	parent := make([]int, len(rows))
	for i := range parent {
		parent[i] = i
	}
	var find func(int) int
	find = func(i int) int {
		if parent[i] != i {
			parent[i] = find(parent[i])
		}
		return parent[i]
	}
	for _, p := range dedup.NearPairs(texts, 5, sameSplit) {
		parent[find(p.J)] = find(p.I)
	}
	clusters := map[int][]int{}
	for i := range rows {
		clusters[find(i)] = append(clusters[find(i)], i)
	}
	strata := map[[2]string][]int{} // (scenario, lang) → cluster roots
	for root := range clusters {
		k := [2]string{rows[root].Scenario, rows[root].Lang}
		strata[k] = append(strata[k], root)
	}
	out := map[datasets.Split][]triage.Complaint{}
	for _, roots := range strata {
		sort.Slice(roots, func(a, b int) bool {
			return hash(*seed, rows[roots[a]].ID) < hash(*seed, rows[roots[b]].ID)
		})
		n := 0
		for _, r := range roots {
			n += len(clusters[r])
		}
		want := map[datasets.Split]int{datasets.Test: int(math.Round(0.15 * float64(n))), datasets.Dev: int(math.Round(0.15 * float64(n)))}
		for _, r := range roots {
			split := datasets.Train
			for _, s := range []datasets.Split{datasets.Test, datasets.Dev} {
				if want[s] > 0 {
					split = s
					break
				}
			}
			want[split] -= len(clusters[r])
			for _, i := range clusters[r] {
				out[split] = append(out[split], rows[i])
			}
		}
	}
	for _, s := range datasets.Splits {
		cs := out[s]
		sort.Slice(cs, func(a, b int) bool { return cs[a].ID < cs[b].ID })
		if err := writeJSONL(filepath.Join(*dir, string(s)+".jsonl"), cs); err != nil {
			return err
		}
		fmt.Printf("%s: %d rows\n", s, len(cs))
	}
	return nil
}

func runCases(args []string) error {
	fs := flag.NewFlagSet("cases", flag.ExitOnError)
	outPath := fs.String("out", "datasets/cases.jsonl", "output file")
	fs.Parse(args)
	tax, err := datasets.LoadTaxonomy()
	if err != nil {
		return err
	}
	base := func(c *triage.Case) *triage.Complaint { return &c.Complaint }
	known := datasetFiles(filepath.Dir(datasets.ComplaintsFile(datasets.Train)), *outPath)
	rows, err := stageAgainstComplaints(fs.Args(), known, tax, base, "case")
	if err != nil {
		return err
	}
	var bad []error
	for _, c := range rows {
		if _, err := datasets.ReadCases(bytes.NewReader(mustJSON(c)), "case "+c.ID, tax); err != nil {
			bad = append(bad, err)
		}
	}
	if len(bad) > 0 {
		return errors.Join(bad...)
	}
	sort.Slice(rows, func(a, b int) bool { return rows[a].ID < rows[b].ID })
	fmt.Printf("cases: %d rows\n", len(rows))
	return writeJSONL(*outPath, rows)
}

// runField writes the field set: rows checked like the complaints, ids
// fld-<lang>-NNNN, exact and near-duplicates dropped, and any row close to
// a training, dev or test complaint dropped too (the field set measures
// text the model has never seen).
func runField(args []string) error {
	fs := flag.NewFlagSet("field", flag.ExitOnError)
	outPath := fs.String("out", datasets.FieldFile, "output file")
	fs.Parse(args)
	tax, err := datasets.LoadTaxonomy()
	if err != nil {
		return err
	}
	base := func(c *triage.Complaint) *triage.Complaint { return c }
	known := []string{*outPath}
	rows, err := stageAgainstComplaints(fs.Args(), known, tax, base, "fld")
	if err != nil {
		return err
	}
	for _, c := range rows {
		if _, err := datasets.ReadComplaints(bytes.NewReader(mustJSON(c)), "row "+c.ID, tax); err != nil {
			return err
		}
	}
	sort.Slice(rows, func(a, b int) bool { return rows[a].ID < rows[b].ID })
	fmt.Printf("field: %d rows\n", len(rows))
	return writeJSONL(*outPath, rows)
}

// runCompensate prints what the policy gives, as the compensation object
// of a case (without form), for writers of resolved cases.
func runCompensate(args []string) error {
	if len(args) != 4 {
		return errors.New("usage: datatool compensate SCENARIO LOSS CURRENCY DELAY_DAYS")
	}
	tax, err := datasets.LoadTaxonomy()
	if err != nil {
		return err
	}
	loss, err := strconv.ParseFloat(args[1], 64)
	if err != nil {
		return fmt.Errorf("loss %q: %w", args[1], err)
	}
	days, err := strconv.Atoi(args[3])
	if err != nil {
		return fmt.Errorf("delay days %q: %w", args[3], err)
	}
	c, err := tax.Compensate(args[0], loss, args[2], days)
	if err != nil {
		return err
	}
	os.Stdout.Write(append(mustJSON(c), '\n'))
	return nil
}

func runCard(args []string) error {
	fs := flag.NewFlagSet("card", flag.ExitOnError)
	path := fs.String("file", "datasets/README.md", "dataset card to update")
	fs.Parse(args)
	d, err := card.Load()
	if err != nil {
		return err
	}
	old, err := os.ReadFile(*path)
	if err != nil {
		return err
	}
	updated, err := card.Replace(string(old), card.Markdown(d))
	if err != nil {
		return err
	}
	return os.WriteFile(*path, []byte(updated), 0o644)
}

// stageAgainstComplaints reads rows from files (those in known keep
// their ids), drops duplicates and rows close to a labelled complaint,
// and assigns the rest ids prefix-<lang>-NNNN: the path of resolved cases
// and of the field set, which must not repeat the training data.
func stageAgainstComplaints[T any](files, known []string, tax *triage.Taxonomy, base func(*T) *triage.Complaint, prefix string) ([]T, error) {
	staged, err := readStaging(files, known, tax, base)
	if err != nil {
		return nil, err
	}
	complaints, err := complaintTexts(tax)
	if err != nil {
		return nil, err
	}
	staged = dropDuplicates(staged, func(r stagedRow[T]) string { return base(&r.row).Text }, complaints)
	return assignIDs(staged, known, prefix, base)
}

// complaintTexts returns the texts of every labelled complaint, for
// dropping new cases and field rows that are close to one.
func complaintTexts(tax *triage.Taxonomy) ([]string, error) {
	var texts []string
	for _, s := range datasets.Splits {
		cs, err := datasets.LoadComplaints(s, tax)
		if err != nil {
			return nil, err
		}
		for _, c := range cs {
			texts = append(texts, c.Text)
		}
	}
	return texts, nil
}

// stagedRow is an input row and whether it was read from one of the
// dataset files (and so already owns its id).
type stagedRow[T any] struct {
	row   T
	owned bool
}

// readStaging reads rows that may lack id and queue, fills the queue from
// the taxonomy and reports file:line for unreadable rows. Rows from the
// dataset files among known come first, in argument order, then the
// others, so that deduplication keeps the copy that already has an id.
func readStaging[T any](files, known []string, tax *triage.Taxonomy, base func(*T) *triage.Complaint) ([]stagedRow[T], error) {
	var rows []stagedRow[T]
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		owned := isOneOf(f, known)
		for i, line := range bytes.Split(data, []byte("\n")) {
			if len(bytes.TrimSpace(line)) == 0 {
				continue
			}
			var r T
			if err := json.Unmarshal(line, &r); err != nil {
				return nil, fmt.Errorf("%s:%d: %w", f, i+1, err)
			}
			c := base(&r)
			c.Text = string(bytes.TrimSpace([]byte(c.Text)))
			if s, ok := tax.Scenario(c.Scenario); ok {
				c.Queue = s.Queue
			} else {
				return nil, fmt.Errorf("%s:%d: unknown scenario %q", f, i+1, c.Scenario)
			}
			rows = append(rows, stagedRow[T]{r, owned})
		}
	}
	slices.SortStableFunc(rows, func(a, b stagedRow[T]) int {
		switch {
		case a.owned == b.owned:
			return 0
		case a.owned:
			return -1
		}
		return 1
	})
	return rows, nil
}

// datasetFiles lists the files whose rows already have ids: the complaint
// splits in complaintsDir and the cases file.
func datasetFiles(complaintsDir, casesFile string) []string {
	var files []string
	for _, s := range datasets.Splits {
		files = append(files, filepath.Join(complaintsDir, string(s)+".jsonl"))
	}
	return append(files, casesFile)
}

// isOneOf reports whether path names the same file as one of files.
func isOneOf(path string, files []string) bool {
	fi, err := os.Stat(path)
	if err != nil {
		return false
	}
	for _, f := range files {
		if gi, err := os.Stat(f); err == nil && os.SameFile(fi, gi) {
			return true
		}
	}
	return false
}

// usedIDs returns the ids of the rows in files; a file that does not exist
// has none.
func usedIDs(files []string) (map[string]bool, error) {
	used := map[string]bool{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if errors.Is(err, os.ErrNotExist) {
			continue
		} else if err != nil {
			return nil, err
		}
		for i, line := range bytes.Split(data, []byte("\n")) {
			if len(bytes.TrimSpace(line)) == 0 {
				continue
			}
			var r struct{ ID string }
			if err := json.Unmarshal(line, &r); err != nil {
				return nil, fmt.Errorf("%s:%d: %w", f, i+1, err)
			}
			used[r.ID] = true
		}
	}
	return used, nil
}

// dropDuplicates removes rows that near-duplicate an earlier row or any of
// the texts in against, and reports them on stderr.
func dropDuplicates[T any](rows []T, text func(T) string, against []string) []T {
	texts := append([]string{}, against...)
	for _, r := range rows {
		texts = append(texts, text(r))
	}
	drop := map[int]bool{}
	for _, p := range dedup.NearPairs(texts, 5, nearDup) {
		j := p.J - len(against)
		if j < 0 || drop[p.I-len(against)] {
			continue
		}
		drop[j] = true
		fmt.Fprintf(os.Stderr, "drop (Jaccard %.2f): %.60q ~ %.60q\n", p.Jaccard, texts[p.J], texts[p.I])
	}
	var out []T
	for i, r := range rows {
		if !drop[i] {
			out = append(out, r)
		}
	}
	return out
}

// assignIDs returns the rows with every id unique and none taken from
// another row. A row from a dataset file keeps its id unless an earlier
// row has it; any other row keeps its id only if no row and no file in
// known uses it. The rest get, in order, the next free id of their
// language: prefix-lang-NNNN, one more than the highest in use.
func assignIDs[T any](staged []stagedRow[T], known []string, prefix string, base func(*T) *triage.Complaint) ([]T, error) {
	onDisk, err := usedIDs(known)
	if err != nil {
		return nil, err
	}
	rows := make([]T, len(staged))
	taken := map[string]bool{}
	var fresh []*triage.Complaint
	for i, r := range staged {
		rows[i] = r.row
		c := base(&rows[i])
		c.ID = strings.TrimSpace(c.ID)
		if c.ID == "" || taken[c.ID] || (!r.owned && onDisk[c.ID]) {
			fresh = append(fresh, c)
			continue
		}
		taken[c.ID] = true
	}
	// The highest number in use per language, on disk or kept above.
	high := map[string]int{}
	for _, ids := range []map[string]bool{onDisk, taken} {
		for id := range ids {
			if lang, n, ok := parseID(prefix, id); ok {
				high[lang] = max(high[lang], n)
			}
		}
	}
	for _, c := range fresh {
		for {
			high[c.Lang]++
			c.ID = fmt.Sprintf("%s-%s-%04d", prefix, c.Lang, high[c.Lang])
			if !taken[c.ID] && !onDisk[c.ID] {
				break
			}
		}
		taken[c.ID] = true
	}
	return rows, nil
}

// parseID splits an id of the form prefix-lang-NNNN.
func parseID(prefix, id string) (lang string, n int, ok bool) {
	rest, ok := strings.CutPrefix(id, prefix+"-")
	if !ok {
		return "", 0, false
	}
	lang, num, ok := strings.Cut(rest, "-")
	if !ok || num == "" {
		return "", 0, false
	}
	n, err := strconv.Atoi(num)
	if err != nil || n < 0 || num[0] == '+' {
		return "", 0, false
	}
	return lang, n, true
}

func hash(seed, id string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(seed + "/" + id))
	return h.Sum64()
}

func mustJSON(v any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(err)
	}
	return b.Bytes()
}

func writeJSONL[T any](path string, rows []T) error {
	var b bytes.Buffer
	for _, r := range rows {
		b.Write(mustJSON(r))
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}
