package postgres

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"text/template"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/pgvector/pgvector-go"

	"github.com/triagedesk/triage"
	"github.com/triagedesk/triage/retrieve"
)

//go:embed collection.sql.tmpl
var collectionSQL string

var collectionTmpl = template.Must(template.New("collection").Parse(collectionSQL))

// DefaultCollection is the collection the service uses.
const DefaultCollection = "cases"

var validName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)

// ErrCollectionName is returned (wrapped) for a collection name that is
// not a plain identifier.
var ErrCollectionName = triage.NewError(triage.EINVALID, "invalid collection name")

// CaseStore is one collection of cases in PostgreSQL: a table (id, text,
// lang, scenario, severity, queue, channel, resolution, reply,
// compensation jsonb, resolved_at, embedder version, halfvec embedding)
// with an HNSW cosine index, a B-tree on the filter columns and joint
// statistics on them. Search returns the true top k at any filter
// selectivity: when the planner estimates few matching rows it scores
// them all exactly; otherwise it walks the HNSW index with pgvector's
// iterative scan.
//
// A CaseStore implements [retrieve.Store] and [retrieve.BulkLoader]. It
// is safe for concurrent use, and works until its DB is closed.
type CaseStore struct {
	db    *DB
	name  string // collection name
	table string // sanitized identifier
	raw   string // unquoted table name
	dims  int
	// version is the collection's embedder version, cached with dims
	// (written beside every row).
	version string
}

var (
	_ retrieve.Store      = (*CaseStore)(nil)
	_ retrieve.BulkLoader = (*CaseStore)(nil)
)

// Cases returns the collection named collection (DefaultCollection when
// ""): lower-case letters, digits and underscores, at most 40, starting
// with a letter. Its table is created by the first SetMeta.
func (db *DB) Cases(ctx context.Context, collection string) (*CaseStore, error) {
	if collection == "" {
		collection = DefaultCollection
	}
	if !validName.MatchString(collection) {
		return nil, fmt.Errorf("postgres: %w %q: use lower-case letters, digits and _", ErrCollectionName, collection)
	}
	raw := "cases"
	if collection != DefaultCollection {
		raw = "cases_" + collection
	}
	s := &CaseStore{db: db, name: collection, raw: raw, table: pgx.Identifier{raw}.Sanitize()}
	if m, err := s.Meta(ctx); err == nil {
		s.dims, s.version = m.Dimensions, m.EmbedderVersion
	} else if !errors.Is(err, retrieve.ErrNoCollection) {
		return nil, err
	}
	return s, nil
}

// Collection returns the collection's name.
func (s *CaseStore) Collection() string { return s.name }

// Meta returns the collection's embedder record.
func (s *CaseStore) Meta(ctx context.Context) (retrieve.Meta, error) {
	var m retrieve.Meta
	err := s.db.pool.QueryRow(ctx, `SELECT embedder_version, dimensions, coalesce(embedder_state, ''::bytea)
		FROM triage_collections WHERE name = $1`, s.name).Scan(&m.EmbedderVersion, &m.Dimensions, &m.EmbedderState)
	if errors.Is(err, pgx.ErrNoRows) {
		return retrieve.Meta{}, retrieve.ErrNoCollection
	}
	if err != nil {
		return retrieve.Meta{}, fmt.Errorf("postgres: %w", err)
	}
	return m, nil
}

