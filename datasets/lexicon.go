package datasets

import (
	"fmt"
	"strings"

	"github.com/triagedesk/triage"
)

// LexiconFile is the embedded lexicon's path, as named in errors.
const LexiconFile = "datasets/lexicon.yaml"

// LoadLexicon parses the embedded lexicon.
func LoadLexicon() (*triage.Lexicon, error) {
	data, _ := files.ReadFile("lexicon.yaml")
	return ParseLexicon(LexiconFile, data)
}

// ParseLexicon parses and checks a lexicon file: unique concept ids, at
// least one non-empty term each.
func ParseLexicon(name string, data []byte) (*triage.Lexicon, error) {
	var lex triage.Lexicon
	root, err := decodeYAML(name, data, &lex)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for i, c := range lex.Concepts {
		line := lineOf(root, "concepts", i)
		if c.ID == "" || seen[c.ID] {
			return nil, fmt.Errorf("%s:%d: duplicate or empty concept id %q", name, line, c.ID)
		}
		seen[c.ID] = true
		n := 0
		for lang, ts := range c.Terms {
			for _, t := range ts {
				if strings.TrimSpace(strings.TrimSuffix(t, "*")) == "" {
					return nil, fmt.Errorf("%s:%d: concept %q: empty term in %s", name, line, c.ID, lang)
				}
				n++
			}
		}
		if n == 0 {
			return nil, fmt.Errorf("%s:%d: concept %q has no terms", name, line, c.ID)
		}
	}
	if len(lex.Concepts) == 0 {
		return nil, fmt.Errorf("%s: no concepts", name)
	}
	lex.Hash = hashBytes(data)
	return &lex, nil
}
