//! Stateless, server-MACed sign-in challenges and deterministic fake salts. Issuing a challenge writes
//! nothing; spending one records its nonce so it cannot be replayed.

use hmac::{Hmac, KeyInit, Mac};
use sealbase::crypto::{KdfAlgorithm, KdfParams};
use sealbase::protocol::b64::Bytes;
use sealbase::protocol::CHALLENGE_LEN;
use sealbase::Error;
use sha2::Sha256;
use sqlx::SqlitePool;
use zeroize::Zeroizing;

use crate::clock::now_ms;
use crate::error::ApiResult;
use crate::sessions::NewSession;

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
    pub async fn load_or_create(pool: &SqlitePool) -> anyhow::Result<Self> {
        let mut fresh = Zeroizing::new([0u8; 32]);
        sealbase::crypto::random::fill(fresh.as_mut());
        // INSERT OR IGNORE + SELECT: two servers starting together agree on one secret.
        sqlx::query("INSERT OR IGNORE INTO server_secrets (name, secret, created_at) VALUES ('challenge-mac', ?, ?)")
            .bind(fresh.as_slice())
            .bind(now_ms())
            .execute(pool)
            .await?;
        let stored: Zeroizing<Vec<u8>> =
            sqlx::query_scalar("SELECT secret FROM server_secrets WHERE name = 'challenge-mac'")
                .fetch_one(pool)
                .await
                .map(Zeroizing::new)?;
        let mut secret = Zeroizing::new([0u8; 32]);
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

/// What a password proof's write transaction does besides spending the challenge.
pub enum AfterSpend<'a> {
    /// A failed proof: only read the throttle (the caller counts the failure).
    ReadThrottle,
    /// A successful proof: read the throttle and clear a failure count whose delay is over.
    ClearThrottle,
    /// A successful sign-in: clear the throttle as above and store the new session.
    ClearThrottleAndOpen(&'a NewSession),
}

/// Spends a challenge (the nonce's primary key makes a second use fail in the database) and reads the
/// end of `username`'s throttle delay, plus whatever `after` asks for, in one round trip to SQLite: the
/// writer is serialised, so the fewer trips a transaction makes, the more sign-ins it admits. A
/// failure count still in its delay is never cleared; the caller refuses the attempt and drops the
/// transaction, which rolls all of it back.
pub async fn spend(
    db: &mut sqlx::SqliteConnection,
    nonce: &[u8; 16],
    expires_at: i64,
    app_id: &str,
    username: &str,
    now: i64,
    after: AfterSpend<'_>,
) -> ApiResult<Option<i64>> {
    macro_rules! spend_and_read {
        () => {
            "INSERT INTO used_challenges (nonce, expires_at) VALUES (?1, ?2); \
             SELECT locked_until FROM sign_in_failures WHERE app_id = ?3 AND username = ?4;"
        };
    }
    macro_rules! clear {
        () => {
            "DELETE FROM sign_in_failures WHERE app_id = ?3 AND username = ?4 AND locked_until <= ?5;"
        };
    }
    let sql = match after {
        AfterSpend::ReadThrottle => spend_and_read!(),
        AfterSpend::ClearThrottle => concat!(spend_and_read!(), clear!()),
        // The session's values are bound by `NewSession::bind`, after the five above.
        AfterSpend::ClearThrottleAndOpen(_) => {
            concat!(spend_and_read!(), clear!(), crate::sessions::insert_session_sql!(6, 7, 8, 9, 10, 11, 12))
        }
    };
    let query = sqlx::query_scalar(sql).bind(nonce.as_slice()).bind(expires_at).bind(app_id).bind(username).bind(now);
    let query = match after {
        AfterSpend::ClearThrottleAndOpen(session) => session.bind(query),
        _ => query,
    };
    match query.fetch_all(db).await {
        Ok(rows) => Ok(rows.first().copied()),
        Err(sqlx::Error::Database(db)) if db.is_unique_violation() => Err(Error::ChallengeNotValid.into()),
        Err(other) => Err(other.into()),
    }
}
