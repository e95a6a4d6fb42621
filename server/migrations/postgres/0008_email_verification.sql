-- Email verification by mail: the same tables and meaning as migrations/sqlite/0010_email_verification.sql.
ALTER TABLE apps ADD COLUMN require_verified_email BOOLEAN NOT NULL DEFAULT false;
CREATE TABLE email_verifications (
    user_id       TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    email         TEXT NOT NULL,
    token_hash    BYTEA NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    code_hash     BYTEA NOT NULL CHECK (length(code_hash) = 32),
    wrong_codes   INTEGER NOT NULL DEFAULT 0,
    created_at    BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL,
    used_at       BIGINT
);
