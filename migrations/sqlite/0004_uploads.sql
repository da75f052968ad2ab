-- Resumable upload sessions: a large blob sent as numbered parts. Parts are hashed in order
-- as they arrive; the sha256 state after the hashed prefix is kept in the row (advanced by a
-- compare-and-set on hashed_parts), so any replica can take the next part or complete.
-- Same intent as migrations/postgres/0004_uploads.sql; timestamps are RFC 3339 text.
CREATE TABLE upload_sessions (
    id                 TEXT PRIMARY KEY,
    digest             TEXT NOT NULL,
    size_bytes         INTEGER NOT NULL,
    part_size          INTEGER NOT NULL,
    part_count         INTEGER NOT NULL,
    -- The S3 multipart upload of the final key; NULL where parts are staged as objects.
    backend_upload_id  TEXT,
    hashed_parts       INTEGER NOT NULL,
    hash_state         BLOB NOT NULL,
    state              TEXT NOT NULL CHECK (state IN ('open', 'complete')),
    created_at         TEXT NOT NULL,
    expires_at         TEXT NOT NULL
);
CREATE INDEX upload_sessions_expires_idx ON upload_sessions (expires_at);

-- A part is recorded when it is hashed; content_id (the S3 part ETag, or a marker for a
-- staged part) is set once the backend holds its bytes.
CREATE TABLE upload_parts (
    session_id   TEXT NOT NULL REFERENCES upload_sessions (id) ON DELETE CASCADE,
    part_number  INTEGER NOT NULL,
    size_bytes   INTEGER NOT NULL,
    sha256       TEXT NOT NULL,
    content_id   TEXT,
    PRIMARY KEY (session_id, part_number)
);
