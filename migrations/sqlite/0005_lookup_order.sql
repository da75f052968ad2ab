-- The lookup walks models in byte order of (namespace, name) so that it can stop after one
-- page. SQLite compares text bytewise by default. Same intent as
-- migrations/postgres/0005_lookup_order.sql.
CREATE INDEX models_name_c_idx ON models (namespace, name, id);
