-- sealbase companion server on PostgreSQL, schema v1: the same tables and meaning as the SQLite schema
-- (migrations/sqlite/0001..0004). Stores only what clients may reveal: no password, no
-- password-equivalent, no plaintext seed, no session secret (only its SHA-256). Times are Unix ms.

CREATE TABLE apps (
    id                  TEXT PRIMARY KEY,
    name                TEXT NOT NULL,
    admin_token_hash    BYTEA NOT NULL UNIQUE CHECK (octet_length(admin_token_hash) = 32),
    password_min_length INTEGER NOT NULL DEFAULT 8 CHECK (password_min_length BETWEEN 1 AND 1000),
    allowed_origins     TEXT NOT NULL DEFAULT '[]',
    user_quota          BIGINT CHECK (user_quota IS NULL OR user_quota >= 0),
    user_count          BIGINT NOT NULL DEFAULT 0,
    payments_mode       TEXT NOT NULL DEFAULT 'disabled' CHECK (payments_mode IN ('disabled', 'test', 'prod')),
    trial_days          BIGINT CHECK (trial_days IS NULL OR trial_days >= 0),
    token_lifetime_secs INTEGER NOT NULL DEFAULT 3600 CHECK (token_lifetime_secs BETWEEN 60 AND 86400),
    created_at          BIGINT NOT NULL
);

CREATE TABLE users (
    id                           TEXT PRIMARY KEY,
    app_id                       TEXT NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    username                     TEXT NOT NULL,
    email                        TEXT,
    profile                      TEXT,
    kdf_algorithm                TEXT NOT NULL CHECK (kdf_algorithm = 'scrypt'),
    kdf_log_n                    INTEGER NOT NULL CHECK (kdf_log_n BETWEEN 14 AND 20),
    kdf_r                        INTEGER NOT NULL CHECK (kdf_r BETWEEN 1 AND 16),
    kdf_p                        INTEGER NOT NULL CHECK (kdf_p BETWEEN 1 AND 4),
    kdf_salt                     BYTEA NOT NULL CHECK (octet_length(kdf_salt) = 16),
    login_public_key             BYTEA NOT NULL CHECK (octet_length(login_public_key) = 32),
    seed_backup_nonce            BYTEA NOT NULL CHECK (octet_length(seed_backup_nonce) = 12),
    seed_backup_ciphertext       BYTEA NOT NULL CHECK (octet_length(seed_backup_ciphertext) = 48),
    identity_signing_public_key  BYTEA NOT NULL CHECK (octet_length(identity_signing_public_key) = 32),
    identity_exchange_public_key BYTEA NOT NULL CHECK (octet_length(identity_exchange_public_key) = 32),
    created_at                   BIGINT NOT NULL,
    trial_expires_at             BIGINT,
    CONSTRAINT users_username_unique UNIQUE (app_id, username)
);

CREATE TABLE sessions (
    id                   TEXT PRIMARY KEY,
    user_id              TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    secret_hash          BYTEA NOT NULL UNIQUE CHECK (octet_length(secret_hash) = 32),
    remember_me          TEXT NOT NULL CHECK (remember_me IN ('local', 'session', 'none')),
    session_length_hours DOUBLE PRECISION NOT NULL,
    created_at           BIGINT NOT NULL,
    expires_at           BIGINT NOT NULL,
    revoked_at           BIGINT
);
CREATE INDEX sessions_by_user ON sessions (user_id);

CREATE TABLE signing_keys (
    kid           TEXT PRIMARY KEY,
    private_key   BYTEA NOT NULL,
    public_key    BYTEA NOT NULL CHECK (octet_length(public_key) = 32),
    created_at    BIGINT NOT NULL,
    retired_at    BIGINT,
    publish_until BIGINT
);
CREATE UNIQUE INDEX signing_keys_one_in_use ON signing_keys ((retired_at IS NULL)) WHERE retired_at IS NULL;

CREATE TABLE server_secrets (
    name       TEXT PRIMARY KEY,
    secret     BYTEA NOT NULL CHECK (octet_length(secret) = 32),
    created_at BIGINT NOT NULL
);

CREATE TABLE used_challenges (
    nonce      BYTEA PRIMARY KEY,
    expires_at BIGINT NOT NULL
);
CREATE INDEX used_challenges_by_expiry ON used_challenges (expires_at);

CREATE TABLE sign_in_failures (
    app_id       TEXT NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    username     TEXT NOT NULL,
    failures     BIGINT NOT NULL,
    locked_until BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    PRIMARY KEY (app_id, username)
);
