-- Nothing to do on PostgreSQL: migrations/sqlite/0023_version_terms.sql gives SQLite the facet
-- terms as rows, which PostgreSQL intersects in its GIN index over `versions.facets` (0007,
-- 0015). This file keeps the two dialects' migration versions in lockstep.
SELECT 1;
