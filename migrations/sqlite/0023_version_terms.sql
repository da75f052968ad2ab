-- The facet terms of each version as rows, with a count per term, so that the lookup's scan
-- on SQLite starts from the versions of its rarest filter (issue 16). PostgreSQL intersects
-- every facet filter in one GIN index over `versions.facets`; SQLite has no index over the
-- JSON array, and its planner, guessing the same size for every `IN (subquery)`, drove a
-- five-field lookup from all 100,000 versions. `version_terms` holds one row per term of
-- `versions.facets` (a primary key in term order, so a term's versions are one range) and
-- `version_term_counts` how many versions have each term; both follow `facets` through the
-- triggers below (a version's terms change only when it is inserted, deleted, or a
-- migration rewrites `facets`).
-- SQLite only: migrations/postgres/0023_version_terms.sql is a no-op, and the dialect parity
-- test lists these tables as SQLite's own.
CREATE TABLE version_terms (
    term        TEXT NOT NULL,
    version_id  INTEGER NOT NULL,
    PRIMARY KEY (term, version_id)
) WITHOUT ROWID;
CREATE TABLE version_term_counts (
    term      TEXT NOT NULL PRIMARY KEY,
    versions  INTEGER NOT NULL
) WITHOUT ROWID;

INSERT INTO version_terms (term, version_id)
    SELECT DISTINCT j.value, v.id FROM versions v, json_each(v.facets) j;
INSERT INTO version_term_counts (term, versions)
    SELECT term, COUNT(*) FROM version_terms GROUP BY term;

CREATE TRIGGER version_terms_insert AFTER INSERT ON versions BEGIN
    INSERT OR IGNORE INTO version_terms (term, version_id)
        SELECT DISTINCT value, new.id FROM json_each(new.facets);
    INSERT INTO version_term_counts (term, versions)
        SELECT DISTINCT value, 1 FROM json_each(new.facets) WHERE TRUE
        ON CONFLICT (term) DO UPDATE SET versions = versions + 1;
END;
CREATE TRIGGER version_terms_delete AFTER DELETE ON versions BEGIN
    UPDATE version_term_counts SET versions = versions - 1
        WHERE term IN (SELECT value FROM json_each(old.facets));
    DELETE FROM version_terms WHERE version_id = old.id AND term IN (SELECT value FROM json_each(old.facets));
END;
CREATE TRIGGER version_terms_update AFTER UPDATE OF facets ON versions BEGIN
    UPDATE version_term_counts SET versions = versions - 1
        WHERE term IN (SELECT value FROM json_each(old.facets));
    DELETE FROM version_terms WHERE version_id = old.id AND term IN (SELECT value FROM json_each(old.facets));
    INSERT OR IGNORE INTO version_terms (term, version_id)
        SELECT DISTINCT value, new.id FROM json_each(new.facets);
    INSERT INTO version_term_counts (term, versions)
        SELECT DISTINCT value, 1 FROM json_each(new.facets) WHERE TRUE
        ON CONFLICT (term) DO UPDATE SET versions = versions + 1;
END;
