-- The server's own secrets sealed at rest under the key-encryption key (as
-- migrations/sqlite/0007_sealed_secrets.sql).
ALTER TABLE signing_keys ADD COLUMN sealed BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE server_secrets DROP CONSTRAINT server_secrets_secret_check;
ALTER TABLE server_secrets ADD COLUMN sealed BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE server_secrets ADD CONSTRAINT server_secrets_secret_size
    CHECK (octet_length(secret) = CASE WHEN sealed THEN 61 ELSE 32 END);
