package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/triagedesk/triage"
	"github.com/triagedesk/triage/datasets"
	"github.com/triagedesk/triage/llm"
	"github.com/triagedesk/triage/redact"
	"github.com/triagedesk/triage/retrieve"
	"github.com/triagedesk/triage/retrieve/memstore"
	"github.com/triagedesk/triage/retrieve/pgstore"
)

// storeFlags choose the case store and the embedder.
type storeFlags struct {
	databaseURL string // DATABASE_URL
	collection  string
	dataDir     string // TRIAGE_DATA_DIR
	baseURL     string // OPENAI_BASE_URL
	apiKey      string // OPENAI_API_KEY
	embedModel  string // TRIAGE_EMBED_MODEL
}

func (a *app) addStoreFlags(cmd *cobra.Command, f *storeFlags) {
	fl := cmd.Flags()
	fl.StringVar(&f.databaseURL, "database-url", a.getenv("DATABASE_URL"), "PostgreSQL with pgvector (env DATABASE_URL; default: the embedded store)")
	fl.StringVar(&f.collection, "collection", pgstore.DefaultCollection, "collection of cases")
	if fl.Lookup("data-dir") == nil { // the model flags may have it already
		fl.StringVar(&f.dataDir, "data-dir", a.getenv("TRIAGE_DATA_DIR"), "where the embedded store lives (env TRIAGE_DATA_DIR; default: the user cache directory)")
	}
	fl.StringVar(&f.embedModel, "embed-model", a.getenv("TRIAGE_EMBED_MODEL"), "embedding model at OPENAI_BASE_URL (env TRIAGE_EMBED_MODEL; default: the local embedder)")
	f.baseURL, f.apiKey = a.getenv("OPENAI_BASE_URL"), a.getenv("OPENAI_API_KEY")
}

// openStore opens the configured store; close releases it.
func (a *app) openStore(ctx context.Context, f *storeFlags) (s retrieve.Store, desc string, close func(), err error) {
	if f.databaseURL != "" {
		ps, err := pgstore.Open(ctx, f.databaseURL, pgstore.Options{Collection: f.collection, Logger: a.logger})
		if err != nil {
			return nil, "", nil, err
		}
		return ps, "postgres collection " + f.collection, ps.Close, nil
	}
	dir := f.dataDir
	if dir == "" {
		d, err := os.UserCacheDir()
		if err != nil {
			return nil, "", nil, fmt.Errorf("no data directory: set TRIAGE_DATA_DIR (%w)", err)
		}
		dir = filepath.Join(d, "triage")
	}
	name := "cases.gob"
	if f.collection != pgstore.DefaultCollection {
		name = "cases_" + f.collection + ".gob"
	}
	ms, err := memstore.Open(filepath.Join(dir, name))
	if err != nil {
		return nil, "", nil, err
	}
	return ms, "embedded store " + ms.Path(), func() {}, nil
}

// openIndex opens the store and binds the embedder. A new embedded
// default store is first loaded with the embedded resolved cases; a new
// local embedder is fitted on corpus (or on those cases).
func (a *app) openIndex(ctx context.Context, f *storeFlags, corpus []string) (*retrieve.Index, string, func(), error) {
	s, desc, closeFn, err := a.openStore(ctx, f)
	if err != nil {
		return nil, "", nil, err
	}
	fail := func(err error) (*retrieve.Index, string, func(), error) { closeFn(); return nil, "", nil, err }
	_, metaErr := s.Meta(ctx)
	seed := errors.Is(metaErr, retrieve.ErrNoCollection) && f.databaseURL == "" && f.collection == pgstore.DefaultCollection
	var seedCases []triage.Case
	if seed {
		tax, err := datasets.LoadTaxonomy()
		if err != nil {
			return fail(err)
		}
		if seedCases, err = datasets.LoadCases(tax); err != nil {
			return fail(err)
		}
		corpus = nil
		for _, c := range seedCases {
			corpus = append(corpus, c.Text)
		}
	}
	emb, err := a.embedder(ctx, s, f, corpus)
	if err != nil {
		return fail(err)
	}
	ix, err := retrieve.NewIndex(ctx, s, emb, redact.Redactor{})
	if err != nil {
		return fail(err)
	}
	if seed {
		start := time.Now()
		if err := ix.Add(ctx, seedCases, nil); err != nil {
			return fail(err)
		}
		a.logger.Info("loaded the embedded resolved cases into the store", "cases", len(seedCases), "store", desc, "took", time.Since(start).Round(time.Millisecond))
	}
	return ix, desc, closeFn, nil
}

func (a *app) embedder(ctx context.Context, s retrieve.Store, f *storeFlags, corpus []string) (retrieve.Embedder, error) {
	if f.embedModel != "" {
		dims := 0
		if m, err := s.Meta(ctx); err == nil {
			dims = m.Dimensions
		}
		return llm.NewEmbedder(llm.EmbedderOptions{BaseURL: f.baseURL, APIKey: f.apiKey, Model: f.embedModel, Dimensions: dims})
	}
	lex, err := datasets.LoadLexicon()
	if err != nil {
		return nil, err
	}
	return retrieve.LocalFor(ctx, s, corpus, retrieve.LocalOptions{Lexicon: lex.Concepts})
}

func (a *app) ingestCommand() *cobra.Command {
	var f storeFlags
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
			ix, desc, closeFn, err := a.openIndex(ctx, &f, corpus)
			if err != nil {
				return err
			}
			defer closeFn()
			var progress func(int)
			if isTerminal(a.stderr) {
				bar := progressbar.NewOptions(len(cases), progressbar.OptionSetWriter(a.stderr), progressbar.OptionSetDescription("ingesting"),
					progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionClearOnFinish())
				progress = func(n int) { bar.Set(n) }
			}
			if _, ok := ix.Store.(*memstore.Store); ok {
				ix.BatchSize = 4096 // the embedded store rewrites its file per batch
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
	a.addStoreFlags(cmd, &f)
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

func (a *app) searchCommand() *cobra.Command {
	var f storeFlags
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
			ix, _, closeFn, err := a.openIndex(ctx, &f, nil)
			if err != nil {
				return err
			}
			defer closeFn()
			res, err := ix.Search(ctx, args[0], k, filter)
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
	a.addStoreFlags(cmd, &f)
	cmd.Flags().IntVar(&k, "k", 5, "number of results (1..100)")
	cmd.Flags().StringVar(&filter.Scenario, "scenario", "", "only cases of this scenario")
	cmd.Flags().StringVar(&filter.Lang, "lang", "", "only cases in this language")
	return cmd
}
