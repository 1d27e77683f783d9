package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/triagedesk/triage"
	"github.com/triagedesk/triage/datasets"
	"github.com/triagedesk/triage/eval"
	"github.com/triagedesk/triage/internal/app"
	"github.com/triagedesk/triage/retrieve"
)

func (a *tool) evalRetrievalCommand() *cobra.Command {
	var pairsPath, out string
	cmd := &cobra.Command{
		Use:   "retrieval --pairs FILE [--out DIR]",
		Short: "Evaluate similar-case search on paraphrase pairs (recall@k, MRR, index vs exact)",
		Long: `Evaluate similar-case search on paraphrase pairs (JSONL: text_a, text_b,
label; 1 = same meaning). Every positive text_b goes into a temporary
collection of the configured store (PostgreSQL when DATABASE_URL is set,
else in memory), removed afterwards; every positive text_a is a query whose
answer is its own text_b. Reports recall@1/5/10, MRR and index_recall_at_10
(the store's results against exact search over the same vectors).`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.evalRetrieval(cmd.Context(), pairsPath, out)
		},
	}
	a.cfg.Flags(cmd.Flags(), app.GroupCases, app.GroupLLM, app.GroupLog)
	cmd.Flags().StringVar(&pairsPath, "pairs", "", "paraphrase pairs JSONL (text_a, text_b, label)")
	cmd.Flags().StringVar(&out, "out", "", "directory for report.json")
	cmd.MarkFlagRequired("pairs")
	return cmd
}

func readPairs(path string) ([]eval.Pair, error) {
	file, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	var pairs []eval.Pair
	err = datasets.EachLine(file, path, func(line int, data []byte, err error) error {
		if err != nil {
			return err
		}
		var p eval.Pair
		if err := json.Unmarshal(data, &p); err != nil {
			return &datasets.LineError{File: path, Line: line, Err: fmt.Errorf("%w: %v", datasets.ErrSyntax, err)}
		}
		if p.Label == 1 && (strings.TrimSpace(p.TextA) == "" || strings.TrimSpace(p.TextB) == "") {
			return &datasets.LineError{File: path, Line: line, Err: fmt.Errorf("%w: a positive pair needs text_a and text_b", datasets.ErrSchema)}
		}
		pairs = append(pairs, p)
		return nil
	})
	return pairs, err
}

func (a *tool) evalRetrieval(ctx context.Context, pairsPath, out string) error {
	pairs, err := readPairs(pairsPath)
	if err != nil {
		return err
	}
	ids, texts := eval.Documents(pairs)
	if len(ids) == 0 {
		return fmt.Errorf("%s: no positive pairs (label 1)", pairsPath)
	}
	ap, err := a.open()
	if err != nil {
		return err
	}
	defer ap.Close()
	// A temporary, isolated collection, removed afterwards.
	store, storeDesc, err := ap.TempStore(ctx, "eval")
	if err != nil {
		return err
	}
	defer store.Drop(context.WithoutCancel(ctx))
	// Every text is embedded through the index, which redacts it first.
	ix, err := ap.IndexOn(ctx, store, texts)
	if err != nil {
		return err
	}
	start := time.Now()
	docs := make([]triage.Case, len(ids))
	for i := range ids {
		docs[i] = triage.Case{Complaint: triage.Complaint{ID: ids[i], Text: texts[i]}}
	}
	if err := ix.Add(ctx, docs, nil); err != nil {
		return err
	}
	// The exact reference scores the same (redacted) vectors the index holds.
	vecs, err := ix.Embed(ctx, texts)
	if err != nil {
		return err
	}
	recs := make([]retrieve.Record, len(ids))
	for i := range ids {
		recs[i] = retrieve.Record{Case: docs[i], Vector: vecs[i]}
	}
	ingest := time.Since(start)
	index := searcherFunc(func(ctx context.Context, text string, k int) ([]string, error) {
		res, err := ix.Search(ctx, text, k, retrieve.Filter{})
		if err != nil {
			return nil, err
		}
		out := make([]string, len(res))
		for i, r := range res {
			out[i] = r.ID
		}
		return out, nil
	})
	exact := searcherFunc(func(ctx context.Context, text string, k int) ([]string, error) {
		q, err := ix.Embed(ctx, []string{text})
		if err != nil {
			return nil, err
		}
		return retrieve.ExactTopK(recs, q[0], k, retrieve.Filter{}), nil
	})
	r, err := eval.Retrieval(ctx, pairs, index, exact)
	if err != nil {
		return err
	}
	r.Store, r.Embedder, r.Documents, r.IngestSeconds = storeDesc, ix.EmbedderVersion(), len(ids), float64(int(ingest.Seconds()*100))/100
	r.Command = "triage " + strings.Join(a.args, " ")
	r.CreatedAt = time.Now().UTC().Format(time.RFC3339)
	if out != "" {
		if err := os.MkdirAll(out, 0o755); err != nil {
			return err
		}
		b, _ := json.MarshalIndent(r, "", "  ")
		if err := os.WriteFile(filepath.Join(out, "report.json"), append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	r.WriteSummary(a.stdout)
	return nil
}

type searcherFunc func(ctx context.Context, text string, k int) ([]string, error)

func (f searcherFunc) Search(ctx context.Context, text string, k int) ([]string, error) {
	return f(ctx, text, k)
}
