-- The terms of every version of a model, beside the model (issue 16): `model_terms.terms`
-- holds each facet term (migrations 0007, 0015, 0017) that any of the model's versions has,
-- with a GIN index. A model with a version matching a lookup's facet and range filters has a
-- term of each filter here, so the index over 200,000 models finds the candidates that the
-- index over 1,000,000 versions found at five times the cost; the lookup then reads each
-- candidate's versions by model (`lookup::window::push_models`). A superset is all it must
-- be: terms are added when a version is inserted or its facets change, never removed (a
-- version deleted or changed leaves a model a candidate that its rows then fail). A table of
-- its own, PostgreSQL's only (as SQLite has its own lookup tables, 0022 and 0023), so that
-- `models` rows stay narrow for everything else that reads them.
CREATE TABLE model_terms (
    model_id BIGINT PRIMARY KEY REFERENCES models (id) ON DELETE CASCADE,
    terms    TEXT[] NOT NULL
);

INSERT INTO model_terms (model_id, terms)
SELECT m.id, ARRAY(
    SELECT DISTINCT t FROM versions v CROSS JOIN LATERAL unnest(v.facets) AS t
    WHERE v.model_id = m.id ORDER BY t
)
FROM models m;

CREATE INDEX model_terms_terms_idx ON model_terms USING gin (terms);

-- The row is written only when the version brings a term the model lacks; the new array is
-- computed from the row as it is when the update runs, so concurrent publishes to one model
-- each add their own terms.
CREATE FUNCTION model_terms_add_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO model_terms AS mt (model_id, terms)
    VALUES (NEW.model_id, ARRAY(SELECT DISTINCT t FROM unnest(NEW.facets) AS t ORDER BY t))
    ON CONFLICT (model_id) DO UPDATE
        SET terms = ARRAY(SELECT DISTINCT t FROM unnest(mt.terms || EXCLUDED.terms) AS t ORDER BY t)
        WHERE NOT (mt.terms @> EXCLUDED.terms);
    RETURN NULL;
END
$$;

CREATE TRIGGER versions_add_model_terms AFTER INSERT OR UPDATE OF facets ON versions
    FOR EACH ROW EXECUTE FUNCTION model_terms_add_version();
