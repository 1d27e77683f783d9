// Package retrieve finds similar resolved cases: embedders and case stores
// (pgvector via pgx, and an embedded in-process default).
package retrieve
