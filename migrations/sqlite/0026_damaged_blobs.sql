-- Blobs that a scrub (`modelreg-server verify`) found missing or not matching their digest.
-- Same intent as migrations/postgres/0026_damaged_blobs.sql; timestamps are RFC 3339 text.
CREATE TABLE damaged_blobs (
    digest    TEXT PRIMARY KEY,
    problem   TEXT NOT NULL,
    found_at  TEXT NOT NULL
);
