//! Users as stored, and as the SDK sees them.

use rusqlite::{Connection, OptionalExtension, Row};
use sealbase::crypto::{KdfAlgorithm, KdfParams, SeedBackup};
use sealbase::protocol::b64::Bytes;
use sealbase::protocol::User;
use sealbase::validate::Profile;

use crate::apps::App;
use crate::clock::iso;

/// A `users` row (without the identity keys, which no handler reads back yet).
#[derive(Debug, Clone)]
pub struct UserRow {
    /// userId.
    pub id: String,
    /// appId.
    pub app_id: String,
    /// Username.
    pub username: String,
    /// Email.
    pub email: Option<String>,
    /// Profile as JSON.
    pub profile: Option<String>,
    /// scrypt log2 N.
    pub kdf_log_n: i64,
    /// scrypt r.
    pub kdf_r: i64,
    /// scrypt p.
    pub kdf_p: i64,
    /// scrypt salt.
    pub kdf_salt: Vec<u8>,
    /// Ed25519 login public key.
    pub login_public_key: Vec<u8>,
    /// Seed-backup nonce.
    pub seed_backup_nonce: Vec<u8>,
    /// Seed-backup ciphertext.
    pub seed_backup_ciphertext: Vec<u8>,
    /// Creation time (Unix ms).
    pub created_at: i64,
    /// Trial end (Unix ms).
    pub trial_expires_at: Option<i64>,
}

/// `SELECT` of the columns [`UserRow::from_row`] reads, in its order, with a `WHERE` clause.
macro_rules! select_user {
    ($where:literal) => {
        concat!(
            "SELECT id, app_id, username, email, profile, kdf_log_n, kdf_r, kdf_p, kdf_salt, login_public_key, ",
            "seed_backup_nonce, seed_backup_ciphertext, created_at, trial_expires_at FROM users WHERE ",
            $where
        )
    };
}

impl UserRow {
    /// The user named `username` in `app_id`.
    pub fn by_username(db: &Connection, app_id: &str, username: &str) -> rusqlite::Result<Option<Self>> {
        db.prepare_cached(select_user!("app_id = ? AND username = ?"))?
            .query_row([app_id, username], Self::from_row)
            .optional()
    }

    /// The user with id `user_id`.
    pub fn by_id(db: &Connection, user_id: &str) -> rusqlite::Result<Option<Self>> {
        db.prepare_cached(select_user!("id = ?"))?.query_row([user_id], Self::from_row).optional()
    }

    /// A row selected with `select_user!`.
    fn from_row(row: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: row.get(0)?,
            app_id: row.get(1)?,
            username: row.get(2)?,
            email: row.get(3)?,
            profile: row.get(4)?,
            kdf_log_n: row.get(5)?,
            kdf_r: row.get(6)?,
            kdf_p: row.get(7)?,
            kdf_salt: row.get(8)?,
            login_public_key: row.get(9)?,
            seed_backup_nonce: row.get(10)?,
            seed_backup_ciphertext: row.get(11)?,
            created_at: row.get(12)?,
            trial_expires_at: row.get(13)?,
        })
    }

    /// The stored KDF parameters (the table's CHECK constraints keep them in range).
    pub fn kdf_params(&self) -> Option<KdfParams> {
        Some(KdfParams {
            algorithm: KdfAlgorithm::Scrypt,
            log_n: u8::try_from(self.kdf_log_n).ok()?,
            r: u32::try_from(self.kdf_r).ok()?,
            p: u32::try_from(self.kdf_p).ok()?,
            salt: Bytes(self.kdf_salt.as_slice().try_into().ok()?),
        })
    }

    /// Checks an Ed25519 signature by the user's login key (strict verification: no malleable forms).
    pub fn login_signature_valid(&self, message: &[u8], signature: &Bytes<64>) -> bool {
        let Ok(key_bytes) = <[u8; 32]>::try_from(self.login_public_key.as_slice()) else { return false };
        let Ok(key) = ed25519_dalek::VerifyingKey::from_bytes(&key_bytes) else { return false };
        key.verify_strict(message, &ed25519_dalek::Signature::from_bytes(&signature.0)).is_ok()
    }

    /// Whether the account still has this row's username and login key (in the caller's transaction),
    /// so a signature checked against this earlier read proves the password the account has now.
    pub fn login_unchanged(&self, tx: &rusqlite::Transaction<'_>) -> rusqlite::Result<bool> {
        tx.prepare_cached("SELECT EXISTS (SELECT 1 FROM users WHERE id = ? AND username = ? AND login_public_key = ?)")?
            .query_row((&self.id, &self.username, &self.login_public_key), |row| row.get(0))
    }

    /// The same work as [`UserRow::login_signature_valid`] for a username that does not exist; always
    /// false.
    pub fn decoy_signature_check(message: &[u8], signature: &Bytes<64>) -> bool {
        // A fixed, valid public key (derived once from a public constant; it guards nothing).
        static DECOY: std::sync::LazyLock<ed25519_dalek::VerifyingKey> =
            std::sync::LazyLock::new(|| ed25519_dalek::SigningKey::from_bytes(&[0x5e; 32]).verifying_key());
        let _ = DECOY.verify_strict(message, &ed25519_dalek::Signature::from_bytes(&signature.0));
        false
    }

    /// The encrypted seed.
    pub fn seed_backup(&self) -> Option<SeedBackup> {
        Some(SeedBackup {
            nonce: Bytes(self.seed_backup_nonce.as_slice().try_into().ok()?),
            ciphertext: Bytes(self.seed_backup_ciphertext.as_slice().try_into().ok()?),
        })
    }

    /// The user as the SDK returns it.
    pub fn to_user(&self, app: &App, auth_token: String) -> User {
        User {
            username: self.username.clone(),
            user_id: self.id.clone(),
            auth_token,
            creation_date: iso(self.created_at),
            email: self.email.clone(),
            profile: self.profile.as_deref().and_then(|json| serde_json::from_str::<Profile>(json).ok()),
            payments_mode: app.payments_mode(),
            trial_expiration_date: self.trial_expires_at.map(iso),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_login_read_earlier_is_unchanged_until_its_key_or_name_changes_or_the_user_goes() {
        let (_dir, db) = crate::db::fixture_with_user();
        let read = db.read(|c| UserRow::by_id(c, "u1")).expect("read").expect("user");
        let unchanged = || db.write_blocking(|tx| read.login_unchanged(tx)).expect("query");
        let change = |sql: &str| db.write_blocking(|tx| tx.execute_batch(sql)).expect("change");
        assert!(unchanged());
        change("UPDATE users SET email = 'ada@example.com' WHERE id = 'u1'");
        assert!(unchanged(), "other fields do not matter");
        change("UPDATE users SET login_public_key = randomblob(32) WHERE id = 'u1'");
        assert!(!unchanged(), "a password change");
        change("UPDATE users SET login_public_key = zeroblob(32), username = 'bob' WHERE id = 'u1'");
        assert!(!unchanged(), "a rename");
        change("UPDATE users SET username = 'ada' WHERE id = 'u1'");
        assert!(unchanged());
        change("DELETE FROM users WHERE id = 'u1'");
        assert!(!unchanged(), "a deletion");
    }
}
