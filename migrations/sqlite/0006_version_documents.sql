-- The manifest and facts of a version move out of `versions` into their own table, so that
-- the lookup scans narrow rows of typed columns only. Same intent as
-- migrations/postgres/0006_version_documents.sql.
CREATE TABLE version_documents (
    version_id  INTEGER PRIMARY KEY REFERENCES versions (id) ON DELETE CASCADE,
    manifest    TEXT NOT NULL,
    facts       TEXT NOT NULL
);
INSERT INTO version_documents (version_id, manifest, facts) SELECT id, manifest, facts FROM versions;
ALTER TABLE versions DROP COLUMN manifest;
ALTER TABLE versions DROP COLUMN facts;