// SetMeta creates the collection table for an embedder.
func (s *CaseStore) SetMeta(ctx context.Context, m retrieve.Meta) error {
	if m.Dimensions <= 0 || m.Dimensions > 4000 {
		return triage.Errorf(triage.EINVALID, "postgres: dimensions must be 1..4000 for a halfvec HNSW index, got %d", m.Dimensions)
	}
	var ddl strings.Builder
	if err := collectionTmpl.Execute(&ddl, map[string]any{"Table": s.table, "Prefix": s.raw, "Dims": m.Dimensions, "IndexParams": hnswParams}); err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	err := pgx.BeginFunc(ctx, s.db.pool, func(tx pgx.Tx) error {
		var cur retrieve.Meta
		err := tx.QueryRow(ctx, `SELECT embedder_version, dimensions FROM triage_collections WHERE name = $1 FOR UPDATE`, s.name).Scan(&cur.EmbedderVersion, &cur.Dimensions)
		switch {
		case err == nil:
			if cur.EmbedderVersion != m.EmbedderVersion || cur.Dimensions != m.Dimensions {
				return fmt.Errorf("%w: stored %s (%d dims), given %s (%d dims)", retrieve.ErrEmbedderMismatch, cur.EmbedderVersion, cur.Dimensions, m.EmbedderVersion, m.Dimensions)
			}
			return nil
		case !errors.Is(err, pgx.ErrNoRows):
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO triage_collections (name, table_name, embedder_version, dimensions, embedder_state) VALUES ($1, $2, $3, $4, $5)`,
			s.name, s.raw, m.EmbedderVersion, m.Dimensions, m.EmbedderState); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, ddl.String())
		return err
	})
	if err != nil {
		if errors.Is(err, retrieve.ErrEmbedderMismatch) {
			return err
		}
		return fmt.Errorf("postgres: create collection %s: %w", s.name, err)
	}
	s.dims, s.version = m.Dimensions, m.EmbedderVersion
	return nil
}

// hnswParams are the HNSW build parameters of every collection.
const hnswParams = "WITH (m = 24, ef_construction = 200)"

var columns = []string{"id", "text", "lang", "scenario", "severity", "queue", "channel", "resolution", "reply", "compensation", "resolved_at", "embedder_version", "embedding"}

// Upsert writes records through COPY into a temporary staging table, then
// one INSERT … ON CONFLICT (id) DO UPDATE: idempotent, and fast for bulk
// ingest. Within one call the last record with an id wins.
func (s *CaseStore) Upsert(ctx context.Context, recs []retrieve.Record) error {
	if s.dims == 0 {
		return retrieve.ErrNoCollection
	}
	last := map[string]int{}
	for i, r := range recs {
		if err := retrieve.CheckRecord(r, s.dims); err != nil {
			return err
		}
		last[r.ID] = i
	}
	rows := make([][]any, 0, len(last))
	for i, r := range recs {
		if last[r.ID] != i {
			continue
		}
		var comp any
		if r.Compensation != nil {
			b, _ := json.Marshal(r.Compensation)
			comp = string(b)
		}
		var resolved any
		if !r.ResolvedAt.IsZero() {
			resolved = r.ResolvedAt
		}
		rows = append(rows, []any{r.ID, r.Text, r.Lang, r.Scenario, int16(r.Severity), r.Queue, r.Channel, r.Resolution, r.Reply,
			comp, resolved, s.version, pgvector.NewHalfVector(r.Vector)})
	}
	staging := pgx.Identifier{"staging_" + s.raw}
	set := make([]string, 0, len(columns)-1)
	for _, c := range columns[1:] {
		set = append(set, c+" = excluded."+c)
	}
	err := pgx.BeginFunc(ctx, s.db.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, fmt.Sprintf("CREATE TEMP TABLE %s (LIKE %s INCLUDING DEFAULTS) ON COMMIT DROP", staging.Sanitize(), s.table)); err != nil {
			return err
		}
		if _, err := tx.CopyFrom(ctx, staging, columns, pgx.CopyFromRows(rows)); err != nil {
			return err
		}
		// Rows that did not change are left alone: re-ingesting a file
		// costs no index maintenance (the embedding follows from the text
		// and the embedder version).
		cmp := columns[1 : len(columns)-1]
		// ORDER BY id: concurrent batches that share rows lock them in
		// the same order, so they queue instead of deadlocking.
		_, err := tx.Exec(ctx, fmt.Sprintf("INSERT INTO %s AS t (%s) SELECT %s FROM %s ORDER BY id ON CONFLICT (id) DO UPDATE SET %s WHERE (t.%s) IS DISTINCT FROM (excluded.%s)",
			s.table, strings.Join(columns, ", "), strings.Join(columns, ", "), staging.Sanitize(), strings.Join(set, ", "),
			strings.Join(cmp, ", t."), strings.Join(cmp, ", excluded.")))
		return err
	})
	if err != nil {
		return dbError("upsert", err)
	}
	if len(rows) >= 1000 {
		// Fresh statistics keep the search-path choice right after bulk loads.
		if _, err := s.db.pool.Exec(ctx, "ANALYZE "+s.table); err != nil {
			return fmt.Errorf("postgres: analyze: %w", err)
		}
	}
	return nil
}

// Search returns the true top k by cosine similarity (see the package
// comment for how the path is chosen).
func (s *CaseStore) Search(ctx context.Context, query []float32, k int, f retrieve.Filter) ([]retrieve.Result, error) {
	if s.dims == 0 {
		return nil, retrieve.ErrNoCollection
	}
	if err := retrieve.CheckSearch(query, k, s.dims); err != nil {
		return nil, err
	}
	var nonzero bool
	for _, x := range query {
		if x != 0 {
			nonzero = true
			break
		}
	}
	if !nonzero {
		return nil, retrieve.ErrEmptyQuery
	}
	where, args := filterSQL(f, 2)
	exact := false
	if where != "" {
		est, err := s.estimate(ctx, where, args)
		if err != nil {
			return nil, err
		}
		exact = s.db.opt.ExactThreshold >= 0 && est <= s.db.opt.ExactThreshold
	}
	q := pgvector.NewHalfVector(query)
	cols := "id, text, lang, scenario, severity, queue, channel, resolution, reply, compensation, resolved_at, 1 - (embedding <=> $1) AS score"
	var sql string
	if exact {
		// OFFSET 0 keeps the subquery from being flattened, so the
		// planner cannot swap in the HNSW index: every matching row is
		// scored.
		sql = fmt.Sprintf("SELECT %s FROM (SELECT * FROM %s WHERE %s OFFSET 0) m ORDER BY embedding <=> $1, id LIMIT %d", cols, s.table, where, k)
	} else {
		sql = fmt.Sprintf("SELECT %s FROM %s %s ORDER BY embedding <=> $1 LIMIT %d", cols, s.table, whereClause(where), k)
	}
	// Everything that needs its own query runs before the transaction
	// takes its connection: a search holds one connection at a time, so a
	// full pool of searches never waits on itself.
	ef := 0
	if !exact {
		ef = max(s.efSearch(ctx), 2*k)
	}
	var out []retrieve.Result
	err := pgx.BeginTxFunc(ctx, s.db.pool, pgx.TxOptions{AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		if !exact {
			if _, err := tx.Exec(ctx, "SELECT set_config('hnsw.ef_search', $1, true)", strconv.Itoa(ef)); err != nil {
				return err
			}
			if where != "" {
				// pgvector ≥ 0.8: keep scanning the graph until k rows pass the filter.
				if _, err := tx.Exec(ctx, "SELECT set_config('hnsw.iterative_scan', 'strict_order', true), set_config('hnsw.max_scan_tuples', '1000000', true)"); err != nil {
					return err
				}
			}
		}
		rows, err := tx.Query(ctx, sql, append([]any{q}, args...)...)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, scanResult)
		return err
	})
	if err != nil {
		return nil, dbError("search", err)
	}
	if out == nil {
		out = []retrieve.Result{}
	}
	return out, nil
}

func scanResult(row pgx.CollectableRow) (retrieve.Result, error) {
	var (
		r        retrieve.Result
		severity int16
		comp     []byte
		resolved *time.Time
	)
	err := row.Scan(&r.ID, &r.Text, &r.Lang, &r.Scenario, &severity, &r.Queue, &r.Channel, &r.Resolution, &r.Reply, &comp, &resolved, &r.Score)
	if err != nil {
		return r, err
	}
	r.Severity = int(severity)
	if resolved != nil {
		r.ResolvedAt = resolved.UTC()
	}
	if len(comp) > 0 {
		var c triage.Compensation
		if err := json.Unmarshal(comp, &c); err == nil {
			r.Compensation = &c
		}
	}
	return r, nil
}

func filterSQL(f retrieve.Filter, next int) (string, []any) {
	var conds []string
	var args []any
	if f.Scenario != "" {
		conds = append(conds, fmt.Sprintf("scenario = $%d", next))
		args = append(args, f.Scenario)
		next++
	}
	if f.Lang != "" {
		conds = append(conds, fmt.Sprintf("lang = $%d", next))
		args = append(args, f.Lang)
	}
	return strings.Join(conds, " AND "), args
}

func whereClause(where string) string {
	if where == "" {
		return ""
	}
	return "WHERE " + where
}

// efSearch is the configured ef_search, or one sized to the table from
// its statistics (pg_class.reltuples).
func (s *CaseStore) efSearch(ctx context.Context) int {
	if s.db.opt.EfSearch > 0 {
		return s.db.opt.EfSearch
	}
	var rows float64
	if err := s.db.pool.QueryRow(ctx, "SELECT reltuples FROM pg_class WHERE oid = $1::regclass", s.raw).Scan(&rows); err != nil || rows <= 200_000 {
		return 200
	}
	return 400
}

// estimate asks the planner how many rows match the filter; its
// statistics (and the joint statistics on scenario, lang) answer in well
// under a millisecond, without scanning.
func (s *CaseStore) estimate(ctx context.Context, where string, args []any) (int, error) {
	// The filter's placeholders start at $2; renumber them from $1.
	w := where
	for i := range args {
		w = strings.Replace(w, fmt.Sprintf("$%d", i+2), fmt.Sprintf("$%d", i+1), 1)
	}
	var plan []byte
	err := s.db.pool.QueryRow(ctx, fmt.Sprintf("EXPLAIN (FORMAT JSON) SELECT 1 FROM %s WHERE %s", s.table, w), args...).Scan(&plan)
	if err != nil {
		return 0, dbError("estimate", err)
	}
	var p []struct {
		Plan struct {
			Rows float64 `json:"Plan Rows"`
		} `json:"Plan"`
	}
	if err := json.Unmarshal(plan, &p); err != nil || len(p) == 0 {
		return 0, fmt.Errorf("postgres: estimate: unexpected plan %s", plan)
	}
	return int(p[0].Plan.Rows), nil
}

// Get returns the case stored under id.
func (s *CaseStore) Get(ctx context.Context, id string) (triage.Case, error) {
	if s.dims == 0 {
		return triage.Case{}, retrieve.ErrNotFound
	}
	rows, err := s.db.pool.Query(ctx, "SELECT id, text, lang, scenario, severity, queue, channel, resolution, reply, compensation, resolved_at, 1.0::float8 AS score FROM "+s.table+" WHERE id = $1", id)
	if err != nil {
		return triage.Case{}, dbError("get", err)
	}
	r, err := pgx.CollectExactlyOneRow(rows, scanResult)
	if errors.Is(err, pgx.ErrNoRows) {
		return triage.Case{}, retrieve.ErrNotFound
	}
	if err != nil {
		return triage.Case{}, dbError("get", err)
	}
	return r.Case, nil
}

// Delete removes the case stored under id.
func (s *CaseStore) Delete(ctx context.Context, id string) error {
	if s.dims == 0 {
		return retrieve.ErrNotFound
	}
	tag, err := s.db.pool.Exec(ctx, "DELETE FROM "+s.table+" WHERE id = $1", id)
	if err != nil {
		return dbError("delete", err)
	}
	if tag.RowsAffected() == 0 {
		return retrieve.ErrNotFound
	}
	return nil
}

// Count returns the number of records.
func (s *CaseStore) Count(ctx context.Context) (int, error) {
	if s.dims == 0 {
		return 0, nil
	}
	var n int
	if err := s.db.pool.QueryRow(ctx, "SELECT count(*) FROM "+s.table).Scan(&n); err != nil {
		return 0, fmt.Errorf("postgres: %w", err)
	}
	return n, nil
}

// Drop removes the collection's table and record.
func (s *CaseStore) Drop(ctx context.Context) error {
	err := pgx.BeginFunc(ctx, s.db.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "DROP TABLE IF EXISTS "+s.table); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, "DELETE FROM triage_collections WHERE name = $1", s.name)
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: drop: %w", err)
	}
	s.dims, s.version = 0, ""
	return nil
}

// BulkLoad loads many records into an empty collection quickly: the HNSW
// index is dropped, the rows are copied in, and the index is rebuilt once
// (pgvector builds an index far faster than it grows one row by row).
// On a collection that already has rows it is Upsert.
func (s *CaseStore) BulkLoad(ctx context.Context, recs []retrieve.Record) error {
	n, err := s.Count(ctx)
	if err != nil {
		return err
	}
	if n > 0 || len(recs) < 1_000 {
		return s.Upsert(ctx, recs)
	}
	index := pgx.Identifier{s.raw + "_embedding_hnsw"}.Sanitize()
	if _, err := s.db.pool.Exec(ctx, "DROP INDEX IF EXISTS "+index); err != nil {
		return fmt.Errorf("postgres: bulk load: %w", err)
	}
	for start := 0; start < len(recs); start += 50_000 {
		if err := s.Upsert(ctx, recs[start:min(start+50_000, len(recs))]); err != nil {
			return err
		}
	}
	if err := s.buildIndex(ctx, index); err != nil {
		return err
	}
	if _, err := s.db.pool.Exec(ctx, "ANALYZE "+s.table); err != nil {
		return fmt.Errorf("postgres: bulk load: analyze: %w", err)
	}
	return nil
}

// buildIndex creates the HNSW index with a large maintenance_work_mem on
// one connection, and resets it before the connection goes back to the pool.
func (s *CaseStore) buildIndex(ctx context.Context, index string) error {
	conn, err := s.db.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("postgres: bulk load: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SET maintenance_work_mem = '2GB'"); err != nil {
		return fmt.Errorf("postgres: bulk load: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), "RESET maintenance_work_mem")
	if _, err := conn.Exec(ctx, fmt.Sprintf("CREATE INDEX %s ON %s USING hnsw (embedding halfvec_cosine_ops) %s", index, s.table, hnswParams)); err != nil {
		return fmt.Errorf("postgres: bulk load: build index: %w", err)
	}
	return nil
}
