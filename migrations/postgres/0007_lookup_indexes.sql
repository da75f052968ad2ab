-- Indexes and facets for the lookup's bounded walks, multi-valued filters and free text
-- (issue 3).
--
-- Sorts on a version column walk `versions` in the sort key's order and stop after a page,
-- with missing values last in both directions and the version id breaking ties. A nullable
-- key needs one index per direction (a backward scan of an ascending index puts nulls
-- first); a key that is never null reads its one index backwards for `desc`. These replace
-- the single-column indexes of 0002, whose range filters they serve equally.
DROP INDEX versions_context_length_idx;
DROP INDEX versions_parameters_idx;
DROP INDEX versions_size_bytes_idx;
DROP INDEX versions_published_ms_idx;
CREATE INDEX versions_parameters_asc_idx ON versions (parameters ASC NULLS LAST, id ASC);
CREATE INDEX versions_parameters_desc_idx ON versions (parameters DESC NULLS LAST, id DESC);
CREATE INDEX versions_context_length_asc_idx ON versions (context_length ASC NULLS LAST, id ASC);
CREATE INDEX versions_context_length_desc_idx ON versions (context_length DESC NULLS LAST, id DESC);
CREATE INDEX versions_min_latency_asc_idx ON versions (min_latency_ms ASC NULLS LAST, id ASC);
CREATE INDEX versions_min_latency_desc_idx ON versions (min_latency_ms DESC NULLS LAST, id DESC);
CREATE INDEX versions_size_bytes_id_idx ON versions (size_bytes, id);
CREATE INDEX versions_published_ms_id_idx ON versions (published_ms, id);
CREATE INDEX models_created_ms_idx ON models (created_ms, id);

-- Multi-valued filters (licence, modality, language, tag, label) also read `facets`, one
-- "field:value" term per value (the terms of `search_doc::Facet`), so that one GIN index
-- intersects any number of them and a correlated walk tests a version row without a probe
-- per join table. The join tables stay: SQLite reads them, and they are the source here.
ALTER TABLE versions ADD COLUMN facets TEXT[] NOT NULL DEFAULT '{}';
UPDATE versions v SET facets = ARRAY(
    SELECT 'license:' || x.license_id FROM version_licenses x WHERE x.version_id = v.id
    UNION SELECT 'modality:' || x.modality FROM version_modalities x WHERE x.version_id = v.id
    UNION SELECT x.direction || ':' || x.modality FROM version_modalities x WHERE x.version_id = v.id
    UNION SELECT 'language:' || x.primary_tag FROM version_languages x WHERE x.version_id = v.id
    UNION SELECT 'language_tag:' || x.tag FROM version_languages x WHERE x.version_id = v.id
    UNION SELECT 'tag:' || x.tag FROM version_tags x WHERE x.version_id = v.id
    UNION SELECT 'label:' || x.key || ':' || x.value FROM version_labels x WHERE x.version_id = v.id
    ORDER BY 1
);
CREATE INDEX versions_facets_idx ON versions USING gin (facets);

-- `q` matches each word anywhere in `search_text` (LIKE '%word%'): trigrams let a word of
-- three or more characters read only the versions that contain it. pg_trgm ships with
-- PostgreSQL and is a trusted extension (a database owner may create it).
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX versions_search_text_trgm_idx ON versions USING gin (search_text gin_trgm_ops);
