-- Named secrets an app's backend authenticates with on the server-side APIs (as
-- migrations/sqlite/0005_app_secrets.sql).
CREATE TABLE app_secrets (
    id           TEXT PRIMARY KEY,
    app_id       TEXT NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    secret_hash  BYTEA NOT NULL CHECK (octet_length(secret_hash) = 32),
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at   BIGINT
);
CREATE UNIQUE INDEX app_secrets_live_name ON app_secrets (app_id, name) WHERE revoked_at IS NULL;
