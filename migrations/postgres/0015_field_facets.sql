-- Equality filters as facet terms (issue 16): the single-valued fields the lookup filters
-- by equality (task, format, framework, precision, licence class, commercial use) also get a
-- "field:value" term in `facets` (`search::Facet::Field`), so that one GIN index intersects
-- every equality filter of a query at once. At a million versions, AND-ing one bitmap per
-- btree (task 125,000 entries, format 250,000, ...) cost more than reading the matches.
-- The columns stay: the walks and SQLite read them, and they are the source here.
UPDATE versions SET facets = ARRAY(
    SELECT DISTINCT t FROM unnest(facets || ARRAY[
        'task:' || task, 'format:' || format, 'framework:' || framework, 'precision:' || precision,
        'license_class:' || license_class, 'commercial_use:' || commercial_use
    ]) AS t
    WHERE t IS NOT NULL
    ORDER BY 1
);
