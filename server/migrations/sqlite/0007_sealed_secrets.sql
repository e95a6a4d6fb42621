-- The server's own secrets sealed at rest under the key-encryption key (docs/protocol.md §5.3):
-- `sealed` says whether a value is sealed; a server with a KEK seals the plain ones it finds at start.
ALTER TABLE signing_keys ADD COLUMN sealed INTEGER NOT NULL DEFAULT 0 CHECK (sealed IN (0, 1));

-- server_secrets' size check depends on `sealed` now: rebuilt (SQLite cannot change a CHECK in place;
-- no foreign key refers to this table).
CREATE TABLE server_secrets_sealed (
    name       TEXT PRIMARY KEY,
    secret     BLOB NOT NULL,
    sealed     INTEGER NOT NULL DEFAULT 0 CHECK (sealed IN (0, 1)),
    created_at INTEGER NOT NULL,
    CHECK (length(secret) = CASE sealed WHEN 0 THEN 32 ELSE 61 END)
);
INSERT INTO server_secrets_sealed (name, secret, created_at) SELECT name, secret, created_at FROM server_secrets;
DROP TABLE server_secrets;
ALTER TABLE server_secrets_sealed RENAME TO server_secrets;
