// Package pgstore is the PostgreSQL + pgvector case store. Each collection
// is one table (id, text, lang, scenario, severity, queue, channel,
// resolution, reply, compensation jsonb, resolved_at, embedder version,
// halfvec embedding) with an HNSW cosine index, a B-tree on the filter
// columns and joint statistics on them. Search returns the true top k at
// any filter selectivity: when the planner estimates few matching rows it
// scores them all exactly; otherwise it walks the HNSW index with
// pgvector's iterative scan.
package pgstore

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"text/template"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/pgvector/pgvector-go"
	pgxvec "github.com/pgvector/pgvector-go/pgx"

	"github.com/triagedesk/triage"
	"github.com/triagedesk/triage/retrieve"
)

//go:embed migrations/*.sql
var migrations embed.FS

//go:embed collection.sql.tmpl
var collectionSQL string

var collectionTmpl = template.Must(template.New("collection").Parse(collectionSQL))

// Options configure a store.
type Options struct {
	// Collection names the set of cases (default "cases"): lower-case
	// letters, digits and underscores.
	Collection string
	// ExactThreshold: a filtered search the planner expects to match at
	// most this many rows is answered by exact search (default 20,000).
	ExactThreshold int
	// EfSearch is the HNSW candidate list size (default: 200 up to
	// 200,000 rows, 400 above, where the graph needs a wider search to keep
	// recall@10 ≥ 0.95).
	EfSearch int
	// Logger receives slow-path and migration messages (default: discard).
	Logger *slog.Logger
}

// Store is a collection in PostgreSQL. It is safe for concurrent use.
type Store struct {
	pool  *pgxpool.Pool
	opt   Options
	table string // sanitized identifier
	raw   string // unquoted table name
	log   *slog.Logger
	dims  int
	// version is the collection's embedder version, cached with dims
	// (written beside every row).
	version string
}

// DefaultCollection is the collection the service uses.
const DefaultCollection = "cases"

var validName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)

// ErrCollectionName is returned for a collection name that is not a
// plain identifier.
var ErrCollectionName = errors.New("invalid collection name")

// Open connects, applies the migrations and returns the collection. The
// store owns its pool; Close releases it.
func Open(ctx context.Context, url string, opt Options) (*Store, error) {
	if opt.Collection == "" {
		opt.Collection = DefaultCollection
	}
	if !validName.MatchString(opt.Collection) {
		return nil, fmt.Errorf("%w %q: use lower-case letters, digits and _", ErrCollectionName, opt.Collection)
	}
	if opt.ExactThreshold == 0 {
		opt.ExactThreshold = 20_000
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if err := migrate(ctx, url, opt.Logger); err != nil {
		return nil, err
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("pgstore: %w", err)
	}
	cfg.AfterConnect = func(ctx context.Context, conn *pgx.Conn) error {
		return pgxvec.RegisterTypes(ctx, conn)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("pgstore: %w", err)
	}
	raw := "cases"
	if opt.Collection != DefaultCollection {
		raw = "cases_" + opt.Collection
	}
	s := &Store{pool: pool, opt: opt, raw: raw, table: pgx.Identifier{raw}.Sanitize(), log: opt.Logger}
	if m, err := s.Meta(ctx); err == nil {
		s.dims, s.version = m.Dimensions, m.EmbedderVersion
	} else if !errors.Is(err, retrieve.ErrNoCollection) {
		pool.Close()
		return nil, err
	}
	return s, nil
}

// Close releases the connection pool.
func (s *Store) Close() { s.pool.Close() }

// Pool exposes the pool, for health checks.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// migrate applies the embedded migrations in order, each once, under an
// advisory lock so concurrent starts do not race.
func migrate(ctx context.Context, url string, log *slog.Logger) error {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return fmt.Errorf("pgstore: connect: %w", err)
	}
	defer conn.Close(context.Background())
	const lockID = 7_241_113_001
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", lockID); err != nil {
		return fmt.Errorf("pgstore: migration lock: %w", err)
	}
	defer conn.Exec(context.Background(), "SELECT pg_advisory_unlock($1)", lockID)
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS triage_schema_migrations (
		version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return fmt.Errorf("pgstore: %w", err)
	}
	names, _ := fs.Glob(migrations, "migrations/*.sql")
	sort.Strings(names)
	for _, name := range names {
		base := strings.TrimPrefix(name, "migrations/")
		version, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
		if err != nil {
			return fmt.Errorf("pgstore: migration %s: no version prefix", base)
		}
		var done bool
		if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM triage_schema_migrations WHERE version = $1)", version).Scan(&done); err != nil {
			return fmt.Errorf("pgstore: %w", err)
		}
		if done {
			continue
		}
		body, _ := migrations.ReadFile(name)
		err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, string(body)); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, "INSERT INTO triage_schema_migrations (version, name) VALUES ($1, $2)", version, base)
			return err
		})
		if err != nil {
			return fmt.Errorf("pgstore: migration %s: %w", base, err)
		}
		log.Info("applied migration", "migration", base)
	}
	return nil
}

