-- +goose Up
-- The version table of retrieve/pgstore's hand-written migrator, with its
-- two migrations marked applied: a binary still built on retrieve/pgstore
-- (a rollback, or its tests sharing the database) then finds its schema in
-- place instead of failing on CREATE TABLE triage_collections. Both
-- migrators take the same advisory lock, so they never run at once. Drop
-- this table in a later migration once no such binary is left.
CREATE TABLE IF NOT EXISTS triage_schema_migrations (
	version    integer PRIMARY KEY,
	name       text NOT NULL,
	applied_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO triage_schema_migrations (version, name) VALUES
	(1, '001_vector.sql'),
	(2, '002_collections.sql')
ON CONFLICT (version) DO NOTHING;
