-- Nothing to do on PostgreSQL: migrations/sqlite/0022_version_search.sql gives SQLite an index
-- for the lookup's free text, which PostgreSQL has had since 0007 (a trigram index on
-- `versions.search_text`). This file keeps the two dialects' migration versions in lockstep.
SELECT 1;
