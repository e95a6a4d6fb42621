-- Named secrets an app's backend authenticates with on the server-side APIs: several live at once, so a
-- backend can rotate. Only a SHA-256 of each secret is kept, beside the public id it is looked up by.
CREATE TABLE app_secrets (
    id           TEXT PRIMARY KEY,
    app_id       TEXT NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    secret_hash  BLOB NOT NULL CHECK (length(secret_hash) = 32),
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at   INTEGER
);
-- A name belongs to one live secret of an app at a time.
CREATE UNIQUE INDEX app_secrets_live_name ON app_secrets (app_id, name) WHERE revoked_at IS NULL;
