-- +goose Up
-- pgvector first: every collection table stores its embeddings as halfvec,
-- and the pool's AfterConnect registers the extension's types.
CREATE EXTENSION IF NOT EXISTS vector;
