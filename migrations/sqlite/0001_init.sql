-- Models, their immutable versions, the files each version lists, and API tokens.
-- Same intent as migrations/postgres/0001_init.sql; timestamps are RFC 3339 text.
CREATE TABLE models (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    namespace   TEXT NOT NULL,
    name        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    UNIQUE (namespace, name)
);

CREATE TABLE versions (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    model_id      INTEGER NOT NULL REFERENCES models (id),
    version       TEXT NOT NULL,
    major         INTEGER NOT NULL,
    minor         INTEGER NOT NULL,
    patch         INTEGER NOT NULL,
    prerelease    TEXT NOT NULL,
    digest        TEXT NOT NULL,
    license       TEXT NOT NULL,
    manifest      TEXT NOT NULL,
    size_bytes    INTEGER NOT NULL,
    file_count    INTEGER NOT NULL,
    published_at  TEXT NOT NULL,
    UNIQUE (model_id, version)
);

CREATE TABLE version_files (
    version_id  INTEGER NOT NULL REFERENCES versions (id) ON DELETE CASCADE,
    path        TEXT NOT NULL,
    digest      TEXT NOT NULL,
    size_bytes  INTEGER NOT NULL,
    PRIMARY KEY (version_id, path)
);
CREATE INDEX version_files_digest_idx ON version_files (digest);

CREATE TABLE tokens (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT NOT NULL UNIQUE,
    scope       TEXT NOT NULL CHECK (scope IN ('read', 'write', 'admin')),
    token_hash  TEXT NOT NULL UNIQUE,
    created_at  TEXT NOT NULL,
    expires_at  TEXT,
    revoked_at  TEXT
);
