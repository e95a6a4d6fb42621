-- Accounts an app's backend creates (docs/protocol.md §3.13–3.14) and seed 001's user record.
-- - A pending account has no keys until its first sign-in from a client: the key columns are NULL (all
--   of them or none), and its verifier is kept in pending_logins meanwhile.
-- - An email belongs to one user per app: email_key holds it for uniqueness. Users that shared an email
--   before this migration keep their emails; only the oldest of them holds the key.
-- - Seed 001's fields: the OpenID Connect profile (claims, JSON), name, picture, phone number, flags,
--   metadata (JSON) and identities (their own table).
-- users is rebuilt (SQLite cannot drop NOT NULL in place); the server runs migrations with foreign keys
-- off and checks them before committing, so sessions keep pointing at their users.
CREATE TABLE users_v8 (
    id                           TEXT PRIMARY KEY,
    app_id                       TEXT NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    username                     TEXT NOT NULL,
    email                        TEXT,
    email_key                    TEXT,
    profile                      TEXT,
    kdf_algorithm                TEXT CHECK (kdf_algorithm = 'scrypt'),
    kdf_log_n                    INTEGER CHECK (kdf_log_n BETWEEN 14 AND 20),
    kdf_r                        INTEGER CHECK (kdf_r BETWEEN 1 AND 16),
    kdf_p                        INTEGER CHECK (kdf_p BETWEEN 1 AND 4),
    kdf_salt                     BLOB CHECK (length(kdf_salt) = 16),
    login_public_key             BLOB CHECK (length(login_public_key) = 32),
    seed_backup_nonce            BLOB CHECK (length(seed_backup_nonce) = 12),
    seed_backup_ciphertext       BLOB CHECK (length(seed_backup_ciphertext) = 48),
    identity_signing_public_key  BLOB CHECK (length(identity_signing_public_key) = 32),
    identity_exchange_public_key BLOB CHECK (length(identity_exchange_public_key) = 32),
    created_at                   INTEGER NOT NULL,
    trial_expires_at             INTEGER,
    name                         TEXT,
    picture                      TEXT,
    phone_number                 TEXT,
    phone_number_verified        INTEGER NOT NULL DEFAULT 0 CHECK (phone_number_verified IN (0, 1)),
    email_verified               INTEGER NOT NULL DEFAULT 0 CHECK (email_verified IN (0, 1)),
    verify_email                 INTEGER NOT NULL DEFAULT 0 CHECK (verify_email IN (0, 1)),
    blocked                      INTEGER NOT NULL DEFAULT 0 CHECK (blocked IN (0, 1)),
    login_attempts               INTEGER NOT NULL DEFAULT 0 CHECK (login_attempts BETWEEN 0 AND 20000),
    claims                       TEXT,
    metadata                     TEXT,
    password_seen_by_server      INTEGER NOT NULL DEFAULT 0 CHECK (password_seen_by_server IN (0, 1)),
    CHECK ((kdf_algorithm IS NULL) + (kdf_log_n IS NULL) + (kdf_r IS NULL) + (kdf_p IS NULL) + (kdf_salt IS NULL)
           + (login_public_key IS NULL) + (seed_backup_nonce IS NULL) + (seed_backup_ciphertext IS NULL)
           + (identity_signing_public_key IS NULL) + (identity_exchange_public_key IS NULL) IN (0, 10)),
    CHECK (email_key IS NULL OR email_key = email),
    UNIQUE (app_id, username),
    UNIQUE (app_id, email_key)
);
INSERT INTO users_v8 (id, app_id, username, email, email_key, profile, kdf_algorithm, kdf_log_n, kdf_r, kdf_p,
                      kdf_salt, login_public_key, seed_backup_nonce, seed_backup_ciphertext,
                      identity_signing_public_key, identity_exchange_public_key, created_at, trial_expires_at)
SELECT u.id, u.app_id, u.username, u.email,
       CASE WHEN u.email IS NOT NULL AND NOT EXISTS (
           SELECT 1 FROM users o WHERE o.app_id = u.app_id AND o.email = u.email
                                   AND (o.created_at < u.created_at OR (o.created_at = u.created_at AND o.id < u.id))
       ) THEN u.email END,
       u.profile, u.kdf_algorithm, u.kdf_log_n, u.kdf_r, u.kdf_p, u.kdf_salt, u.login_public_key,
       u.seed_backup_nonce, u.seed_backup_ciphertext, u.identity_signing_public_key,
       u.identity_exchange_public_key, u.created_at, u.trial_expires_at
FROM users u;
DROP TABLE users;
ALTER TABLE users_v8 RENAME TO users;

-- A pending account's verifier: the legacy hash's parameters (JSON, as pre-login answers them) and the
-- public key derived from the legacy hash. Deleted by the first sign-in that registers keys.
CREATE TABLE pending_logins (
    user_id    TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    params     TEXT NOT NULL,
    public_key BLOB NOT NULL CHECK (length(public_key) = 32),
    created_at INTEGER NOT NULL
);

-- Seed 001's identities[]: an identity (provider, id) belongs to one user per app.
CREATE TABLE identities (
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    app_id      TEXT NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    connection  TEXT NOT NULL,
    provider    TEXT NOT NULL,
    type        TEXT NOT NULL,
    external_id TEXT,
    details     TEXT NOT NULL,
    PRIMARY KEY (user_id, position)
);
CREATE UNIQUE INDEX identities_unique ON identities (app_id, provider, external_id) WHERE external_id IS NOT NULL;
