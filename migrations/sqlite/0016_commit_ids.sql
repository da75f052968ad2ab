-- Hugging Face Hub compatibility (issue 11): each version's 40-hex commit id, so that a
-- commit id given as a revision resolves through an index. Same intent as
-- migrations/postgres/0016_commit_ids.sql. The id is a hash SQL cannot compute on both
-- dialects: the registry fills it at publish and, for older versions, at start-up.
ALTER TABLE versions ADD COLUMN commit_id TEXT;
CREATE UNIQUE INDEX versions_commit_id_idx ON versions (model_id, commit_id);
CREATE INDEX versions_commit_id_missing_idx ON versions (id) WHERE commit_id IS NULL;
