-- Models, their immutable versions, the files each version lists, and API tokens.
CREATE TABLE models (
    id          BIGSERIAL PRIMARY KEY,
    namespace   TEXT NOT NULL,
    name        TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    UNIQUE (namespace, name)
);

CREATE TABLE versions (
    id            BIGSERIAL PRIMARY KEY,
    model_id      BIGINT NOT NULL REFERENCES models (id),
    version       TEXT NOT NULL,
    major         BIGINT NOT NULL,
    minor         BIGINT NOT NULL,
    patch         BIGINT NOT NULL,
    prerelease    TEXT NOT NULL,
    digest        TEXT NOT NULL,
    license       TEXT NOT NULL,
    manifest      JSONB NOT NULL,
    size_bytes    BIGINT NOT NULL,
    file_count    BIGINT NOT NULL,
    published_at  TIMESTAMPTZ NOT NULL,
    UNIQUE (model_id, version)
);

CREATE TABLE version_files (
    version_id  BIGINT NOT NULL REFERENCES versions (id) ON DELETE CASCADE,
    path        TEXT NOT NULL,
    digest      TEXT NOT NULL,
    size_bytes  BIGINT NOT NULL,
    PRIMARY KEY (version_id, path)
);
CREATE INDEX version_files_digest_idx ON version_files (digest);

CREATE TABLE tokens (
    id          BIGSERIAL PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    scope       TEXT NOT NULL CHECK (scope IN ('read', 'write', 'admin')),
    token_hash  TEXT NOT NULL UNIQUE,
    created_at  TIMESTAMPTZ NOT NULL,
    expires_at  TIMESTAMPTZ,
    revoked_at  TIMESTAMPTZ
);
