-- Indexes for the lookup's bounded walks (issue 3). Same intent as
-- migrations/postgres/0007_lookup_indexes.sql: sorts on a version column walk `versions` in
-- the sort key's order with the version id breaking ties. SQLite puts nulls first in an
-- ascending index, so it reads these for `asc` / nulls-first and `desc` / nulls-last, and
-- sorts otherwise. Free text keeps LIKE (no trigram index in SQLite's core).
--
-- `facets` holds the same terms as on PostgreSQL, as a JSON array, so that both schemas
-- and their data stay alike; SQLite has no index over it and keeps reading the join tables
-- for multi-valued filters.
DROP INDEX versions_context_length_idx;
DROP INDEX versions_parameters_idx;
DROP INDEX versions_size_bytes_idx;
DROP INDEX versions_published_ms_idx;
CREATE INDEX versions_parameters_asc_idx ON versions (parameters, id);
CREATE INDEX versions_context_length_asc_idx ON versions (context_length, id);
CREATE INDEX versions_min_latency_asc_idx ON versions (min_latency_ms, id);
CREATE INDEX versions_size_bytes_id_idx ON versions (size_bytes, id);
CREATE INDEX versions_published_ms_id_idx ON versions (published_ms, id);
CREATE INDEX models_created_ms_idx ON models (created_ms, id);

ALTER TABLE versions ADD COLUMN facets TEXT NOT NULL DEFAULT '[]';
UPDATE versions SET facets = (
    SELECT json_group_array(t) FROM (
        SELECT 'license:' || x.license_id AS t FROM version_licenses x WHERE x.version_id = versions.id
        UNION SELECT 'modality:' || x.modality FROM version_modalities x WHERE x.version_id = versions.id
        UNION SELECT x.direction || ':' || x.modality FROM version_modalities x WHERE x.version_id = versions.id
        UNION SELECT 'language:' || x.primary_tag FROM version_languages x WHERE x.version_id = versions.id
        UNION SELECT 'language_tag:' || x.tag FROM version_languages x WHERE x.version_id = versions.id
        UNION SELECT 'tag:' || x.tag FROM version_tags x WHERE x.version_id = versions.id
        UNION SELECT 'label:' || x.key || ':' || x.value FROM version_labels x WHERE x.version_id = versions.id
        ORDER BY 1
    )
);
