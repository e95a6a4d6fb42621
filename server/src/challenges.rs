//! Stateless, server-MACed sign-in challenges and deterministic fake salts. Issuing a challenge writes
//! nothing; spending one records its nonce so it cannot be replayed.

use hmac::{Hmac, KeyInit, Mac};
use rusqlite::{OptionalExtension, Transaction};
use sealbase::crypto::{KdfAlgorithm, KdfParams};
use sealbase::protocol::b64::Bytes;
use sealbase::protocol::CHALLENGE_LEN;
use sealbase::Error;
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::clock::now_ms;
use crate::db::Database;
use crate::error::{or_if_duplicate, ApiResult};

/// How long a challenge stays valid.
pub const CHALLENGE_LIFETIME_MS: i64 = 120_000;

/// The server's MAC key. Loaded from the database; never leaves the process.
pub struct ServerSecret(Zeroizing<[u8; 32]>);

impl std::fmt::Debug for ServerSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ServerSecret(<redacted>)")
    }
}

impl ServerSecret {
    /// Loads the secret, creating it on first start.
    pub async fn load_or_create(db: &Database) -> anyhow::Result<Self> {
        let mut fresh = Zeroizing::new([0u8; 32]);
        sealbase::crypto::random::fill(fresh.as_mut());
        // INSERT OR IGNORE + SELECT: two servers starting together agree on one secret.
        let stored: Zeroizing<Vec<u8>> = db
            .write(|tx| {
                tx.execute(
                    "INSERT OR IGNORE INTO server_secrets (name, secret, created_at) VALUES ('challenge-mac', ?, ?)",
                    (fresh.as_slice(), now_ms()),
                )?;
                tx.query_row("SELECT secret FROM server_secrets WHERE name = 'challenge-mac'", [], |row| row.get(0))
                    .map(Zeroizing::new)
            })
            .await?;
        let mut secret = Zeroizing::new([0u8; 32]);
        anyhow::ensure!(stored.len() == secret.len(), "stored challenge MAC key has the wrong length");
        secret.copy_from_slice(&stored);
        Ok(Self(secret))
    }

    fn mac(&self, parts: &[&[u8]]) -> Hmac<Sha256> {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(self.0.as_slice())
            .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
        for part in parts {
            mac.update(&(part.len() as u32).to_be_bytes());
            mac.update(part);
        }
        mac
    }

    /// A fresh challenge for `username` in `app_id`: nonce ‖ expiry ‖ MAC.
    pub fn issue_challenge(&self, app_id: &str, username: &str) -> Bytes<CHALLENGE_LEN> {
        let mut challenge = [0u8; CHALLENGE_LEN];
        sealbase::crypto::random::fill(&mut challenge[..16]);
        challenge[16..24].copy_from_slice(&(now_ms() + CHALLENGE_LIFETIME_MS).to_be_bytes());
        let tag =
            self.mac(&[b"sealbase/v1/challenge", app_id.as_bytes(), username.as_bytes(), &challenge[..24]]).finalize();
        challenge[24..].copy_from_slice(&tag.into_bytes());
        Bytes(challenge)
    }

    /// Checks a challenge's MAC (constant time), binding and expiry; returns its nonce and expiry.
    pub fn check_challenge(
        &self,
        challenge: &Bytes<CHALLENGE_LEN>,
        app_id: &str,
        username: &str,
    ) -> ApiResult<([u8; 16], i64)> {
        let bytes = &challenge.0;
        self.mac(&[b"sealbase/v1/challenge", app_id.as_bytes(), username.as_bytes(), &bytes[..24]])
            .verify_slice(&bytes[24..])
            .map_err(|_| Error::ChallengeNotValid)?;
        let mut expiry = [0u8; 8];
        expiry.copy_from_slice(&bytes[16..24]);
        let expires_at = i64::from_be_bytes(expiry);
        if expires_at <= now_ms() {
            return Err(Error::ChallengeNotValid.into());
        }
        let mut nonce = [0u8; 16];
        nonce.copy_from_slice(&bytes[..16]);
        Ok((nonce, expires_at))
    }

    /// KDF parameters for a username that does not exist: the defaults with a salt that is a keyed MAC
    /// of app and username, so repeated pre-logins look exactly like a real user's.
    pub fn fake_kdf_params(&self, app_id: &str, username: &str) -> KdfParams {
        let tag = self.mac(&[b"sealbase/v1/fake-salt", app_id.as_bytes(), username.as_bytes()]).finalize().into_bytes();
        let mut salt = [0u8; 16];
        salt.copy_from_slice(&tag[..16]);
        KdfParams {
            algorithm: KdfAlgorithm::Scrypt,
            log_n: sealbase::crypto::password::DEFAULT_LOG_N,
            r: sealbase::crypto::password::DEFAULT_R,
            p: sealbase::crypto::password::DEFAULT_P,
            salt: Bytes(salt),
        }
    }
}

/// Spends a challenge in the caller's write transaction (the nonce's primary key makes a second use
/// fail in the database: `ChallengeNotValid`) and reads the end of `username`'s throttle delay.
pub fn spend(
    tx: &Transaction<'_>,
    nonce: &[u8; 16],
    expires_at: i64,
    app_id: &str,
    username: &str,
) -> ApiResult<Option<i64>> {
    // Checked again under the write lock: a request that waited for it past the expiry could otherwise
    // spend a nonce that another server's cleanup has already deleted as expired, i.e. replay it.
    if expires_at <= now_ms() {
        return Err(Error::ChallengeNotValid.into());
    }
    let spent = tx
        .prepare_cached("INSERT INTO used_challenges (nonce, expires_at) VALUES (?, ?)")?
        .execute((nonce.as_slice(), expires_at));
    or_if_duplicate(spent, Error::ChallengeNotValid)?;
    Ok(tx
        .prepare_cached("SELECT locked_until FROM sign_in_failures WHERE app_id = ? AND username = ?")?
        .query_row([app_id, username], |row| row.get(0))
        .optional()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::Database;
    use crate::error::ApiError;

    fn spent(db: &Database, nonce: [u8; 16], expires_at: i64) -> Result<(), &'static str> {
        match db.write_blocking(|tx| spend(tx, &nonce, expires_at, "app", "ada")) {
            Ok(_) => Ok(()),
            Err(ApiError::Public(error)) => Err(error.name()),
            Err(other) => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_nonce_is_spent_once_and_never_after_its_expiry() {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = Database::open(&format!("sqlite://{}", dir.path().join("db").display())).expect("opens");
        let later = now_ms() + 60_000;
        assert_eq!(spent(&db, [1; 16], later), Ok(()));
        assert_eq!(spent(&db, [1; 16], later), Err("ChallengeNotValid"), "the second use fails in the database");
        // Expired by the time the write lock is held (the nonce may already have been purged): refused,
        // and nothing is written.
        assert_eq!(spent(&db, [2; 16], now_ms() - 1), Err("ChallengeNotValid"));
        let stored: i64 =
            db.read(|c| c.query_row("SELECT COUNT(*) FROM used_challenges", [], |row| row.get(0))).expect("count");
        assert_eq!(stored, 1);
    }
}
