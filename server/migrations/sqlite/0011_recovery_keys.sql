-- Recovery keys (docs/protocol.md §3.19): per user, the salt of the recovery key's HKDF, the public
-- recovery login key, and the seed wrapped under the recovery backup key, all set together (or none).
-- None of it opens anything without the 128-bit key the user wrote down.
ALTER TABLE users ADD COLUMN recovery_salt BLOB CHECK (recovery_salt IS NULL OR length(recovery_salt) = 16);
ALTER TABLE users ADD COLUMN recovery_login_public_key BLOB
    CHECK (recovery_login_public_key IS NULL OR length(recovery_login_public_key) = 32);
ALTER TABLE users ADD COLUMN recovery_backup_nonce BLOB
    CHECK (recovery_backup_nonce IS NULL OR length(recovery_backup_nonce) = 12);
ALTER TABLE users ADD COLUMN recovery_backup_ciphertext BLOB
    CHECK (recovery_backup_ciphertext IS NULL OR length(recovery_backup_ciphertext) = 48);
ALTER TABLE users ADD COLUMN recovery_created_at INTEGER;
