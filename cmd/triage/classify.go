package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/triagedesk/triage"
	"github.com/triagedesk/triage/classify"
	"github.com/triagedesk/triage/classify/cascade"
	"github.com/triagedesk/triage/datasets"
	"github.com/triagedesk/triage/internal/app"
)

var errNoInput = errors.New("no text: give TEXT or pipe it on stdin")

type classifyFlags struct {
	jsonl     bool
	textField string
	pretty    bool
}

func (a *tool) classifyCommand() *cobra.Command {
	var f classifyFlags
	cmd := &cobra.Command{
		Use:   "classify [--model MODEL] [TEXT]",
		Short: "Classify a complaint: language, scenario, severity, queue, deadline",
		Long: `Classify a complaint given as TEXT or on stdin.

With --jsonl, stdin holds one JSON object a line (text in --text-field); one
result is written a line, carrying the input "id" through. A bad line is
reported on stderr as stdin:LINE and skipped; the exit code is then 1.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return a.classify(cmd, f, args) },
	}
	a.cfg.Flags(cmd.Flags(), app.GroupClassifier, app.GroupLLM, app.GroupLog)
	cmd.Flags().BoolVar(&f.jsonl, "jsonl", false, "read JSONL objects from stdin, write one result per line")
	cmd.Flags().StringVar(&f.textField, "text-field", "text", "with --jsonl: the field holding the text")
	cmd.Flags().BoolVar(&f.pretty, "pretty", false, "indent the JSON (default when stdout is a terminal)")
	return cmd
}

func (a *tool) classify(cmd *cobra.Command, f classifyFlags, args []string) error {
	if f.jsonl && len(args) > 0 {
		return &usageError{errors.New("--jsonl reads stdin; do not also give TEXT")}
	}
	var text string
	if !f.jsonl {
		if len(args) == 1 {
			text = args[0]
		} else {
			b, err := io.ReadAll(io.LimitReader(a.stdin, triage.MaxTextBytes+1))
			if err != nil {
				return fmt.Errorf("read stdin: %w", err)
			}
			text = string(b)
		}
		if err := triage.CheckText(text); err != nil {
			if errors.Is(err, triage.ErrEmptyText) {
				return errNoInput
			}
			return err
		}
	}
	ap, err := a.open()
	if err != nil {
		return err
	}
	defer ap.Close()
	if err := ap.OpenClassifier(cmd.Context()); err != nil {
		return err
	}
	c := ap.Classifier
	out := bufio.NewWriter(a.stdout)
	defer out.Flush()
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	if !f.jsonl {
		if f.pretty || isTerminal(a.stdout) {
			enc.SetIndent("", "  ")
		}
		res, err := c.Classify(cmd.Context(), text)
		if err != nil {
			return err
		}
		return enc.Encode(res)
	}
	return a.classifyJSONL(cmd.Context(), c, f.textField, enc, out)
}

// classifyJSONL classifies each stdin line; bad lines are reported on
// stderr and skipped, never dropped silently.
func (a *tool) classifyJSONL(ctx context.Context, c *cascade.Classifier, textField string, enc *json.Encoder, out *bufio.Writer) error {
	bad := 0
	opt := datasets.TableOptions{TextField: textField, LabelOptional: true}
	err := datasets.EachLine(a.stdin, "stdin", func(line int, data []byte, err error) error {
		var row datasets.Row
		if err == nil {
			row, err = datasets.DecodeRow(data, line, opt)
		}
		var res classify.Result
		if err == nil {
			res, err = c.Classify(ctx, row.Text)
		}
		if err != nil {
			bad++
			var le *datasets.LineError
			if !errors.As(err, &le) {
				err = &datasets.LineError{File: "stdin", Line: line, Err: err}
			}
			fmt.Fprintln(a.stderr, "triage:", err)
			return nil
		}
		res.ID = row.ID
		if err := enc.Encode(res); err != nil {
			return err
		}
		return out.Flush()
	})
	if err != nil {
		return err
	}
	if bad > 0 {
		return fmt.Errorf("%d input line(s) could not be classified (see above)", bad)
	}
	return nil
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
