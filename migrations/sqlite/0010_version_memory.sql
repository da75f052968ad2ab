-- Memory facts of a version, for the lookup's fits_memory filter (issue 14 part 1). Same
-- intent as migrations/postgres/0010_version_memory.sql, which explains the columns and
-- why earlier versions are not filled.
CREATE TABLE version_memory (
    version_id          INTEGER PRIMARY KEY REFERENCES versions (id) ON DELETE CASCADE,
    weight_bytes        INTEGER NOT NULL,
    kv_full_elements    INTEGER,
    kv_window_elements  INTEGER,
    kv_window           INTEGER,
    kv_bits             INTEGER
);
