package datasets

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// Complaint is one labelled complaint (design.md §4).
type Complaint struct {
	ID       string `json:"id"`
	Text     string `json:"text"`
	Lang     string `json:"lang"`
	Scenario string `json:"scenario"`
	Severity int    `json:"severity"`
	Queue    string `json:"queue"`
	Channel  string `json:"channel"`
}

// Case is a resolved past case: a complaint plus what was done and said.
type Case struct {
	Complaint
	Resolution   string        `json:"resolution"`
	Reply        string        `json:"reply"`
	Compensation *Compensation `json:"compensation,omitempty"`
	ResolvedAt   time.Time     `json:"resolved_at"`
}

// Compensation is what a customer was given, as the policy computes it.
type Compensation struct {
	Policy    string  `json:"policy"`
	Loss      float64 `json:"loss"`
	Currency  string  `json:"currency"`
	DelayDays int     `json:"delay_days"`
	Amount    float64 `json:"amount"`
	Form      string  `json:"form,omitempty"`
}

// Sentinel errors wrapped by LineError, for callers that branch on the
// kind of problem.
var (
	ErrSyntax  = errors.New("malformed line")
	ErrSchema  = errors.New("schema violation")
	ErrLabel   = errors.New("unknown label")
	ErrTooLong = errors.New("line too long")
)

// LineError names the file and line of a bad record.
type LineError struct {
	File string
	Line int
	Err  error
}

// Error formats the error as "file:line: problem".
func (e *LineError) Error() string { return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err) }

// Unwrap returns the underlying error.
func (e *LineError) Unwrap() error { return e.Err }

// MaxLineBytes bounds one JSONL record; longer lines are rejected with
// ErrTooLong rather than read into memory.
const MaxLineBytes = 1 << 20

// ReadComplaints reads labelled complaints from JSONL. With a non-nil
// taxonomy every label is checked against it. name is used in errors.
func ReadComplaints(r io.Reader, name string, tax *Taxonomy) ([]Complaint, error) {
	return readRecords(r, name, func(c *Complaint) (string, error) { return c.ID, c.validate(tax) })
}

// ReadCases reads resolved cases from JSONL. With a non-nil taxonomy the
// labels and every compensation are checked against it.
func ReadCases(r io.Reader, name string, tax *Taxonomy) ([]Case, error) {
	return readRecords(r, name, func(c *Case) (string, error) { return c.ID, c.validate(tax) })
}

// readRecords decodes one strict JSON object a line, validates it and
// rejects duplicate ids, naming the line of the first occurrence.
func readRecords[T any](r io.Reader, name string, validate func(*T) (id string, err error)) ([]T, error) {
	var out []T
	ids := map[string]int{}
	err := readJSONL(r, name, func(line int, data []byte) error {
		var rec T
		if err := decodeStrict(data, &rec); err != nil {
			return err
		}
		id, err := validate(&rec)
		if err != nil {
			return err
		}
		if prev, ok := ids[id]; ok {
			return fmt.Errorf("%w: duplicate id %q (first on line %d)", ErrSchema, id, prev)
		}
		ids[id] = line
		out = append(out, rec)
		return nil
	})
	return out, err
}

// readJSONL calls fn for each non-blank line, wrapping its error with the
// line number. It stops at the first error.
func readJSONL(r io.Reader, name string, fn func(line int, data []byte) error) error {
	return EachLine(r, name, func(line int, data []byte, err error) error {
		if err != nil {
			return err
		}
		if ferr := fn(line, data); ferr != nil {
			return &LineError{name, line, ferr}
		}
		return nil
	})
}

// EachLine calls fn for every non-blank line of r (without its line
// ending; a leading BOM is dropped). A line longer than MaxLineBytes or
// not valid UTF-8 is passed as a *LineError instead of data, so callers
// can report it and go on. An error from fn stops the scan and is
// returned; a read error is returned as name:line: err.
func EachLine(r io.Reader, name string, fn func(line int, data []byte, err error) error) error {
	br := bufio.NewReaderSize(r, 64<<10)
	for line := 1; ; line++ {
		data, err := readLine(br)
		if err == io.EOF && len(data) == 0 {
			return nil
		}
		var lerr error
		switch {
		case errors.Is(err, ErrTooLong):
			lerr = &LineError{name, line, fmt.Errorf("%w (over %d bytes)", ErrTooLong, MaxLineBytes)}
			err = nil
		case err != nil && err != io.EOF:
			return fmt.Errorf("%s:%d: %w", name, line, err)
		}
		if line == 1 {
			data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
		}
		if lerr == nil && len(bytes.TrimSpace(data)) == 0 {
			if err == io.EOF {
				return nil
			}
			continue
		}
		if lerr == nil && !utf8.Valid(data) {
			lerr = &LineError{name, line, fmt.Errorf("%w: invalid UTF-8", ErrSyntax)}
		}
		if lerr != nil {
			data = nil
		}
		if ferr := fn(line, data, lerr); ferr != nil {
			return ferr
		}
		if err == io.EOF {
			return nil
		}
	}
}