// Meta returns the collection's embedder record.
func (s *Store) Meta(ctx context.Context) (retrieve.Meta, error) {
	var m retrieve.Meta
	err := s.pool.QueryRow(ctx, `SELECT embedder_version, dimensions, coalesce(embedder_state, ''::bytea)
		FROM triage_collections WHERE name = $1`, s.opt.Collection).Scan(&m.EmbedderVersion, &m.Dimensions, &m.EmbedderState)
	if errors.Is(err, pgx.ErrNoRows) {
		return retrieve.Meta{}, retrieve.ErrNoCollection
	}
	if err != nil {
		return retrieve.Meta{}, fmt.Errorf("pgstore: %w", err)
	}
	return m, nil
}

// SetMeta creates the collection table for an embedder.
func (s *Store) SetMeta(ctx context.Context, m retrieve.Meta) error {
	if m.Dimensions <= 0 || m.Dimensions > 4000 {
		return fmt.Errorf("pgstore: dimensions must be 1..4000 for a halfvec HNSW index, got %d", m.Dimensions)
	}
	var ddl strings.Builder
	if err := collectionTmpl.Execute(&ddl, map[string]any{"Table": s.table, "Prefix": s.raw, "Dims": m.Dimensions, "IndexParams": hnswParams}); err != nil {
		return fmt.Errorf("pgstore: %w", err)
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var cur retrieve.Meta
		err := tx.QueryRow(ctx, `SELECT embedder_version, dimensions FROM triage_collections WHERE name = $1 FOR UPDATE`, s.opt.Collection).Scan(&cur.EmbedderVersion, &cur.Dimensions)
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
			s.opt.Collection, s.raw, m.EmbedderVersion, m.Dimensions, m.EmbedderState); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, ddl.String())
		return err
	})
	if err != nil {
		if errors.Is(err, retrieve.ErrEmbedderMismatch) {
			return err
		}
		return fmt.Errorf("pgstore: create collection %s: %w", s.opt.Collection, err)
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
func (s *Store) Upsert(ctx context.Context, recs []retrieve.Record) error {
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
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
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
		_, err := tx.Exec(ctx, fmt.Sprintf("INSERT INTO %s AS t (%s) SELECT %s FROM %s ON CONFLICT (id) DO UPDATE SET %s WHERE (t.%s) IS DISTINCT FROM (excluded.%s)",
			s.table, strings.Join(columns, ", "), strings.Join(columns, ", "), staging.Sanitize(), strings.Join(set, ", "),
			strings.Join(cmp, ", t."), strings.Join(cmp, ", excluded.")))
		return err
	})
	if err != nil {
		return fmt.Errorf("pgstore: upsert: %w", err)
	}
	if len(rows) >= 1000 {
		// Fresh statistics keep the search-path choice right after bulk loads.
		if _, err := s.pool.Exec(ctx, "ANALYZE "+s.table); err != nil {
			return fmt.Errorf("pgstore: analyze: %w", err)
		}
	}
	return nil
}

