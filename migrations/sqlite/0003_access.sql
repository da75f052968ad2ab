-- Access control and the version lifecycle: namespace-limited tokens, aliases and their
-- history, yanks, tombstones of deleted versions, the audit log, and blob locks that keep
-- garbage collection and publishing from racing. Same intent as migrations/postgres/0003_access.sql.
ALTER TABLE tokens ADD COLUMN namespaces TEXT NOT NULL DEFAULT '[]';
ALTER TABLE tokens ADD COLUMN created_by TEXT;
ALTER TABLE tokens ADD COLUMN last_used_at TEXT;

ALTER TABLE models ADD COLUMN deleted_at TEXT;

ALTER TABLE versions ADD COLUMN yanked_at TEXT;
ALTER TABLE versions ADD COLUMN yank_reason TEXT;
ALTER TABLE versions ADD COLUMN yanked_by TEXT;

CREATE TABLE tombstones (
    model_id    INTEGER NOT NULL REFERENCES models (id),
    version     TEXT NOT NULL,
    digest      TEXT NOT NULL,
    deleted_at  TEXT NOT NULL,
    deleted_by  TEXT NOT NULL,
    PRIMARY KEY (model_id, version)
);

CREATE TABLE aliases (
    model_id    INTEGER NOT NULL REFERENCES models (id),
    alias       TEXT NOT NULL,
    version     TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    updated_by  TEXT NOT NULL,
    PRIMARY KEY (model_id, alias)
);

CREATE TABLE alias_history (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    model_id      INTEGER NOT NULL REFERENCES models (id),
    alias         TEXT NOT NULL,
    from_version  TEXT,
    to_version    TEXT,
    actor         TEXT NOT NULL,
    at            TEXT NOT NULL
);
CREATE INDEX alias_history_model_idx ON alias_history (model_id, id);

CREATE TABLE audit_log (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    at       TEXT NOT NULL,
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
    expires_at  TEXT NOT NULL
);
