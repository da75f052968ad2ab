-- Blobs that a scrub (`modelreg-server verify`) found missing or not matching their digest.
-- While a row is here, `POST /v1/blobs/missing` lists the blob again (so a push uploads its
-- bytes), and a verified upload of the blob deletes the row.
CREATE TABLE damaged_blobs (
    digest    TEXT PRIMARY KEY,
    problem   TEXT NOT NULL,
    found_at  TIMESTAMPTZ NOT NULL
);