// Search returns the true top k by cosine similarity (see the package
// comment for how the path is chosen).
func (s *Store) Search(ctx context.Context, query []float32, k int, f retrieve.Filter) ([]retrieve.Result, error) {
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
		exact = s.opt.ExactThreshold >= 0 && est <= s.opt.ExactThreshold
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
	var out []retrieve.Result
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		if !exact {
			ef := max(s.efSearch(ctx), 2*k)
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
		return nil, fmt.Errorf("pgstore: search: %w", err)
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
func (s *Store) efSearch(ctx context.Context) int {
	if s.opt.EfSearch > 0 {
		return s.opt.EfSearch
	}
	var rows float64
	if err := s.pool.QueryRow(ctx, "SELECT reltuples FROM pg_class WHERE oid = $1::regclass", s.raw).Scan(&rows); err != nil || rows <= 200_000 {
		return 200
	}
	return 400
}

// estimate asks the planner how many rows match the filter; its
// statistics (and the joint statistics on scenario, lang) answer in well
// under a millisecond, without scanning.
func (s *Store) estimate(ctx context.Context, where string, args []any) (int, error) {
	// The filter's placeholders start at $2; renumber them from $1.
	w := where
	for i := range args {
		w = strings.Replace(w, fmt.Sprintf("$%d", i+2), fmt.Sprintf("$%d", i+1), 1)
	}
	var plan []byte
	err := s.pool.QueryRow(ctx, fmt.Sprintf("EXPLAIN (FORMAT JSON) SELECT 1 FROM %s WHERE %s", s.table, w), args...).Scan(&plan)
	if err != nil {
		return 0, fmt.Errorf("pgstore: estimate: %w", err)
	}
	var p []struct {
		Plan struct {
			Rows float64 `json:"Plan Rows"`
		} `json:"Plan"`
	}
	if err := json.Unmarshal(plan, &p); err != nil || len(p) == 0 {
		return 0, fmt.Errorf("pgstore: estimate: unexpected plan %s", plan)
	}
	return int(p[0].Plan.Rows), nil
}

// Get returns the case stored under id.
func (s *Store) Get(ctx context.Context, id string) (triage.Case, error) {
	if s.dims == 0 {
		return triage.Case{}, retrieve.ErrNotFound
	}
	rows, err := s.pool.Query(ctx, "SELECT id, text, lang, scenario, severity, queue, channel, resolution, reply, compensation, resolved_at, 1.0::float8 AS score FROM "+s.table+" WHERE id = $1", id)
	if err != nil {
		return triage.Case{}, fmt.Errorf("pgstore: get: %w", err)
	}
	r, err := pgx.CollectExactlyOneRow(rows, scanResult)
	if errors.Is(err, pgx.ErrNoRows) {
		return triage.Case{}, retrieve.ErrNotFound
	}
	if err != nil {
		return triage.Case{}, fmt.Errorf("pgstore: get: %w", err)
	}
	return r.Case, nil
}

// Delete removes the case stored under id.
func (s *Store) Delete(ctx context.Context, id string) error {
	if s.dims == 0 {
		return retrieve.ErrNotFound
	}
	tag, err := s.pool.Exec(ctx, "DELETE FROM "+s.table+" WHERE id = $1", id)
	if err != nil {
		return fmt.Errorf("pgstore: delete: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return retrieve.ErrNotFound
	}
	return nil
}

// Count returns the number of records.
func (s *Store) Count(ctx context.Context) (int, error) {
	if s.dims == 0 {
		return 0, nil
	}
	var n int
	if err := s.pool.QueryRow(ctx, "SELECT count(*) FROM "+s.table).Scan(&n); err != nil {
		return 0, fmt.Errorf("pgstore: %w", err)
	}
	return n, nil
}

// Drop removes the collection's table and record.
func (s *Store) Drop(ctx context.Context) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "DROP TABLE IF EXISTS "+s.table); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, "DELETE FROM triage_collections WHERE name = $1", s.opt.Collection)
		return err
	})
	if err != nil {
		return fmt.Errorf("pgstore: drop: %w", err)
	}
	s.dims, s.version = 0, ""
	return nil
}

// BulkLoad loads many records into an empty collection quickly: the HNSW
// index is dropped, the rows are copied in, and the index is rebuilt once
// (pgvector builds an index far faster than it grows one row by row).
// On a collection that already has rows it is Upsert.
func (s *Store) BulkLoad(ctx context.Context, recs []retrieve.Record) error {
	n, err := s.Count(ctx)
	if err != nil {
		return err
	}
	if n > 0 || len(recs) < 1_000 {
		return s.Upsert(ctx, recs)
	}
	index := pgx.Identifier{s.raw + "_embedding_hnsw"}.Sanitize()
	if _, err := s.pool.Exec(ctx, "DROP INDEX IF EXISTS "+index); err != nil {
		return fmt.Errorf("pgstore: bulk load: %w", err)
	}
	for start := 0; start < len(recs); start += 50_000 {
		if err := s.Upsert(ctx, recs[start:min(start+50_000, len(recs))]); err != nil {
			return err
		}
	}
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("pgstore: bulk load: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SET maintenance_work_mem = '2GB'"); err != nil {
		return fmt.Errorf("pgstore: bulk load: %w", err)
	}
	if _, err := conn.Exec(ctx, fmt.Sprintf("CREATE INDEX %s ON %s USING hnsw (embedding halfvec_cosine_ops) %s", index, s.table, hnswParams)); err != nil {
		return fmt.Errorf("pgstore: bulk load: build index: %w", err)
	}
	conn.Exec(ctx, "RESET maintenance_work_mem")
	_, err = s.pool.Exec(ctx, "ANALYZE "+s.table)
	return err
}
