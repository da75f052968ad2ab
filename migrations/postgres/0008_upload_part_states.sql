-- A part's sha256 becomes the digest of the blob's prefix through that part, and the part
-- keeps the running sha256 state from before it: a repeated part is checked by hashing it
-- on from that state, so a new part is hashed once (as part of the blob), not twice.
-- NULL for parts recorded before this migration, whose sha256 is of the part alone.
ALTER TABLE upload_parts ADD COLUMN state_before BYTEA;
