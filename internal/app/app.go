//go:generate go test -run TestConfigurationDocIsUpToDate -update .

// Package app wires the service: one Config (the registry of every
// variable) and Open, which builds the classifier, the case index, the
// drafter, the feedback store and the HTTP server from it. Both main and
// the tests use it, so the tests run the real wiring with a changed
// configuration.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/triagedesk/triage"
	"github.com/triagedesk/triage/classify"
	"github.com/triagedesk/triage/classify/cascade"
	"github.com/triagedesk/triage/datasets"
	"github.com/triagedesk/triage/feedback"
	"github.com/triagedesk/triage/llm"
	"github.com/triagedesk/triage/pipeline"
	"github.com/triagedesk/triage/redact"
	"github.com/triagedesk/triage/retrieve"
	"github.com/triagedesk/triage/retrieve/memstore"
	"github.com/triagedesk/triage/server"
	"github.com/triagedesk/triage/suggest"
)

// App is the wired service. New gives the taxonomy; the Open methods
// build the parts a command needs; Open builds them all, with the HTTP
// server. Close releases what was opened.
type App struct {
	Config   Config
	Logger   *slog.Logger
	Taxonomy *triage.Taxonomy

	// Model is the trained classifier; Classifier is it behind the LLM
	// when TRIAGE_CLASSIFIER asks for one.
	Model      *classify.Classifier
	Classifier *cascade.Classifier
	// Chat is the chat model (nil: none configured); LLM is what drafts
	// and LLM classification call (Chat, metered when serving).
	Chat *llm.Client
	LLM  LLM

	Index     *retrieve.Index
	StoreDesc string // what the index stores in, for logs
	Drafter   *suggest.Drafter
	Pipeline  *pipeline.Pipeline
	Feedback  feedback.Store
	// Ready reports whether the dependencies answer.
	Ready func(ctx context.Context) error

	Server *server.Server

	db       *database
	embedded []triage.Case // the embedded resolved cases, read once
	closers  []func()
}

// embeddedCases returns the resolved cases shipped in datasets/, read on
// first use.
func (a *App) embeddedCases() ([]triage.Case, error) {
	if a.embedded == nil {
		cs, err := datasets.LoadCases(a.Taxonomy)
		if err != nil {
			return nil, err
		}
		a.embedded = cs
	}
	return a.embedded, nil
}

// LLM is what drafting and LLM-assisted classification need of a chat
// model: *llm.Client, or the server's metered one.
type LLM interface {
	suggest.Generator
	cascade.Chooser
}

// New checks cfg and loads the taxonomy.
func New(cfg Config, logger *slog.Logger) (*App, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	tax, err := datasets.LoadTaxonomy()
	if err != nil {
		return nil, err
	}
	return &App{Config: cfg, Logger: logger, Taxonomy: tax}, nil
}

// Open builds everything serve needs: the classifier (behind the LLM when
// configured), the case index, the drafter, the pipeline, feedback,
// readiness and the HTTP server.
func Open(ctx context.Context, cfg Config, logger *slog.Logger) (*App, error) {
	a, err := New(cfg, logger)
	if err != nil {
		return nil, err
	}
	if err := a.open(ctx); err != nil {
		a.Close()
		return nil, err
	}
	return a, nil
}

func (a *App) open(ctx context.Context) error {
	keys, _ := server.ParseKeys(a.Config.APIKeys) // validated
	scfg := server.Config{
		Addr: a.Config.Addr, Keys: keys, MaxTextBytes: a.Config.MaxTextBytes,
		RequestTimeout: a.Config.RequestTimeout, StreamTimeout: 4 * a.Config.RequestTimeout,
		RateLimit: a.Config.RateLimit, RateBurst: a.Config.RateBurst, SimilarCases: a.Config.SimilarCases,
	}
	scfg.TrustedProxies, _ = server.ParseProxies(a.Config.TrustedProxies) // validated
	if a.Config.ChatModel != "" {
		scfg.StreamTimeout = max(scfg.StreamTimeout, a.Config.LLMTimeout+10*time.Second)
	}
	srv := server.New(scfg, a.Logger)
	if err := a.OpenChat(srv.MeterLLM); err != nil {
		return err
	}
	if err := a.OpenClassifier(ctx); err != nil {
		return err
	}
	// A new PostgreSQL collection gets the local embedder fitted on the
	// embedded cases' texts (not the cases themselves), so the service
	// starts; POST /v1/cases or triage ingest fills it.
	cases, err := a.embeddedCases()
	if err != nil {
		return err
	}
	corpus := make([]string, len(cases))
	for i, c := range cases {
		corpus[i] = c.Text
	}
	if err := a.OpenIndex(ctx, corpus); err != nil {
		return err
	}
	a.OpenDrafter()
	if err := a.OpenFeedback(ctx); err != nil {
		return err
	}
	srv.Taxonomy, srv.Classifier, srv.Index, srv.Drafter = a.Taxonomy, a.Classifier, a.Index, a.Drafter
	srv.Feedback, srv.Ready = a.Feedback, a.Ready
	srv.Build = Build()
	srv.Build.Model = a.Model.Model.Meta.Version
	a.Server = srv
	llmDesc := "none (offline drafts)"
	if a.Chat != nil {
		llmDesc = a.Chat.Model() + " at " + a.Config.OpenAIBaseURL
	}
	a.Logger.Info("triage ready", "model", a.Model.Model.Meta.Version, "cases", a.StoreDesc, "llm", llmDesc, "classifier", a.Config.Classifier, "keys", len(keys))
	return nil
}

