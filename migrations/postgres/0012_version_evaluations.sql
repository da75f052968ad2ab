-- Evaluations as queryable data (issue 14, part 3). Same intent as
-- migrations/sqlite/0012_version_evaluations.sql: one row per `metadata.evaluations` entry of
-- a version, written at publish, read by the lookup's `eval=` filter and
-- `sort=eval:<dataset>:<metric>`. Dataset and metric are stored normalised (spaces trimmed,
-- ASCII letters lower-cased: `normalize_eval_name` in the api crate); `primary_language` is
-- the primary subtag of `language`, as in version_languages.
CREATE TABLE version_evaluations (
    version_id        BIGINT NOT NULL REFERENCES versions (id) ON DELETE CASCADE,
    position          INTEGER NOT NULL,
    dataset           TEXT NOT NULL,
    metric            TEXT NOT NULL,
    value             DOUBLE PRECISION NOT NULL,
    task              TEXT,
    language          TEXT,
    primary_language  TEXT,
    PRIMARY KEY (version_id, position)
);
CREATE INDEX version_evaluations_key_idx ON version_evaluations (dataset, metric, value, version_id);

-- Versions published before this migration: their evaluations from the stored manifest
-- (canonical, so language tags are already in canonical case). translate() folds ASCII only,
-- as the server and SQLite's lower() do.
INSERT INTO version_evaluations (version_id, position, dataset, metric, value, task, language, primary_language)
SELECT d.version_id,
       (e.ordinality - 1)::integer,
       translate(btrim(e.value->>'dataset', ' '), 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz'),
       translate(btrim(e.value->>'metric', ' '), 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz'),
       (e.value->>'value')::double precision,
       e.value->>'task',
       e.value->>'language',
       split_part(e.value->>'language', '-', 1)
FROM version_documents d
CROSS JOIN LATERAL jsonb_array_elements(
    CASE WHEN jsonb_typeof(d.manifest->'metadata'->'evaluations') = 'array'
         THEN d.manifest->'metadata'->'evaluations' ELSE '[]'::jsonb END
) WITH ORDINALITY AS e(value, ordinality);
