-- +goose Up
-- One row per collection: which embedder its vectors come from, so that
-- queries are embedded the same way (and a mismatch is an error). The
-- collection tables themselves are created at run time from
-- collection.sql.tmpl. IF NOT EXISTS: a database that retrieve/pgstore's
-- own migrator set up already has this table.
CREATE TABLE IF NOT EXISTS triage_collections (
	name             text PRIMARY KEY,
	table_name       text NOT NULL UNIQUE,
	embedder_version text NOT NULL,
	dimensions       integer NOT NULL CHECK (dimensions > 0 AND dimensions <= 4000),
	embedder_state   bytea,
	created_at       timestamptz NOT NULL DEFAULT now()
);
