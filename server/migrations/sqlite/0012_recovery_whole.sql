-- A recovery key is registered whole or not at all, as PostgreSQL's users_recovery_whole constraint
-- says (migrations/postgres/0010). SQLite cannot add a CHECK to an existing table, so triggers refuse
-- any row that has some of the five columns and not the others.
CREATE TRIGGER users_recovery_whole_insert BEFORE INSERT ON users
WHEN NOT ((NEW.recovery_salt IS NULL) = (NEW.recovery_login_public_key IS NULL)
      AND (NEW.recovery_salt IS NULL) = (NEW.recovery_backup_nonce IS NULL)
      AND (NEW.recovery_salt IS NULL) = (NEW.recovery_backup_ciphertext IS NULL)
      AND (NEW.recovery_salt IS NULL) = (NEW.recovery_created_at IS NULL))
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: users_recovery_whole');
END;

CREATE TRIGGER users_recovery_whole_update BEFORE UPDATE OF recovery_salt, recovery_login_public_key,
    recovery_backup_nonce, recovery_backup_ciphertext, recovery_created_at ON users
WHEN NOT ((NEW.recovery_salt IS NULL) = (NEW.recovery_login_public_key IS NULL)
      AND (NEW.recovery_salt IS NULL) = (NEW.recovery_backup_nonce IS NULL)
      AND (NEW.recovery_salt IS NULL) = (NEW.recovery_backup_ciphertext IS NULL)
      AND (NEW.recovery_salt IS NULL) = (NEW.recovery_created_at IS NULL))
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: users_recovery_whole');
END;
