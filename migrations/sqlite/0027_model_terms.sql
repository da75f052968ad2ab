-- Nothing to do on SQLite: migrations/postgres/0027_model_terms.sql gives PostgreSQL each
-- model's terms for finding candidate models; SQLite's lookup starts from the versions of the
-- rarest term (0023). This file keeps the two dialects' migration versions in lockstep.
SELECT 1;
