package datasets

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/triagedesk/triage"
)

// ErrInvalidTaxonomy is wrapped by every taxonomy validation error.
var ErrInvalidTaxonomy = triage.ErrInvalidTaxonomy

// ParseTaxonomy parses and validates a taxonomy file. name is used in
// error messages, which read "name:line: problem"; every problem is
// reported, joined.
func ParseTaxonomy(name string, data []byte) (*triage.Taxonomy, error) {
	var t triage.Taxonomy
	root, err := decodeYAML(name, data, &t)
	if err != nil {
		return nil, fmt.Errorf("%w: %s", ErrInvalidTaxonomy, err)
	}
	t.Hash = hashBytes(data)
	var errs []error
	for _, p := range t.Validate() {
		errs = append(errs, fmt.Errorf("%w: %s:%d: %s", ErrInvalidTaxonomy, name, lineOf(root, p.Path...), p.Message))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return &t, nil
}

func hashBytes(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// decodeYAML decodes data strictly (unknown fields are errors) into v and
// also returns the node tree, so validation can name lines. Errors read
// "name:line: problem".
func decodeYAML(name string, data []byte, v any) (*yaml.Node, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, fmt.Errorf("%s: empty file", name)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, errors.New(yamlMessage(name, err))
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		return nil, errors.New(yamlMessage(name, err))
	}
	return &root, nil
}

var yamlLine = regexp.MustCompile(`line (\d+): `)

// yamlMessage rewrites yaml's "line N: msg" into "name:N: msg".
func yamlMessage(name string, err error) string {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	msg = strings.TrimPrefix(msg, "unmarshal errors:\n")
	var lines []string
	for _, l := range strings.Split(msg, "\n") {
		l = strings.TrimSpace(l)
		if l == "" {
			continue
		}
		if m := yamlLine.FindStringSubmatchIndex(l); m != nil && m[0] == 0 {
			l = name + ":" + l[m[2]:m[3]] + ": " + l[m[1]:]
		} else {
			l = name + ": " + l
		}
		lines = append(lines, l)
	}
	return strings.Join(lines, "; ")
}

// lineOf walks the YAML tree along path (map keys as strings, sequence
// indexes as ints) and returns the line of the deepest node found.
func lineOf(root *yaml.Node, path ...any) int {
	n := root
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	line := n.Line
	for _, p := range path {
		var next *yaml.Node
		switch k := p.(type) {
		case string:
			if n.Kind == yaml.MappingNode {
				for i := 0; i+1 < len(n.Content); i += 2 {
					if n.Content[i].Value == k {
						next = n.Content[i+1]
						if next.Kind == yaml.ScalarNode {
							next = n.Content[i]
						}
						break
					}
				}
			}
		case int:
			if n.Kind == yaml.SequenceNode && k < len(n.Content) {
				next = n.Content[k]
			}
		}
		if next == nil {
			break
		}
		n, line = next, next.Line
	}
	return line
}