// Close releases the stores.
func (a *App) Close() {
	for i := len(a.closers) - 1; i >= 0; i-- {
		a.closers[i]()
	}
	a.closers = nil
}

// Dir returns the data directory (TRIAGE_DATA_DIR, or the user cache
// directory's triage folder).
func (a *App) Dir() (string, error) {
	if a.Config.DataDir != "" {
		return a.Config.DataDir, nil
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return "", invalid("TRIAGE_DATA_DIR", "", "no data directory: set TRIAGE_DATA_DIR (%v)", err)
	}
	return filepath.Join(d, "triage"), nil
}

// OpenChat builds the chat client when a chat model is configured; wrap
// (may be nil) decorates it, e.g. with metrics.
func (a *App) OpenChat(wrap func(*llm.Client) *server.MeteredLLM) error {
	if a.Config.ChatModel == "" || a.Chat != nil {
		return nil
	}
	c, err := llm.New(llm.Options{BaseURL: a.Config.OpenAIBaseURL, APIKey: a.Config.OpenAIAPIKey, Model: a.Config.ChatModel, Timeout: a.Config.LLMTimeout})
	if err != nil {
		return invalid("TRIAGE_CHAT_MODEL", a.Config.ChatModel, "%v", err)
	}
	a.Chat, a.LLM = c, c
	if wrap != nil {
		a.LLM = wrap(c)
	}
	return nil
}

// OpenClassifier builds the model (TRIAGE_MODEL, or the default trained
// from the embedded datasets and cached), the language detector and the
// classifier TRIAGE_CLASSIFIER asks for.
func (a *App) OpenClassifier(ctx context.Context) error {
	if a.Classifier != nil {
		return nil
	}
	if err := a.OpenChat(nil); err != nil {
		return err
	}
	m, err := a.Bundle(ctx)
	if err != nil {
		return err
	}
	det, err := a.Detector()
	if err != nil {
		return err
	}
	a.Model = NewClassifier(det, m, a.Taxonomy)
	a.Classifier, err = a.Cascade(a.Model)
	return err
}

// Cascade puts a local classifier behind the LLM as TRIAGE_CLASSIFIER
// says (local: the model alone).
func (a *App) Cascade(local *classify.Classifier) (*cascade.Classifier, error) {
	if err := a.OpenChat(nil); err != nil {
		return nil, err
	}
	mode, _ := cascade.ParseMode(a.Config.Classifier) // validated
	var chooser cascade.Chooser
	if a.LLM != nil {
		chooser = a.LLM
	}
	return cascade.New(local, chooser, mode, a.Taxonomy, a.Logger)
}

// NewClassifier wires a detector and a model bundle into a classifier.
func NewClassifier(det *classify.Detector, b classify.Bundle, tax *triage.Taxonomy) *classify.Classifier {
	c := classify.NewClassifier(det, b.Scenario, tax)
	if c.Taxonomy != nil {
		c.Severity = b.Severity
	}
	return c
}

// Detector builds the language detector TRIAGE_LANGUAGES and
// TRIAGE_LANG_ACCURACY ask for.
func (a *App) Detector() (*classify.Detector, error) {
	cfg := classify.DetectorConfig{LowAccuracy: a.Config.LangAccuracy == "low"}
	if a.Config.Languages != "" {
		for _, l := range strings.Split(a.Config.Languages, ",") {
			cfg.Languages = append(cfg.Languages, strings.TrimSpace(l))
		}
	}
	start := time.Now()
	det, err := classify.NewDetector(cfg)
	if err != nil {
		return nil, invalid("TRIAGE_LANGUAGES", a.Config.Languages, "%v", err)
	}
	a.Logger.Debug("language detector ready", "languages", len(det.Languages()), "low_accuracy", cfg.LowAccuracy, "took", time.Since(start).Round(time.Millisecond))
	return det, nil
}

// OpenStore opens the configured case store: PostgreSQL when
// DATABASE_URL is set, the embedded store in the data directory
// otherwise.
func (a *App) OpenStore(ctx context.Context) (retrieve.Store, error) {
	if a.Config.DatabaseURL != "" {
		db, err := a.database(ctx)
		if err != nil {
			return nil, err
		}
		s, err := db.cases(ctx, a.Config.Collection)
		if err != nil {
			return nil, err
		}
		a.StoreDesc = "postgres collection " + a.Config.Collection
		return s, nil
	}
	dir, err := a.Dir()
	if err != nil {
		return nil, err
	}
	name := "cases.gob"
	if a.Config.Collection != defaultCollection {
		name = "cases_" + a.Config.Collection + ".gob"
	}
	ms, err := memstore.Open(filepath.Join(dir, name))
	if err != nil {
		return nil, err
	}
	a.StoreDesc = "embedded store " + ms.Path()
	return ms, nil
}

