-- Recovery keys: the same columns and meaning as migrations/sqlite/0011_recovery_keys.sql, set together
-- or not at all.
ALTER TABLE users
    ADD COLUMN recovery_salt BYTEA CHECK (length(recovery_salt) = 16),
    ADD COLUMN recovery_login_public_key BYTEA CHECK (length(recovery_login_public_key) = 32),
    ADD COLUMN recovery_backup_nonce BYTEA CHECK (length(recovery_backup_nonce) = 12),
    ADD COLUMN recovery_backup_ciphertext BYTEA CHECK (length(recovery_backup_ciphertext) = 48),
    ADD COLUMN recovery_created_at BIGINT,
    ADD CONSTRAINT users_recovery_whole CHECK (
        (recovery_salt IS NULL) = (recovery_login_public_key IS NULL)
        AND (recovery_salt IS NULL) = (recovery_backup_nonce IS NULL)
        AND (recovery_salt IS NULL) = (recovery_backup_ciphertext IS NULL)
        AND (recovery_salt IS NULL) = (recovery_created_at IS NULL)
    );
