package datasets

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Format is a labelled-data file format.
type Format string

// Formats ReadTable understands.
const (
	FormatAuto  Format = ""
	FormatJSONL Format = "jsonl"
	FormatCSV   Format = "csv"
)

// TableOptions say where the text and label are in rows of other
// datasets (defaults "text" and "scenario").
type TableOptions struct {
	Format     Format
	TextField  string
	LabelField string
	// LabelOptional accepts rows without a label (for classifying).
	LabelOptional bool
}

// Row is one labelled text from any JSONL or CSV file. Lang, Channel and
// Severity are filled when the file has those columns.
type Row struct {
	Line     int
	ID       string // empty when the file has no id field
	Text     string
	Label    string
	Lang     string
	Channel  string
	Severity int
}

// ErrField is wrapped when a named field is missing from a row.
var ErrField = errors.New("missing field")

// FormatOf guesses a file's format from its name (".csv" or ".tsv"), or
// else JSONL.
func FormatOf(name string) Format {
	n := strings.ToLower(name)
	if strings.HasSuffix(n, ".csv") || strings.HasSuffix(n, ".tsv") {
		return FormatCSV
	}
	return FormatJSONL
}

// ReadTable reads labelled rows from JSONL or CSV (with a header line),
// taking the text and label from the named fields. Errors name file:line.
func ReadTable(r io.Reader, name string, opt TableOptions) ([]Row, error) {
	if opt.TextField == "" {
		opt.TextField = "text"
	}
	if opt.LabelField == "" {
		opt.LabelField = "scenario"
	}
	if opt.Format == FormatAuto {
		opt.Format = FormatOf(name)
	}
	var rows []Row
	add := func(line int, get func(string) (string, bool, error), fields func() []string) error {
		row, err := makeRow(line, get, fields, opt)
		if err == nil {
			rows = append(rows, row)
		}
		return err
	}
	switch opt.Format {
	case FormatJSONL:
		err := readJSONL(r, name, func(line int, data []byte) error {
			row, err := DecodeRow(data, line, opt)
			if err == nil {
				rows = append(rows, row)
			}
			return err
		})
		return rows, err
	case FormatCSV:
		return rows, readCSV(r, name, add)
	}
	return nil, fmt.Errorf("%s: unknown format %q", name, opt.Format)
}

// DecodeRow reads one JSONL line as a Row, taking the text and label from
// opt's fields (defaults "text" and "scenario").
func DecodeRow(data []byte, line int, opt TableOptions) (Row, error) {
	if opt.TextField == "" {
		opt.TextField = "text"
	}
	if opt.LabelField == "" {
		opt.LabelField = "scenario"
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(data, &obj); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return Row{}, fmt.Errorf("%w: a line must be a JSON object, got %s", ErrSchema, te.Value)
		}
		return Row{}, fmt.Errorf("%w: %s", ErrSyntax, strings.TrimPrefix(err.Error(), "json: "))
	}
	return makeRow(line, func(f string) (string, bool, error) { return jsonField(obj, f) }, func() []string { return keys(obj) }, opt)
}

func makeRow(line int, get func(string) (string, bool, error), fields func() []string, opt TableOptions) (Row, error) {
	text, ok, err := get(opt.TextField)
	if err != nil {
		return Row{}, err
	}
	if !ok {
		return Row{}, fmt.Errorf("%w: no field %q (fields: %s)", ErrField, opt.TextField, strings.Join(fields(), ", "))
	}
	if strings.TrimSpace(text) == "" {
		return Row{}, fmt.Errorf("%w: empty text", ErrSchema)
	}
	label, ok, err := get(opt.LabelField)
	if err != nil {
		return Row{}, err
	}
	if (!ok || strings.TrimSpace(label) == "") && !opt.LabelOptional {
		return Row{}, fmt.Errorf("%w: no label in field %q (fields: %s)", ErrField, opt.LabelField, strings.Join(fields(), ", "))
	}
	row := Row{Line: line, Text: text, Label: strings.TrimSpace(label)}
	row.ID, _, _ = get("id")
	row.Lang, _, _ = get("lang")
	row.Channel, _, _ = get("channel")
	if s, ok, _ := get("severity"); ok {
		row.Severity, _ = strconv.Atoi(s)
	}
	return row, nil
}

// jsonField returns a field as a string: strings as they are, numbers and
// booleans as written; other types are an error.
func jsonField(obj map[string]json.RawMessage, f string) (string, bool, error) {
	raw, ok := obj[f]
	if !ok || string(raw) == "null" {
		return "", false, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, true, nil
	}
	switch raw[0] {
	case '{', '[':
		return "", true, fmt.Errorf("%w: field %q is an %s, want a string", ErrSchema, f, map[byte]string{'{': "object", '[': "array"}[raw[0]])
	}
	return string(raw), true, nil
}

func keys(obj map[string]json.RawMessage) []string {
	ks := make([]string, 0, len(obj))
	for k := range obj {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func readCSV(r io.Reader, name string, add func(int, func(string) (string, bool, error), func() []string) error) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(data) {
		line := 1 + bytes.Count(data[:firstInvalid(data)], []byte("\n"))
		return &LineError{name, line, fmt.Errorf("%w: invalid UTF-8", ErrSyntax)}
	}
	cr := csv.NewReader(bytes.NewReader(data))
	if strings.HasSuffix(strings.ToLower(name), ".tsv") {
		cr.Comma = '\t'
	}
	cr.FieldsPerRecord = 0
	header, err := cr.Read()
	if err == io.EOF {
		return nil
	}
	if err != nil {
		return csvError(name, err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.TrimSpace(h)] = i
	}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return csvError(name, err)
		}
		line, _ := cr.FieldPos(0)
		get := func(f string) (string, bool, error) {
			i, ok := col[f]
			if !ok || i >= len(rec) {
				return "", false, nil
			}
			return rec[i], true, nil
		}
		if err := add(line, get, func() []string { return header }); err != nil {
			return &LineError{name, line, err}
		}
	}
}

func csvError(name string, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &LineError{name, pe.Line, fmt.Errorf("%w: %v", ErrSyntax, pe.Err)}
	}
	return fmt.Errorf("%s: %w", name, err)
}

func firstInvalid(b []byte) int {
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return len(b)
}
