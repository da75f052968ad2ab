-- Typed, indexed search columns and join tables for the lookup (GET /v1/models), and the
-- derived facts of each version. Filterable fields never live only inside the manifest JSON.
-- Same intent as migrations/postgres/0002_lookup.sql, in SQLite's types.
ALTER TABLE models ADD COLUMN created_ms INTEGER NOT NULL DEFAULT 0;
UPDATE models SET created_ms = CAST((julianday(created_at) - 2440587.5) * 86400000 AS INTEGER);

ALTER TABLE versions ADD COLUMN published_ms      INTEGER NOT NULL DEFAULT 0;
ALTER TABLE versions ADD COLUMN facts             TEXT NOT NULL DEFAULT '{}';
ALTER TABLE versions ADD COLUMN license_class     TEXT NOT NULL DEFAULT 'unknown';
ALTER TABLE versions ADD COLUMN commercial_use    TEXT NOT NULL DEFAULT 'unknown';
ALTER TABLE versions ADD COLUMN task              TEXT;
ALTER TABLE versions ADD COLUMN context_length    INTEGER;
ALTER TABLE versions ADD COLUMN max_output_tokens INTEGER;
ALTER TABLE versions ADD COLUMN parameters        INTEGER;
ALTER TABLE versions ADD COLUMN precision         TEXT;
ALTER TABLE versions ADD COLUMN quantization      TEXT;
ALTER TABLE versions ADD COLUMN architecture      TEXT;
ALTER TABLE versions ADD COLUMN format            TEXT;
ALTER TABLE versions ADD COLUMN framework         TEXT;
ALTER TABLE versions ADD COLUMN fine_tunable      INTEGER;
ALTER TABLE versions ADD COLUMN base_namespace    TEXT;
ALTER TABLE versions ADD COLUMN base_name         TEXT;
ALTER TABLE versions ADD COLUMN base_version      TEXT;
ALTER TABLE versions ADD COLUMN base_relation     TEXT;
ALTER TABLE versions ADD COLUMN has_risk_notes    INTEGER NOT NULL DEFAULT 0;
ALTER TABLE versions ADD COLUMN min_latency_ms    REAL;
ALTER TABLE versions ADD COLUMN description       TEXT;
ALTER TABLE versions ADD COLUMN search_text       TEXT NOT NULL DEFAULT '';
ALTER TABLE versions ADD COLUMN languages_json    TEXT NOT NULL DEFAULT '[]';
ALTER TABLE versions ADD COLUMN modalities_json   TEXT NOT NULL DEFAULT '{"input":[],"output":[]}';
UPDATE versions SET published_ms = CAST((julianday(published_at) - 2440587.5) * 86400000 AS INTEGER);

CREATE INDEX versions_model_semver_idx ON versions (model_id, major DESC, minor DESC, patch DESC);
CREATE INDEX versions_license_class_idx ON versions (license_class);
CREATE INDEX versions_commercial_use_idx ON versions (commercial_use);
CREATE INDEX versions_task_idx ON versions (task);
CREATE INDEX versions_context_length_idx ON versions (context_length);
CREATE INDEX versions_parameters_idx ON versions (parameters);
CREATE INDEX versions_size_bytes_idx ON versions (size_bytes);
CREATE INDEX versions_format_idx ON versions (format);
CREATE INDEX versions_framework_idx ON versions (framework);
CREATE INDEX versions_precision_idx ON versions (precision);
CREATE INDEX versions_quantization_idx ON versions (quantization);
CREATE INDEX versions_base_idx ON versions (base_namespace, base_name);
CREATE INDEX versions_published_ms_idx ON versions (published_ms);

CREATE TABLE version_licenses (
    version_id  INTEGER NOT NULL REFERENCES versions (id) ON DELETE CASCADE,
    license_id  TEXT NOT NULL,
    PRIMARY KEY (version_id, license_id)
);
CREATE INDEX version_licenses_id_idx ON version_licenses (license_id, version_id);

CREATE TABLE version_languages (
    version_id   INTEGER NOT NULL REFERENCES versions (id) ON DELETE CASCADE,
    tag          TEXT NOT NULL,
    primary_tag  TEXT NOT NULL,
    PRIMARY KEY (version_id, tag)
);
CREATE INDEX version_languages_tag_idx ON version_languages (tag, version_id);
CREATE INDEX version_languages_primary_idx ON version_languages (primary_tag, version_id);

CREATE TABLE version_modalities (
    version_id  INTEGER NOT NULL REFERENCES versions (id) ON DELETE CASCADE,
    direction   TEXT NOT NULL CHECK (direction IN ('input', 'output')),
    modality    TEXT NOT NULL,
    PRIMARY KEY (version_id, direction, modality)
);
CREATE INDEX version_modalities_idx ON version_modalities (modality, direction, version_id);

CREATE TABLE version_tags (
    version_id  INTEGER NOT NULL REFERENCES versions (id) ON DELETE CASCADE,
    tag         TEXT NOT NULL,
    PRIMARY KEY (version_id, tag)
);
CREATE INDEX version_tags_idx ON version_tags (tag, version_id);

CREATE TABLE version_labels (
    version_id  INTEGER NOT NULL REFERENCES versions (id) ON DELETE CASCADE,
    key         TEXT NOT NULL,
    value       TEXT NOT NULL,
    PRIMARY KEY (version_id, key)
);
CREATE INDEX version_labels_idx ON version_labels (key, value, version_id);

CREATE TABLE version_latency (
    version_id  INTEGER NOT NULL REFERENCES versions (id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    hardware    TEXT NOT NULL,
    p50_ms      REAL NOT NULL,
    PRIMARY KEY (version_id, position)
);
CREATE INDEX version_latency_idx ON version_latency (p50_ms, version_id);
