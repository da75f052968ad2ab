-- Memory facts of a version, for the lookup's fits_memory filter (issue 14 part 1): the
-- weights' bytes and the KV-cache shape per token (elements of full-context layers, of
-- sliding-window layers, the window, bits per element). A row exists when the weight bytes
-- are known; the KV columns are NULL when the files give no attention shape.
--
-- Not filled for versions published earlier: the KV-cache shape comes from config.json or
-- GGUF headers, which SQL cannot read. Those versions have no memory estimate (they do not
-- match fits_memory, and `show` says "unknown") until published again under a new version.
CREATE TABLE version_memory (
    version_id          BIGINT PRIMARY KEY REFERENCES versions (id) ON DELETE CASCADE,
    weight_bytes        BIGINT NOT NULL,
    kv_full_elements    BIGINT,
    kv_window_elements  BIGINT,
    kv_window           BIGINT,
    kv_bits             BIGINT
);