// readLine returns one line without its terminator, or ErrTooLong after
// discarding the rest of an over-long line.
func readLine(br *bufio.Reader) ([]byte, error) {
	var buf []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if len(buf)+len(chunk) > MaxLineBytes {
			for err == bufio.ErrBufferFull {
				_, err = br.ReadSlice('\n')
			}
			return nil, ErrTooLong
		}
		buf = append(buf, chunk...)
		if err == bufio.ErrBufferFull {
			continue
		}
		buf = bytes.TrimRight(buf, "\r\n")
		return buf, err
	}
}

// decodeStrict decodes one JSON object, rejecting unknown fields, trailing
// data and wrong types with a readable message.
func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return fmt.Errorf("%w: field %q: got JSON %s, want %s", ErrSchema, te.Field, te.Value, te.Type)
		}
		if strings.HasPrefix(err.Error(), "json: unknown field") {
			return fmt.Errorf("%w: %s", ErrSchema, strings.TrimPrefix(err.Error(), "json: "))
		}
		return fmt.Errorf("%w: %s", ErrSyntax, strings.TrimPrefix(err.Error(), "json: "))
	}
	if dec.More() {
		return fmt.Errorf("%w: more than one JSON value on the line", ErrSyntax)
	}
	return nil
}

var langCode = regexp.MustCompile(`^[a-z]{2}$`)

func (c *Complaint) validate(tax *Taxonomy) error {
	switch {
	case strings.TrimSpace(c.ID) == "":
		return fmt.Errorf("%w: missing id", ErrSchema)
	case strings.TrimSpace(c.Text) == "":
		return fmt.Errorf("%w: %s: empty text", ErrSchema, c.ID)
	case !langCode.MatchString(c.Lang):
		return fmt.Errorf("%w: %s: lang %q is not an ISO 639-1 code", ErrSchema, c.ID, c.Lang)
	case c.Severity < 1 || c.Severity > 5:
		return fmt.Errorf("%w: %s: severity %d outside 1..5", ErrSchema, c.ID, c.Severity)
	}
	if tax == nil {
		return nil
	}
	s, ok := tax.Scenario(c.Scenario)
	if !ok {
		return fmt.Errorf("%w: %s: scenario %q is not in the taxonomy", ErrLabel, c.ID, c.Scenario)
	}
	if c.Queue != s.Queue {
		return fmt.Errorf("%w: %s: queue %q, but scenario %s routes to %q", ErrLabel, c.ID, c.Queue, s.ID, s.Queue)
	}
	if !tax.HasChannel(c.Channel) {
		return fmt.Errorf("%w: %s: channel %q is not in the taxonomy", ErrLabel, c.ID, c.Channel)
	}
	return nil
}

func (c *Case) validate(tax *Taxonomy) error {
	if err := c.Complaint.validate(tax); err != nil {
		return err
	}
	switch {
	case strings.TrimSpace(c.Resolution) == "":
		return fmt.Errorf("%w: %s: empty resolution", ErrSchema, c.ID)
	case strings.TrimSpace(c.Reply) == "":
		return fmt.Errorf("%w: %s: empty reply", ErrSchema, c.ID)
	case c.ResolvedAt.IsZero():
		return fmt.Errorf("%w: %s: missing resolved_at", ErrSchema, c.ID)
	}
	if c.Compensation == nil || tax == nil {
		return nil
	}
	got := *c.Compensation
	if !tax.HasForm(got.Form) {
		return fmt.Errorf("%w: %s: compensation form %q is not in the taxonomy", ErrLabel, c.ID, got.Form)
	}
	want, err := tax.Compensate(c.Scenario, got.Loss, got.Currency, got.DelayDays)
	if err != nil {
		return fmt.Errorf("%w: %s: %w", ErrLabel, c.ID, err)
	}
	if got.Policy != want.Policy {
		return fmt.Errorf("%w: %s: compensation policy %q, but scenario %s uses %q", ErrLabel, c.ID, got.Policy, c.Scenario, want.Policy)
	}
	if math.Abs(got.Amount-want.Amount) > 0.005 {
		return fmt.Errorf("%w: %s: compensation amount %.2f %s, policy allows %.2f", ErrSchema, c.ID, got.Amount, got.Currency, want.Amount)
	}
	return nil
}
