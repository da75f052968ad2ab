-- Browser sessions of the web UI (issue 13). Same intent as
-- migrations/sqlite/0013_ui_sessions.sql: a token checked once at sign-in is exchanged for a
-- random session id; only its sha256 (hex) is stored. A session lives until `expires_at` (no
-- later than its token's expiry) and only while its token is not revoked: every lookup joins
-- `tokens` and checks both, so revoking the token ends its sessions at once.
CREATE TABLE ui_sessions (
    id_hash     TEXT PRIMARY KEY,
    token_id    BIGINT NOT NULL REFERENCES tokens (id) ON DELETE CASCADE,
    created_at  TIMESTAMPTZ NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX ui_sessions_expires_idx ON ui_sessions (expires_at);
CREATE INDEX ui_sessions_token_idx ON ui_sessions (token_id);
