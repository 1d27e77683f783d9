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

//go:embed taxonomy.yaml lexicon.yaml cases.jsonl complaints/*.jsonl field/*.jsonl
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

// LoadCases reads the embedded resolved cases, checked against tax.
func LoadCases(tax *triage.Taxonomy) ([]triage.Case, error) {
	data, _ := files.ReadFile("cases.jsonl")
	return ReadCases(bytes.NewReader(data), CasesFile, tax)
}
