-- Resumable upload sessions: a large blob sent as numbered parts. Parts are hashed in order
-- as they arrive; the sha256 state after the hashed prefix is kept in the row (advanced by a
-- compare-and-set on hashed_parts), so any replica can take the next part or complete.
CREATE TABLE upload_sessions (
    id                 TEXT PRIMARY KEY,
    digest             TEXT NOT NULL,
    size_bytes         BIGINT NOT NULL,
    part_size          BIGINT NOT NULL,
    part_count         BIGINT NOT NULL,
    -- The S3 multipart upload of the final key; NULL where parts are staged as objects.
    backend_upload_id  TEXT,
    hashed_parts       BIGINT NOT NULL,
    hash_state         BYTEA NOT NULL,
    state              TEXT NOT NULL CHECK (state IN ('open', 'complete')),
    created_at         TIMESTAMPTZ NOT NULL,
    expires_at         TIMESTAMPTZ NOT NULL
);
CREATE INDEX upload_sessions_expires_idx ON upload_sessions (expires_at);

-- A part is recorded when it is hashed; content_id (the S3 part ETag, or a marker for a
-- staged part) is set once the backend holds its bytes.
CREATE TABLE upload_parts (
    session_id   TEXT NOT NULL REFERENCES upload_sessions (id) ON DELETE CASCADE,
    part_number  BIGINT NOT NULL,
    size_bytes   BIGINT NOT NULL,
    sha256       TEXT NOT NULL,
    content_id   TEXT,
    PRIMARY KEY (session_id, part_number)
);
