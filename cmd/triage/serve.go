package main

import (
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/triagedesk/triage/feedback"
	"github.com/triagedesk/triage/internal/app"
)

func (a *tool) serveCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the HTTP API",
		Long: `Run the HTTP API: /v1/classify for the intake gateway, /v1/triage and
/v1/suggest for agents, cases, feedback, taxonomy, health, readiness,
metrics and /openapi.json.

With no configuration it runs on embedded defaults: the default model, the
embedded case store under TRIAGE_DATA_DIR, offline drafts, no keys. Set
DATABASE_URL for PostgreSQL + pgvector, OPENAI_BASE_URL and
TRIAGE_CHAT_MODEL for LLM drafts, TRIAGE_API_KEYS for authentication
(triage config lists every variable).`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ap, err := app.Open(cmd.Context(), a.cfg, a.logger)
			if err != nil {
				return err
			}
			defer ap.Close()
			return ap.Server.Run(cmd.Context())
		},
	}
	a.cfg.Flags(cmd.Flags(), app.GroupClassifier, app.GroupCases, app.GroupLLM, app.GroupServer, app.GroupLog)
	return cmd
}

func (a *tool) feedbackCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "feedback", Short: "Agents' corrections: export them as training data"}
	var out string
	export := &cobra.Command{
		Use:   "export [--out FILE]",
		Short: "Write the corrected complaints as labelled JSONL for triage train",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			ap, err := a.open()
			if err != nil {
				return err
			}
			defer ap.Close()
			if err := ap.OpenFeedback(ctx); err != nil {
				return err
			}
			entries, err := ap.Feedback.List(ctx)
			if err != nil {
				return err
			}
			w, closeOut, err := a.output(out)
			if err != nil {
				return err
			}
			n, err := feedback.Export(w, entries)
			if cerr := closeOut(); err == nil {
				err = cerr
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stderr, "exported %d labelled complaints from %d feedback entries\n", n, len(entries))
			return nil
		},
	}
	a.cfg.Flags(export.Flags(), app.GroupCases, app.GroupClassifier, app.GroupLog)
	export.Flags().StringVar(&out, "out", "", "file to write (default: stdout)")
	cmd.AddCommand(export)
	return cmd
}

// output opens path for writing, or stdout when path is empty.
func (a *tool) output(path string) (io.Writer, func() error, error) {
	if path == "" {
		return a.stdout, func() error { return nil }, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, nil, err
	}
	return f, f.Close, nil
}
