package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/triagedesk/triage/datasets"
	"github.com/triagedesk/triage/feedback"
	"github.com/triagedesk/triage/feedback/pgfeedback"
	"github.com/triagedesk/triage/retrieve/pgstore"
	"github.com/triagedesk/triage/server"
	"github.com/triagedesk/triage/suggest"
)

type serveFlags struct {
	modelFlags
	store    storeFlags
	chat     chatFlags
	cfg      server.Config
	minScore float64
}

// envFlags sets each flag not given on the command line from its
// environment variable, so a bad value is reported under the variable's
// name at start.
func (a *app) envFlags(fl *pflag.FlagSet, pairs map[string]string) error {
	for flag, env := range pairs {
		v := a.getenv(env)
		if v == "" || fl.Changed(flag) {
			continue
		}
		if err := fl.Set(flag, v); err != nil {
			return &usageError{fmt.Errorf("%s=%q: %v", env, v, err)}
		}
	}
	return nil
}

func (a *app) serveCommand() *cobra.Command {
	var f serveFlags
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the HTTP API",
		Long: `Run the HTTP API: /v1/classify for the intake gateway, /v1/triage and
/v1/suggest for agents, cases, feedback, taxonomy, health, readiness,
metrics and /openapi.json.

With no configuration it runs on embedded defaults: the default model, the
embedded case store under TRIAGE_DATA_DIR, offline drafts, no keys. Set
DATABASE_URL for PostgreSQL + pgvector, OPENAI_BASE_URL and
TRIAGE_CHAT_MODEL for LLM drafts, TRIAGE_API_KEYS for authentication.`,
		Args: cobra.NoArgs,
		PreRunE: func(cmd *cobra.Command, args []string) error {
			return a.envFlags(cmd.Flags(), map[string]string{
				"addr": "TRIAGE_ADDR", "max-text-bytes": "TRIAGE_MAX_TEXT_BYTES", "rate-limit": "TRIAGE_RATE_LIMIT",
				"rate-burst": "TRIAGE_RATE_BURST", "request-timeout": "TRIAGE_REQUEST_TIMEOUT", "similar-cases": "TRIAGE_SIMILAR_CASES",
				"llm-timeout": "TRIAGE_LLM_TIMEOUT", "min-case-score": "TRIAGE_MIN_CASE_SCORE",
			})
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if f.store.dataDir == "" {
				f.store.dataDir = f.dataDir
			}
			return a.serve(cmd.Context(), &f)
		},
	}
	a.addModelFlags(cmd, &f.modelFlags)
	a.addStoreFlags(cmd, &f.store)
	a.addChatFlags(cmd, &f.chat)
	fl := cmd.Flags()
	fl.StringVar(&f.cfg.Addr, "addr", ":8080", "listen address (env TRIAGE_ADDR)")
	fl.IntVar(&f.cfg.MaxTextBytes, "max-text-bytes", 65536, "longest complaint accepted, 1..65536 (env TRIAGE_MAX_TEXT_BYTES)")
	fl.Float64Var(&f.cfg.RateLimit, "rate-limit", 0, "requests per second per API key (per client address without keys); 0: off (env TRIAGE_RATE_LIMIT)")
	fl.IntVar(&f.cfg.RateBurst, "rate-burst", 0, "burst above the rate limit (default 2× the limit) (env TRIAGE_RATE_BURST)")
	fl.DurationVar(&f.cfg.RequestTimeout, "request-timeout", 30*time.Second, "bound on one request; streamed drafts get 4× (env TRIAGE_REQUEST_TIMEOUT)")
	fl.IntVar(&f.cfg.SimilarCases, "similar-cases", 3, "cases a draft is grounded on, 1..10 (env TRIAGE_SIMILAR_CASES)")
	fl.Float64Var(&f.minScore, "min-case-score", suggest.DefaultMinScore, "similarity a case needs to count as evidence (env TRIAGE_MIN_CASE_SCORE)")
	return cmd
}

