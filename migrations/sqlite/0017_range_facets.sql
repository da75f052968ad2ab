-- Numeric ranges as facet terms (issue 16): the same "field:bits:N" bucket terms as on
-- PostgreSQL for parameters, context length and the fastest latency (rounded up to whole
-- milliseconds), N the bit length of the value (the number of powers of two 2^0..2^62 not
-- above it), in the JSON array, so that both schemas and their data stay alike. SQLite has
-- no index over `facets` and keeps filtering on the columns.
WITH RECURSIVE powers(k, v) AS (SELECT 0, 1 UNION ALL SELECT k + 1, v * 2 FROM powers WHERE k < 62)
UPDATE versions SET facets = (
    SELECT json_group_array(t) FROM (
        SELECT value AS t FROM json_each(versions.facets)
        UNION SELECT 'parameters:bits:' || (SELECT COUNT(*) FROM powers WHERE v <= versions.parameters)
            WHERE versions.parameters IS NOT NULL
        UNION SELECT 'context_length:bits:' || (SELECT COUNT(*) FROM powers WHERE v <= versions.context_length)
            WHERE versions.context_length IS NOT NULL
        UNION SELECT 'latency:bits:' || (SELECT COUNT(*) FROM powers WHERE v <= CAST(versions.min_latency_ms AS INTEGER)
                + (versions.min_latency_ms > CAST(versions.min_latency_ms AS INTEGER)))
            WHERE versions.min_latency_ms IS NOT NULL
        ORDER BY 1
    )
)
WHERE parameters IS NOT NULL OR context_length IS NOT NULL OR min_latency_ms IS NOT NULL;
