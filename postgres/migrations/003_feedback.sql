-- +goose Up
-- Agents' corrections, oldest first by seq; entry is the whole
-- feedback.Entry as JSON. IF NOT EXISTS: feedback/pgfeedback created this
-- table itself, with these columns, on databases that already have it.
CREATE TABLE IF NOT EXISTS triage_feedback (
	seq        bigserial PRIMARY KEY,
	ticket_id  text NOT NULL,
	created_at timestamptz NOT NULL,
	entry      jsonb NOT NULL
);
