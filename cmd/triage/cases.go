package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/triagedesk/triage"
	"github.com/triagedesk/triage/datasets"
	"github.com/triagedesk/triage/internal/app"
	"github.com/triagedesk/triage/retrieve"
)

func (a *tool) ingestCommand() *cobra.Command {
	var data []string
	cmd := &cobra.Command{
		Use:   "ingest --data FILE [--data FILE…]",
		Short: "Add resolved cases to the case store (idempotent by id)",
		Long: `Add resolved cases from JSONL or CSV to the case store: PostgreSQL when
DATABASE_URL is set, the embedded store otherwise. Only id and text are
required; lang, scenario, severity, queue, channel, resolution, reply,
compensation and resolved_at are kept when present. Ingesting a file twice
leaves one row per id.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var cases []triage.Case
			for _, path := range data {
				file, err := os.Open(path)
				if err != nil {
					return err
				}
				cs, err := datasets.ReadCaseTable(file, path, datasets.FormatAuto)
				file.Close()
				if err != nil {
					return err
				}
				cases = append(cases, cs...)
			}
			if len(cases) == 0 {
				return fmt.Errorf("no cases in %s", strings.Join(data, ", "))
			}
			corpus := make([]string, len(cases))
			for i, c := range cases {
				corpus[i] = c.Text
			}
			ctx := cmd.Context()
			ap, err := a.open()
			if err != nil {
				return err
			}
			defer ap.Close()
			if err := ap.OpenIndex(ctx, corpus); err != nil {
				return err
			}
			ix, desc := ap.Index, ap.StoreDesc
			var progress func(int)
			if isTerminal(a.stderr) {
				bar := progressbar.NewOptions(len(cases), progressbar.OptionSetWriter(a.stderr), progressbar.OptionSetDescription("ingesting"),
					progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionClearOnFinish())
				progress = func(n int) { bar.Set(n) }
			}
			start := time.Now()
			if err := ix.Add(ctx, cases, progress); err != nil {
				return err
			}
			took := time.Since(start)
			total, _ := ix.Store.Count(ctx)
			fmt.Fprintf(a.stdout, "ingested %d cases into %s in %.2fs (%.0f rows/s); %d cases stored, embedder %s\n",
				len(cases), desc, took.Seconds(), float64(len(cases))/took.Seconds(), total, ix.EmbedderVersion())
			return nil
		},
	}
	a.cfg.Flags(cmd.Flags(), app.GroupCases, app.GroupClassifier, app.GroupLog)
	cmd.Flags().StringArrayVar(&data, "data", nil, "JSONL or CSV of cases (repeatable)")
	cmd.MarkFlagRequired("data")
	return cmd
}

// searchResult is one line of `triage search` output.
type searchResult struct {
	ID           string               `json:"id"`
	Score        float64              `json:"score"`
	Scenario     string               `json:"scenario"`
	Lang         string               `json:"lang"`
	Text         string               `json:"text"`
	Resolution   string               `json:"resolution"`
	Reply        string               `json:"reply"`
	Compensation *triage.Compensation `json:"compensation,omitempty"`
}

func (a *tool) searchCommand() *cobra.Command {
	var k int
	var filter retrieve.Filter
	cmd := &cobra.Command{
		Use:   "search [--k N] [--scenario S] [--lang L] TEXT",
		Short: "Find resolved cases similar to TEXT",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 || strings.TrimSpace(args[0]) == "" {
				return &usageError{errors.New("search needs one TEXT argument")}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := triage.CheckText(args[0]); err != nil {
				return err
			}
			ctx := cmd.Context()
			ap, err := a.open()
			if err != nil {
				return err
			}
			defer ap.Close()
			if err := ap.OpenIndex(ctx, nil); err != nil {
				return err
			}
			res, err := ap.Index.Search(ctx, args[0], k, filter)
			if err != nil {
				return err
			}
			out := struct {
				Results []searchResult `json:"results"`
			}{Results: make([]searchResult, len(res))}
			for i, r := range res {
				out.Results[i] = searchResult{ID: r.ID, Score: float64(int(r.Score*10000+0.5)) / 10000, Scenario: r.Scenario, Lang: r.Lang,
					Text: r.Text, Resolution: r.Resolution, Reply: r.Reply, Compensation: r.Compensation}
			}
			enc := json.NewEncoder(a.stdout)
			enc.SetEscapeHTML(false)
			if isTerminal(a.stdout) {
				enc.SetIndent("", "  ")
			}
			return enc.Encode(out)
		},
	}
	a.cfg.Flags(cmd.Flags(), app.GroupCases, app.GroupClassifier, app.GroupLog)
	cmd.Flags().IntVar(&k, "k", 5, "number of results (1..100)")
	cmd.Flags().StringVar(&filter.Scenario, "scenario", "", "only cases of this scenario")
	cmd.Flags().StringVar(&filter.Lang, "lang", "", "only cases in this language")
	return cmd
}
