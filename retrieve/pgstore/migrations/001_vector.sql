-- pgvector first: every collection table stores its embeddings as halfvec.
CREATE EXTENSION IF NOT EXISTS vector;
