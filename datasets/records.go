package datasets

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/triagedesk/triage"
)

// Sentinel errors wrapped by LineError, for callers that branch on the
// kind of problem.
var (
	ErrSyntax  = triage.NewError(triage.EINVALID, "malformed line")
	ErrSchema  = triage.ErrInvalidRecord
	ErrLabel   = triage.ErrUnknownLabel
	ErrTooLong = triage.NewError(triage.ETOOLARGE, "line too long")
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
func ReadComplaints(r io.Reader, name string, tax *triage.Taxonomy) ([]triage.Complaint, error) {
	return readRecords(r, name, func(c *triage.Complaint) (string, error) { return c.ID, c.Validate(tax) })
}

// ReadCases reads resolved cases from JSONL. With a non-nil taxonomy the
// labels and every compensation are checked against it.
func ReadCases(r io.Reader, name string, tax *triage.Taxonomy) ([]triage.Case, error) {
	return readRecords(r, name, func(c *triage.Case) (string, error) { return c.ID, c.Validate(tax) })
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
