-- Equality filters as facet terms (issue 16): the same "field:value" terms as on
-- PostgreSQL for task, format, framework, precision, licence class and commercial use, in
-- the JSON array, so that both schemas and their data stay alike. SQLite has no index over
-- `facets` and keeps filtering on the columns.
UPDATE versions SET facets = (
    SELECT json_group_array(t) FROM (
        SELECT value AS t FROM json_each(versions.facets)
        UNION SELECT 'task:' || versions.task WHERE versions.task IS NOT NULL
        UNION SELECT 'format:' || versions.format WHERE versions.format IS NOT NULL
        UNION SELECT 'framework:' || versions.framework WHERE versions.framework IS NOT NULL
        UNION SELECT 'precision:' || versions.precision WHERE versions.precision IS NOT NULL
        UNION SELECT 'license_class:' || versions.license_class
        UNION SELECT 'commercial_use:' || versions.commercial_use
        ORDER BY 1
    )
);
