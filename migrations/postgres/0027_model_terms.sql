-- The terms of every version of a model, on the model (issue 16): `models.terms` holds each
-- facet term (migrations 0007, 0015, 0017) that any of the model's versions has, with a GIN
-- index. A model with a version matching a lookup's facet and range filters has a term of
-- each filter here, so the index over 200,000 models finds the candidates that the index
-- over 1,000,000 versions found at five times the cost; the lookup then reads each
-- candidate's versions by model (`lookup::window::push_models`). A superset is all it must
-- be: terms are added when a version is inserted or its facets change, never removed (a
-- version deleted or changed leaves a model a candidate that its rows then fail).
ALTER TABLE models ADD COLUMN terms TEXT[] NOT NULL DEFAULT '{}';

UPDATE models m SET terms = ARRAY(
    SELECT DISTINCT t FROM versions v CROSS JOIN LATERAL unnest(v.facets) AS t
    WHERE v.model_id = m.id ORDER BY t
);

CREATE INDEX models_terms_idx ON models USING gin (terms);

-- The model row is rewritten only when the version brings a term it lacks; the new array is
-- computed from the row as it is when the update runs, so concurrent publishes to one model
-- each add their own terms.
CREATE FUNCTION models_add_version_terms() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE models SET terms = ARRAY(SELECT DISTINCT t FROM unnest(terms || NEW.facets) AS t ORDER BY t)
    WHERE id = NEW.model_id AND NOT (terms @> NEW.facets);
    RETURN NULL;
END
$$;

CREATE TRIGGER versions_add_model_terms AFTER INSERT OR UPDATE OF facets ON versions
    FOR EACH ROW EXECUTE FUNCTION models_add_version_terms();
