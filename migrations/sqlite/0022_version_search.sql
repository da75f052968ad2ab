-- Free text of the lookup (`q=`) through an index on SQLite (issue 16). Each word of `q` must
-- be a substring of `versions.search_text` (LIKE '%word%'); PostgreSQL serves that from a
-- trigram index, SQLite's core has none, so every lookup with `q` read every version.
-- `version_search` is an FTS5 table with the trigram tokenizer over the same column (external
-- content: it stores only the index, and reads the text from `versions`), kept in step by the
-- triggers below. A phrase query matches every row that contains the word (with case folded),
-- a superset of LIKE's matches: the lookup keeps the LIKE as the exact test.
-- SQLite only: migrations/postgres/0022_version_search.sql is a no-op, and the dialect parity
-- test lists this table as SQLite's own.
CREATE VIRTUAL TABLE version_search USING fts5 (
    search_text, content = 'versions', content_rowid = 'id', tokenize = 'trigram'
);
INSERT INTO version_search (version_search) VALUES ('rebuild');

CREATE TRIGGER version_search_insert AFTER INSERT ON versions BEGIN
    INSERT INTO version_search (rowid, search_text) VALUES (new.id, new.search_text);
END;
CREATE TRIGGER version_search_delete AFTER DELETE ON versions BEGIN
    INSERT INTO version_search (version_search, rowid, search_text) VALUES ('delete', old.id, old.search_text);
END;
CREATE TRIGGER version_search_update AFTER UPDATE OF search_text ON versions BEGIN
    INSERT INTO version_search (version_search, rowid, search_text) VALUES ('delete', old.id, old.search_text);
    INSERT INTO version_search (rowid, search_text) VALUES (new.id, new.search_text);
END;