const defaultCollection = "cases"

// OpenIndex opens the store and binds the embedder and the redactor. A new
// embedded default store is first loaded with the embedded resolved
// cases; a new local embedder is fitted on corpus (or on those cases).
func (a *App) OpenIndex(ctx context.Context, corpus []string) error {
	if a.Index != nil {
		return nil
	}
	s, err := a.OpenStore(ctx)
	if err != nil {
		return err
	}
	_, metaErr := s.Meta(ctx)
	seed := errors.Is(metaErr, retrieve.ErrNoCollection) && a.Config.DatabaseURL == "" && a.Config.Collection == defaultCollection
	var seedCases []triage.Case
	if seed {
		if seedCases, err = a.embeddedCases(); err != nil {
			return err
		}
		corpus = nil
		for _, c := range seedCases {
			corpus = append(corpus, c.Text)
		}
	}
	ix, err := a.IndexOn(ctx, s, corpus)
	if err != nil {
		return err
	}
	if seed {
		start := time.Now()
		if err := ix.Add(ctx, seedCases, nil); err != nil {
			return err
		}
		a.Logger.Info("loaded the embedded resolved cases into the store", "cases", len(seedCases), "store", a.StoreDesc, "took", time.Since(start).Round(time.Millisecond))
	}
	a.Index = ix
	return nil
}

// IndexOn binds the configured embedder (fitted on corpus when it is a
// new local one) and the redactor to store s.
func (a *App) IndexOn(ctx context.Context, s retrieve.Store, corpus []string) (*retrieve.Index, error) {
	emb, err := a.Embedder(ctx, s, corpus)
	if err != nil {
		return nil, err
	}
	ix, err := retrieve.NewIndex(ctx, s, emb, redact.Redactor{})
	if err != nil {
		return nil, err
	}
	if _, ok := s.(*memstore.Store); ok {
		ix.BatchSize = 4096 // the embedded store rewrites its file per batch
	}
	return ix, nil
}

// TempStore opens an empty, uniquely named collection in the configured
// store (in memory without DATABASE_URL); drop it when done.
func (a *App) TempStore(ctx context.Context, prefix string) (retrieve.Store, string, error) {
	if a.Config.DatabaseURL == "" {
		ms, err := memstore.Open("")
		return ms, "memory", err
	}
	db, err := a.database(ctx)
	if err != nil {
		return nil, "", err
	}
	s, err := db.cases(ctx, fmt.Sprintf("%s_%d", prefix, time.Now().UnixNano()%1e12))
	return s, "postgres", err
}

// Embedder returns the configured embedder for store s: the endpoint's
// TRIAGE_EMBED_MODEL, or the local embedder s was built with (fitted on
// corpus for a new store).
func (a *App) Embedder(ctx context.Context, s retrieve.Store, corpus []string) (retrieve.Embedder, error) {
	if a.Config.EmbedModel != "" {
		dims := 0
		if m, err := s.Meta(ctx); err == nil {
			dims = m.Dimensions
		}
		return llm.NewEmbedder(llm.EmbedderOptions{BaseURL: a.Config.OpenAIBaseURL, APIKey: a.Config.OpenAIAPIKey, Model: a.Config.EmbedModel, Dimensions: dims})
	}
	lex, err := datasets.LoadLexicon()
	if err != nil {
		return nil, err
	}
	l, err := retrieve.LocalFor(ctx, s, corpus, retrieve.LocalOptions{Lexicon: lex.Concepts})
	if errors.Is(err, retrieve.ErrEmbedderMismatch) {
		return nil, fmt.Errorf("%w (set TRIAGE_EMBED_MODEL to that model, or TRIAGE_COLLECTION to another collection)", err)
	}
	return l, err
}

// OpenDrafter builds the drafter (the LLM when configured, offline
// otherwise) and the pipeline.
func (a *App) OpenDrafter() {
	var gen suggest.Generator
	if a.LLM != nil {
		gen = a.LLM
	}
	a.Drafter = suggest.New(a.Taxonomy, gen, a.Logger)
	a.Drafter.MaxCases, a.Drafter.MinScore = a.Config.SimilarCases, a.Config.MinCaseScore
	a.Pipeline = &pipeline.Pipeline{Classifier: a.Classifier, Cases: a.Index, Drafter: a.Drafter, SimilarCases: a.Config.SimilarCases}
}

// OpenFeedback opens the feedback store beside the cases (PostgreSQL, or
// a JSONL file in the data directory) and sets Ready.
func (a *App) OpenFeedback(ctx context.Context) error {
	if a.Config.DatabaseURL != "" {
		db, err := a.database(ctx)
		if err != nil {
			return err
		}
		if a.Feedback, err = db.feedback(ctx); err != nil {
			return err
		}
		a.Ready = db.ping
		return nil
	}
	dir, err := a.Dir()
	if err != nil {
		return err
	}
	fs, err := feedback.OpenFile(filepath.Join(dir, "feedback.jsonl"))
	if err != nil {
		return err
	}
	a.Feedback, a.Ready = fs, fs.Ping
	return nil
}
