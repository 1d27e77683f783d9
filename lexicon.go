package triage

// Lexicon is the cross-lingual concept lexicon: domain
// concepts with the words customers use for them in each language. The
// classifier turns each concept into one feature shared by all languages.
type Lexicon struct {
	Concepts []Concept `yaml:"concepts"`
	// Hash is the hex SHA-256 of the file.
	Hash string `yaml:"-"`
}

// Concept is one lexicon entry: terms keyed by ISO 639-1 language that
// all fire one feature, so a model learns from "hacked" what it needs for
// "被盗" and "взломали". A term ending in "*" matches any word ending; in
// space-delimited languages terms match at word boundaries, in zh, ja, ko,
// th and ar anywhere.
type Concept struct {
	ID    string              `json:"id" yaml:"id"`
	Terms map[string][]string `json:"terms" yaml:"terms"`
}