func (a *app) serve(ctx context.Context, f *serveFlags) error {
	keys, err := server.ParseKeys(a.getenv("TRIAGE_API_KEYS"))
	if err != nil {
		return &usageError{err}
	}
	switch {
	case f.cfg.MaxTextBytes < 1 || f.cfg.MaxTextBytes > 65536:
		return &usageError{fmt.Errorf("--max-text-bytes (TRIAGE_MAX_TEXT_BYTES) %d outside 1..65536", f.cfg.MaxTextBytes)}
	case f.cfg.RateLimit < 0 || f.cfg.RateBurst < 0:
		return &usageError{errors.New("--rate-limit and --rate-burst (TRIAGE_RATE_LIMIT, TRIAGE_RATE_BURST) cannot be negative")}
	case f.cfg.RequestTimeout < time.Second:
		return &usageError{fmt.Errorf("--request-timeout (TRIAGE_REQUEST_TIMEOUT) %v is under 1s", f.cfg.RequestTimeout)}
	case f.cfg.SimilarCases < 1 || f.cfg.SimilarCases > 10:
		return &usageError{fmt.Errorf("--similar-cases (TRIAGE_SIMILAR_CASES) %d outside 1..10", f.cfg.SimilarCases)}
	case f.chat.model != "" && f.chat.baseURL == "":
		return &usageError{errors.New("TRIAGE_CHAT_MODEL is set but OPENAI_BASE_URL is not")}
	}
	f.cfg.Keys = keys
	f.cfg.StreamTimeout = 4 * f.cfg.RequestTimeout
	if f.chat.timeout > 0 {
		f.cfg.StreamTimeout = max(f.cfg.StreamTimeout, f.chat.timeout+10*time.Second)
	}
	tax, err := datasets.LoadTaxonomy()
	if err != nil {
		return err
	}
	local, err := a.classifier(ctx, &f.modelFlags)
	if err != nil {
		return err
	}
	// A new PostgreSQL collection gets the local embedder fitted on the
	// embedded cases' texts (not the cases themselves), so the service
	// starts; POST /v1/cases or triage ingest fills it.
	cases, err := datasets.LoadCases(tax)
	if err != nil {
		return err
	}
	corpus := make([]string, len(cases))
	for i, c := range cases {
		corpus[i] = c.Text
	}
	ix, desc, closeStore, err := a.openIndex(ctx, &f.store, corpus)
	if err != nil {
		return err
	}
	defer closeStore()

	srv := server.New(f.cfg, a.logger)
	srv.Taxonomy, srv.Index = tax, ix
	client, err := f.chat.client()
	if err != nil {
		return &usageError{err}
	}
	var gen chatLLM
	llmDesc := "none (offline drafts)"
	if client != nil {
		gen = srv.MeterLLM(client)
		llmDesc = client.Model() + " at " + f.chat.baseURL
	}
	if srv.Classifier, err = a.cascade(local, tax, f.chat.classifier, gen); err != nil {
		return err
	}
	srv.Drafter = suggest.New(tax, gen, a.logger)
	srv.Drafter.MaxCases, srv.Drafter.MinScore = f.cfg.SimilarCases, f.minScore

	if ps, ok := ix.Store.(*pgstore.Store); ok {
		if srv.Feedback, err = pgfeedback.New(ctx, ps.Pool(), ""); err != nil {
			return err
		}
		srv.Ready = func(ctx context.Context) error {
			ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			defer cancel()
			if err := ps.Pool().Ping(ctx); err != nil {
				return fmt.Errorf("database unreachable: %w", err)
			}
			return nil
		}
	} else {
		dir, err := f.dir()
		if err != nil {
			return err
		}
		fs, err := feedback.OpenFile(filepath.Join(dir, "feedback.jsonl"))
		if err != nil {
			return err
		}
		srv.Feedback, srv.Ready = fs, fs.Ping
	}
	a.logger.Info("triage ready", "model", local.Model.Meta.Version, "cases", desc, "llm", llmDesc, "classifier", f.chat.classifier, "keys", len(keys))
	return srv.Run(ctx)
}

func (a *app) feedbackCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "feedback", Short: "Agents' corrections: export them as training data"}
	var f storeFlags
	var out string
	export := &cobra.Command{
		Use:   "export [--out FILE]",
		Short: "Write the corrected complaints as labelled JSONL for triage train",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			var st feedback.Store
			if f.databaseURL != "" {
				ps, err := pgstore.Open(ctx, f.databaseURL, pgstore.Options{Collection: f.collection, Logger: a.logger})
				if err != nil {
					return err
				}
				defer ps.Close()
				if st, err = pgfeedback.New(ctx, ps.Pool(), ""); err != nil {
					return err
				}
			} else {
				mf := modelFlags{dataDir: f.dataDir}
				dir, err := mf.dir()
				if err != nil {
					return err
				}
				if st, err = feedback.OpenFile(filepath.Join(dir, "feedback.jsonl")); err != nil {
					return err
				}
			}
			entries, err := st.List(ctx)
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
	a.addStoreFlags(export, &f)
	export.Flags().StringVar(&out, "out", "", "file to write (default: stdout)")
	cmd.AddCommand(export)
	return cmd
}

// output opens path for writing, or stdout when path is empty.
func (a *app) output(path string) (io.Writer, func() error, error) {
	if path == "" {
		return a.stdout, func() error { return nil }, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, nil, err
	}
	return f, f.Close, nil
}
