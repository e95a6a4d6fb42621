-- Accounts an app's backend creates and seed 001's user record: the same tables and meaning as
-- migrations/sqlite/0008_pending_accounts.sql (see there).
ALTER TABLE users
    ALTER COLUMN kdf_algorithm DROP NOT NULL,
    ALTER COLUMN kdf_log_n DROP NOT NULL,
    ALTER COLUMN kdf_r DROP NOT NULL,
    ALTER COLUMN kdf_p DROP NOT NULL,
    ALTER COLUMN kdf_salt DROP NOT NULL,
    ALTER COLUMN login_public_key DROP NOT NULL,
    ALTER COLUMN seed_backup_nonce DROP NOT NULL,
    ALTER COLUMN seed_backup_ciphertext DROP NOT NULL,
    ALTER COLUMN identity_signing_public_key DROP NOT NULL,
    ALTER COLUMN identity_exchange_public_key DROP NOT NULL,
    ADD COLUMN email_key TEXT,
    ADD COLUMN name TEXT,
    ADD COLUMN picture TEXT,
    ADD COLUMN phone_number TEXT,
    ADD COLUMN phone_number_verified BOOLEAN NOT NULL DEFAULT false,
    ADD COLUMN email_verified BOOLEAN NOT NULL DEFAULT false,
    ADD COLUMN verify_email BOOLEAN NOT NULL DEFAULT false,
    ADD COLUMN blocked BOOLEAN NOT NULL DEFAULT false,
    ADD COLUMN login_attempts INTEGER NOT NULL DEFAULT 0 CHECK (login_attempts BETWEEN 0 AND 20000),
    ADD COLUMN claims TEXT,
    ADD COLUMN metadata TEXT,
    ADD COLUMN password_seen_by_server BOOLEAN NOT NULL DEFAULT false,
    ADD CONSTRAINT users_keys_all_or_none CHECK (num_nulls(kdf_algorithm, kdf_log_n, kdf_r, kdf_p, kdf_salt,
        login_public_key, seed_backup_nonce, seed_backup_ciphertext, identity_signing_public_key,
        identity_exchange_public_key) IN (0, 10)),
    ADD CONSTRAINT users_email_key_is_email CHECK (email_key IS NULL OR email_key = email);
UPDATE users u SET email_key = u.email
WHERE u.email IS NOT NULL AND NOT EXISTS (
    SELECT 1 FROM users o WHERE o.app_id = u.app_id AND o.email = u.email
                            AND (o.created_at < u.created_at OR (o.created_at = u.created_at AND o.id < u.id))
);
ALTER TABLE users ADD CONSTRAINT users_email_unique UNIQUE (app_id, email_key);

CREATE TABLE pending_logins (
    user_id    TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    params     TEXT NOT NULL,
    public_key BYTEA NOT NULL CHECK (octet_length(public_key) = 32),
    created_at BIGINT NOT NULL
);

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
