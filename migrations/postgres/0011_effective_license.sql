-- Effective licence through lineage (issue 14 part 2): every base a version names (one for
-- a fine-tune, several for a merge) in `version_bases`, and the licence after the chain of
-- bases in typed, indexed columns on `versions`. The registry recomputes them at publish,
-- for the version and for its derivatives.
CREATE TABLE version_bases (
    version_id      BIGINT NOT NULL REFERENCES versions (id) ON DELETE CASCADE,
    position        INTEGER NOT NULL,
    base_namespace  TEXT NOT NULL,
    base_name       TEXT NOT NULL,
    base_version    TEXT,
    -- The base's licence as the derivative's card states it (for a base outside the registry).
    declared_license TEXT,
    PRIMARY KEY (version_id, position)
);
CREATE INDEX version_bases_base_idx ON version_bases (base_namespace, base_name, version_id);

-- Existing versions named at most one base, in the search columns of 0002; its stated
-- licence did not exist yet.
INSERT INTO version_bases (version_id, position, base_namespace, base_name, base_version)
SELECT id, 0, base_namespace, base_name, base_version FROM versions
WHERE base_namespace IS NOT NULL AND base_name IS NOT NULL;

ALTER TABLE versions
    ADD COLUMN effective_license_class  TEXT NOT NULL DEFAULT 'unknown',
    ADD COLUMN effective_commercial_use TEXT NOT NULL DEFAULT 'unknown',
    ADD COLUMN license_conflicts        TEXT NOT NULL DEFAULT '[]',
    ADD COLUMN has_license_conflicts    BOOLEAN NOT NULL DEFAULT FALSE,
    -- True while the effective columns wait for the registry to compute them (set here for
    -- versions with a base, whose chain SQL alone cannot fold; cleared at start-up).
    ADD COLUMN effective_stale          BOOLEAN NOT NULL DEFAULT FALSE;

-- A version without a base is its own chain: exact, no need to wait.
UPDATE versions SET effective_license_class = license_class, effective_commercial_use = commercial_use
WHERE base_namespace IS NULL;
UPDATE versions SET effective_stale = TRUE WHERE base_namespace IS NOT NULL;

CREATE INDEX versions_effective_license_class_idx ON versions (effective_license_class);
CREATE INDEX versions_effective_commercial_use_idx ON versions (effective_commercial_use);
CREATE INDEX versions_has_license_conflicts_idx ON versions (has_license_conflicts) WHERE has_license_conflicts;
CREATE INDEX versions_effective_stale_idx ON versions (id) WHERE effective_stale;
