-- The lookup walks models in byte order of (namespace, name), whatever the database's
-- collation, so that pages are identical on PostgreSQL and SQLite and the walk can stop
-- after one page.
CREATE INDEX models_name_c_idx ON models (namespace COLLATE "C", name COLLATE "C", id);
