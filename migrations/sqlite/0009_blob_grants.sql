-- A digest is not a key. A blob is readable by whoever can read a version that references it,
-- or by the token that uploaded its bytes, for a while: the upload is the proof of
-- possession that lets that token publish a version referencing it.
-- Same intent as migrations/postgres/0009_blob_grants.sql; timestamps are RFC 3339 text.
CREATE TABLE blob_grants (
    digest      TEXT NOT NULL,
    token_name  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    PRIMARY KEY (digest, token_name)
);
CREATE INDEX blob_grants_expires_idx ON blob_grants (expires_at);

-- Upload sessions belong to the token that opened them. NULL for sessions opened before
-- this migration: no token may continue those; they expire.
ALTER TABLE upload_sessions ADD COLUMN owner TEXT;
CREATE INDEX upload_sessions_owner_idx ON upload_sessions (owner, state, expires_at);
