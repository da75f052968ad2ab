-- The manifest and facts of a version move out of `versions` into their own table, so that
-- the lookup scans narrow rows of typed columns only.
CREATE TABLE version_documents (
    version_id  BIGINT PRIMARY KEY REFERENCES versions (id) ON DELETE CASCADE,
    manifest    JSONB NOT NULL,
    facts       JSONB NOT NULL
);
INSERT INTO version_documents (version_id, manifest, facts) SELECT id, manifest, facts FROM versions;
ALTER TABLE versions DROP COLUMN manifest;
ALTER TABLE versions DROP COLUMN facts;
