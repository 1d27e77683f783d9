// Package datasets carries the product's default data: the taxonomy, the
// labelled complaints split into train/dev/test, and the resolved past
// cases. The files are embedded, so every binary ships them; the loaders
// return typed records and errors that name file:line.
package datasets

import (
	"bytes"
	"embed"
	"fmt"
	"io/fs"

	"github.com/triagedesk/triage"
)

//go:embed taxonomy.yaml lexicon.yaml cases.jsonl complaints/*.jsonl field/*.jsonl labelling/*.jsonl
var files embed.FS

// Split names one part of the labelled complaints.
type Split string

// The three splits of the labelled complaints (70/15/15, stratified by
// scenario and language).
const (
	Train Split = "train"
	Dev   Split = "dev"
	Test  Split = "test"
)

// Splits lists the splits in order.
var Splits = []Split{Train, Dev, Test}

// Embedded file paths, as named in errors.
const (
	TaxonomyFile = "datasets/taxonomy.yaml"
	CasesFile    = "datasets/cases.jsonl"
	// FieldFile is the field set: complaints written by writers who never
	// saw the training data, for evaluation only (never for training or
	// tuning).
	FieldFile = "datasets/field/field.jsonl"
)

// ComplaintsFile returns the embedded path of a split.
func ComplaintsFile(s Split) string { return "datasets/complaints/" + string(s) + ".jsonl" }

// FS returns the embedded files, rooted at the datasets directory, for
// callers that hash or copy them.
func FS() fs.FS { return files }

// TaxonomyBytes returns the embedded taxonomy file.
func TaxonomyBytes() []byte {
	b, _ := files.ReadFile("taxonomy.yaml")
	return b
}

// LoadTaxonomy parses and validates the embedded taxonomy.
func LoadTaxonomy() (*triage.Taxonomy, error) {
	return ParseTaxonomy(TaxonomyFile, TaxonomyBytes())
}

// LoadComplaints reads one embedded split, checked against tax.
func LoadComplaints(s Split, tax *triage.Taxonomy) ([]triage.Complaint, error) {
	data, err := files.ReadFile("complaints/" + string(s) + ".jsonl")
	if err != nil {
		return nil, fmt.Errorf("datasets: unknown split %q", s)
	}
	return ReadComplaints(bytes.NewReader(data), ComplaintsFile(s), tax)
}

// LoadField reads the embedded field set, checked against tax. It is for
// evaluation only: nothing may train or tune on it.
func LoadField(tax *triage.Taxonomy) ([]triage.Complaint, error) {
	data, _ := files.ReadFile("field/field.jsonl")
	return ReadComplaints(bytes.NewReader(data), FieldFile, tax)
}

// SeverityPass records how one complaint's severity was labelled: by its
// writer, by a second labeller who saw only the text, and the final label
// (the complaint's severity) after disagreements were resolved.
type SeverityPass struct {
	ID     string `json:"id"`
	Writer int    `json:"writer"`
	Second int    `json:"second"`
	Final  int    `json:"final"`
}

// SeverityPassesFile holds the severity labelling passes.
const SeverityPassesFile = "datasets/labelling/severity.jsonl"

// LoadSeverityPasses reads the embedded severity labelling passes.
func LoadSeverityPasses() ([]SeverityPass, error) {
	data, _ := files.ReadFile("labelling/severity.jsonl")
	var out []SeverityPass
	err := readJSONL(bytes.NewReader(data), SeverityPassesFile, func(line int, b []byte) error {
		var p SeverityPass
		if err := decodeStrict(b, &p); err != nil {
			return err
		}
		for _, l := range []int{p.Writer, p.Second, p.Final} {
			if l < 1 || l > 5 {
				return fmt.Errorf("%w: %s: level %d outside 1..5", triage.ErrInvalidRecord, p.ID, l)
			}
		}
		out = append(out, p)
		return nil
	})
	return out, err
}

// LoadCases reads the embedded resolved cases, checked against tax.
func LoadCases(tax *triage.Taxonomy) ([]triage.Case, error) {
	data, _ := files.ReadFile("cases.jsonl")
	return ReadCases(bytes.NewReader(data), CasesFile, tax)
}
