-- Access control and the version lifecycle: namespace-limited tokens, aliases and their
-- history, yanks, tombstones of deleted versions, the audit log, and blob locks that keep
-- garbage collection and publishing from racing.
ALTER TABLE tokens ADD COLUMN namespaces TEXT NOT NULL DEFAULT '[]';
ALTER TABLE tokens ADD COLUMN created_by TEXT;
ALTER TABLE tokens ADD COLUMN last_used_at TIMESTAMPTZ;

ALTER TABLE models ADD COLUMN deleted_at TIMESTAMPTZ;

ALTER TABLE versions ADD COLUMN yanked_at TIMESTAMPTZ;
ALTER TABLE versions ADD COLUMN yank_reason TEXT;
ALTER TABLE versions ADD COLUMN yanked_by TEXT;

CREATE TABLE tombstones (
    model_id    BIGINT NOT NULL REFERENCES models (id),
    version     TEXT NOT NULL,
    digest      TEXT NOT NULL,
    deleted_at  TIMESTAMPTZ NOT NULL,
    deleted_by  TEXT NOT NULL,
    PRIMARY KEY (model_id, version)
);

CREATE TABLE aliases (
    model_id    BIGINT NOT NULL REFERENCES models (id),
    alias       TEXT NOT NULL,
    version     TEXT NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    updated_by  TEXT NOT NULL,
    PRIMARY KEY (model_id, alias)
);

CREATE TABLE alias_history (
    id            BIGSERIAL PRIMARY KEY,
    model_id      BIGINT NOT NULL REFERENCES models (id),
    alias         TEXT NOT NULL,
    from_version  TEXT,
    to_version    TEXT,
    actor         TEXT NOT NULL,
    at            TIMESTAMPTZ NOT NULL
);
CREATE INDEX alias_history_model_idx ON alias_history (model_id, id);

CREATE TABLE audit_log (
    id       BIGSERIAL PRIMARY KEY,
    at       TIMESTAMPTZ NOT NULL,
    actor    TEXT NOT NULL,
    action   TEXT NOT NULL,
    model    TEXT,
    version  TEXT,
    details  TEXT NOT NULL
);
CREATE INDEX audit_log_model_idx ON audit_log (model, id);
CREATE INDEX audit_log_actor_idx ON audit_log (actor, id);
CREATE INDEX audit_log_at_idx ON audit_log (at);

-- One row per digest at most: a publish's lease or a garbage collector's claim. The primary
-- key is the mutex: a publish cannot lease a blob being collected, and the collector cannot
-- claim a blob a publish holds.
CREATE TABLE blob_locks (
    digest      TEXT PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('lease', 'gc')),
    expires_at  TIMESTAMPTZ NOT NULL
);
