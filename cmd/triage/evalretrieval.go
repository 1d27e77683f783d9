package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/triagedesk/triage"
	"github.com/triagedesk/triage/datasets"
	"github.com/triagedesk/triage/eval"
	"github.com/triagedesk/triage/redact"
	"github.com/triagedesk/triage/retrieve"
	"github.com/triagedesk/triage/retrieve/memstore"
	"github.com/triagedesk/triage/retrieve/pgstore"
)

func (a *app) evalRetrievalCommand() *cobra.Command {
	var f storeFlags
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
			return a.evalRetrieval(cmd.Context(), &f, pairsPath, out)
		},
	}
	a.addStoreFlags(cmd, &f)
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

func (a *app) evalRetrieval(ctx context.Context, f *storeFlags, pairsPath, out string) error {
	pairs, err := readPairs(pairsPath)
	if err != nil {
		return err
	}
	ids, texts := eval.Documents(pairs)
	if len(ids) == 0 {
		return fmt.Errorf("%s: no positive pairs (label 1)", pairsPath)
	}
	// A temporary, isolated collection, removed afterwards.
	var store retrieve.Store
	storeDesc := "memory"
	if f.databaseURL != "" {
		name := fmt.Sprintf("eval_%d", time.Now().UnixNano()%1e12)
		ps, err := pgstore.Open(ctx, f.databaseURL, pgstore.Options{Collection: name, Logger: a.logger})
		if err != nil {
			return err
		}
		defer ps.Close()
		store, storeDesc = ps, "postgres"
	} else {
		ms, _ := memstore.Open("")
		store = ms
	}
	defer store.Drop(context.WithoutCancel(ctx))

	emb, err := a.embedder(ctx, store, f, texts)
	if err != nil {
		return err
	}
	ix, err := retrieve.NewIndex(ctx, store, emb, redact.Redactor{})
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
		return exactTop(q[0], ids, vecs, k), nil
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

// exactTop scores every vector: the reference the index is measured against.
func exactTop(q []float32, ids []string, vecs [][]float32, k int) []string {
	type s struct {
		i     int
		score float64
	}
	all := make([]s, len(vecs))
	var qn float64
	for _, x := range q {
		qn += float64(x) * float64(x)
	}
	for i, v := range vecs {
		var d, vn float64
		for j := range v {
			d += float64(q[j]) * float64(v[j])
			vn += float64(v[j]) * float64(v[j])
		}
		all[i] = s{i, d / math.Sqrt(qn*vn+1e-30)}
	}
	sort.Slice(all, func(a, b int) bool {
		if all[a].score != all[b].score {
			return all[a].score > all[b].score
		}
		return ids[all[a].i] < ids[all[b].i]
	})
	out := make([]string, 0, k)
	for _, x := range all[:min(k, len(all))] {
		out = append(out, ids[x.i])
	}
	return out
}
