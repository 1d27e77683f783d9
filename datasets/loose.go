package datasets

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/triagedesk/triage"
)

// ReadCaseTable reads cases from any JSONL or CSV where only id and text
// are required; the other case fields are taken when present (in CSV,
// compensation is a JSON object in its column). It is the ingest format:
// lenient about what is missing, strict about what is malformed.
func ReadCaseTable(r io.Reader, name string, format Format) ([]triage.Case, error) {
	if format == FormatAuto {
		format = FormatOf(name)
	}
	var out []triage.Case
	add := func(line int, get func(string) (string, bool, error)) error {
		var c triage.Case
		var err error
		str := func(f string) string {
			if err != nil {
				return ""
			}
			var v string
			v, _, err = get(f)
			return strings.TrimSpace(v)
		}
		c.ID, c.Text = str("id"), str("text")
		c.Lang, c.Scenario, c.Queue, c.Channel = str("lang"), str("scenario"), str("queue"), str("channel")
		c.Resolution, c.Reply = str("resolution"), str("reply")
		sev, resolved, comp := str("severity"), str("resolved_at"), str("compensation")
		if err != nil {
			return err
		}
		if c.ID == "" {
			return fmt.Errorf("%w: missing id", ErrSchema)
		}
		if c.Text == "" {
			return fmt.Errorf("%w: %s: missing text", ErrSchema, c.ID)
		}
		if sev != "" {
			if c.Severity, err = strconv.Atoi(sev); err != nil || c.Severity < 1 || c.Severity > 5 {
				return fmt.Errorf("%w: %s: severity %q is not 1..5", ErrSchema, c.ID, sev)
			}
		}
		if resolved != "" {
			if c.ResolvedAt, err = time.Parse(time.RFC3339, resolved); err != nil {
				return fmt.Errorf("%w: %s: resolved_at %q is not RFC 3339", ErrSchema, c.ID, resolved)
			}
		}
		if comp != "" {
			var cp triage.Compensation
			if err := json.Unmarshal([]byte(comp), &cp); err != nil {
				return fmt.Errorf("%w: %s: compensation: %v", ErrSchema, c.ID, err)
			}
			c.Compensation = &cp
		}
		out = append(out, c)
		return nil
	}
	switch format {
	case FormatJSONL:
		err := readJSONL(r, name, func(line int, data []byte) error {
			var obj map[string]json.RawMessage
			if err := json.Unmarshal(data, &obj); err != nil {
				return fmt.Errorf("%w: %s", ErrSyntax, strings.TrimPrefix(err.Error(), "json: "))
			}
			return add(line, func(f string) (string, bool, error) {
				if f == "compensation" {
					raw, ok := obj[f]
					if !ok || string(raw) == "null" {
						return "", false, nil
					}
					return string(raw), true, nil
				}
				return jsonField(obj, f)
			})
		})
		return out, err
	case FormatCSV:
		err := readCSV(r, name, func(line int, get func(string) (string, bool, error), _ func() []string) error {
			return add(line, get)
		})
		return out, err
	}
	return nil, fmt.Errorf("%s: unknown format %q", name, format)
}
