-- Email verification by mail (docs/protocol.md §3.16).
-- - An app may require a verified email to sign in.
-- - One live verification per user: the hashes of the link's token and of the code (never the token or
--   the code), the address it was sent to (a changed email makes it void), its expiry, the wrong codes
--   tried, and when it was used (single use: set once, by a conditional update).
ALTER TABLE apps ADD COLUMN require_verified_email INTEGER NOT NULL DEFAULT 0 CHECK (require_verified_email IN (0, 1));
CREATE TABLE email_verifications (
    user_id       TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    email         TEXT NOT NULL,
    token_hash    BLOB NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    code_hash     BLOB NOT NULL CHECK (length(code_hash) = 32),
    wrong_codes   INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    used_at       INTEGER
);
