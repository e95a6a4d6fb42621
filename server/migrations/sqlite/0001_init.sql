-- sealbase companion server, schema v1. Stores only what clients may reveal: no password, no
-- password-equivalent, no plaintext seed, no session secret (only its SHA-256). Times are Unix ms.

CREATE TABLE apps (
    id                  TEXT PRIMARY KEY,              -- UUID, the public appId
    name                TEXT NOT NULL,
    admin_token_hash    BLOB NOT NULL UNIQUE,          -- SHA-256 of the admin access token
    password_min_length INTEGER NOT NULL DEFAULT 8 CHECK (password_min_length BETWEEN 1 AND 1000),
    allowed_origins     TEXT NOT NULL DEFAULT '[]',    -- JSON array; empty = any origin
    user_quota          INTEGER CHECK (user_quota IS NULL OR user_quota >= 0),
    user_count          INTEGER NOT NULL DEFAULT 0,    -- maintained in the sign-up transaction
    payments_mode       TEXT NOT NULL DEFAULT 'disabled' CHECK (payments_mode IN ('disabled', 'test', 'prod')),
    trial_days          INTEGER CHECK (trial_days IS NULL OR trial_days >= 0),
    created_at          INTEGER NOT NULL
);

CREATE TABLE users (
    id                           TEXT PRIMARY KEY,     -- UUID, the public userId
    app_id                       TEXT NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    username                     TEXT NOT NULL,        -- NFKC, lower-cased
    email                        TEXT,
    profile                      TEXT,                 -- JSON object
    kdf_algorithm                TEXT NOT NULL CHECK (kdf_algorithm = 'scrypt'),
    kdf_log_n                    INTEGER NOT NULL CHECK (kdf_log_n BETWEEN 14 AND 20),
    kdf_r                        INTEGER NOT NULL CHECK (kdf_r BETWEEN 1 AND 16),
    kdf_p                        INTEGER NOT NULL CHECK (kdf_p BETWEEN 1 AND 4),
    kdf_salt                     BLOB NOT NULL CHECK (length(kdf_salt) = 16),
    login_public_key             BLOB NOT NULL CHECK (length(login_public_key) = 32),
    seed_backup_nonce            BLOB NOT NULL CHECK (length(seed_backup_nonce) = 12),
    seed_backup_ciphertext       BLOB NOT NULL CHECK (length(seed_backup_ciphertext) = 48),
    identity_signing_public_key  BLOB NOT NULL CHECK (length(identity_signing_public_key) = 32),
    identity_exchange_public_key BLOB NOT NULL CHECK (length(identity_exchange_public_key) = 32),
    created_at                   INTEGER NOT NULL,
    trial_expires_at             INTEGER,
    UNIQUE (app_id, username)
);

CREATE TABLE sessions (
    id                   TEXT PRIMARY KEY,             -- UUID, the public sessionId (`sid`)
    user_id              TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    secret_hash          BLOB NOT NULL UNIQUE CHECK (length(secret_hash) = 32),
    remember_me          TEXT NOT NULL CHECK (remember_me IN ('local', 'session', 'none')),
    session_length_hours REAL NOT NULL,
    created_at           INTEGER NOT NULL,
    expires_at           INTEGER NOT NULL,
    revoked_at           INTEGER
);
CREATE INDEX sessions_by_user ON sessions (user_id);

CREATE TABLE signing_keys (
    kid         TEXT PRIMARY KEY,
    private_key BLOB NOT NULL,                         -- Ed25519, PKCS#8 DER
    public_key  BLOB NOT NULL CHECK (length(public_key) = 32),
    created_at  INTEGER NOT NULL,
    retired_at  INTEGER
);
