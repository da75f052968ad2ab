-- Numeric ranges as facet terms (issue 16): parameters, context length and the fastest
-- latency (p50 rounded up to whole milliseconds) also get a power-of-two bucket term in
-- `facets`, "field:bits:N" where N is the bit length of the value (`search::Facet::Bits`),
-- so that the one GIN index answers a range (an OR of the buckets the bound covers) together
-- with every other facet filter; the column still checks the partial bucket on the heap. At
-- a million versions the btree bitmaps of two broad ranges (430,000 and 620,000 entries)
-- cost more than the matches.
UPDATE versions SET facets = ARRAY(
    SELECT DISTINCT t FROM unnest(facets || ARRAY[
        'parameters:bits:' || length(ltrim(GREATEST(parameters, 0)::bit(64)::text, '0')),
        'context_length:bits:' || length(ltrim(GREATEST(context_length, 0)::bit(64)::text, '0')),
        'latency:bits:' || length(ltrim(GREATEST(LEAST(ceil(min_latency_ms), 4.7e18), 0)::bigint::bit(64)::text, '0'))
    ]) AS t
    WHERE t IS NOT NULL
    ORDER BY 1
)
WHERE parameters IS NOT NULL OR context_length IS NOT NULL OR min_latency_ms IS NOT NULL;
