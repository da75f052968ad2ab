-- Evaluations as queryable data (issue 14, part 3). Same intent as
-- migrations/postgres/0012_version_evaluations.sql: one row per `metadata.evaluations` entry
-- of a version, written at publish, read by the lookup's `eval=` filter and
-- `sort=eval:<dataset>:<metric>`. Dataset and metric are stored normalised (spaces trimmed,
-- ASCII letters lower-cased: `normalize_eval_name` in the api crate); `primary_language` is
-- the primary subtag of `language`, as in version_languages.
CREATE TABLE version_evaluations (
    version_id        INTEGER NOT NULL REFERENCES versions (id) ON DELETE CASCADE,
    position          INTEGER NOT NULL,
    dataset           TEXT NOT NULL,
    metric            TEXT NOT NULL,
    value             REAL NOT NULL,
    task              TEXT,
    language          TEXT,
    primary_language  TEXT,
    PRIMARY KEY (version_id, position)
);
CREATE INDEX version_evaluations_key_idx ON version_evaluations (dataset, metric, value, version_id);

-- Versions published before this migration: their evaluations from the stored manifest
-- (canonical, so language tags are already in canonical case). SQLite's lower() folds ASCII
-- only, as the server does.
INSERT INTO version_evaluations (version_id, position, dataset, metric, value, task, language, primary_language)
SELECT d.version_id,
       CAST(e.key AS INTEGER),
       lower(trim(json_extract(e.value, '$.dataset'), ' ')),
       lower(trim(json_extract(e.value, '$.metric'), ' ')),
       CAST(json_extract(e.value, '$.value') AS REAL),
       json_extract(e.value, '$.task'),
       json_extract(e.value, '$.language'),
       CASE WHEN instr(json_extract(e.value, '$.language'), '-') > 0
            THEN substr(json_extract(e.value, '$.language'), 1, instr(json_extract(e.value, '$.language'), '-') - 1)
            ELSE json_extract(e.value, '$.language') END
FROM version_documents d, json_each(d.manifest, '$.metadata.evaluations') e
WHERE json_type(d.manifest, '$.metadata.evaluations') = 'array';
