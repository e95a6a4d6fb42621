//! Stateless, server-MACed sign-in challenges and deterministic fake salts. Issuing a challenge writes
//! nothing; spending one records its nonce so it cannot be replayed.

use hmac::{Hmac, KeyInit, Mac};
use sealbase::crypto::{KdfAlgorithm, KdfParams, SeedBackup};
use sealbase::protocol::b64::Bytes;
use sealbase::protocol::CHALLENGE_LEN;
use sealbase::Error;
use sha2::Sha256;
use zeroize::Zeroizing;

use super::sealing::{open_at_rest, KeyEncryptionKey};
use crate::clock::now_ms;
use crate::store::{SecretKind, Store, StoredRecovery};

/// The secret's name in the store.
const SECRET_NAME: &str = "challenge-mac";

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
    /// Loads the secret, creating it on first start (servers starting together agree on one); it is
    /// kept sealed under `kek`.
    pub async fn load_or_create(store: &dyn Store, kek: &KeyEncryptionKey) -> anyhow::Result<Self> {
        let fresh = Zeroizing::new(sealbase::crypto::random::array::<32>());
        let candidate = kek.seal(SecretKind::ServerSecret, SECRET_NAME, fresh.as_ref());
        let stored = store.server_secret_or_insert(SECRET_NAME, &candidate, now_ms()).await?;
        let opened = open_at_rest(kek, SecretKind::ServerSecret, SECRET_NAME, &stored.value, stored.sealed)?;
        let secret: [u8; 32] =
            opened.as_slice().try_into().map_err(|_| anyhow::anyhow!("server secret of a wrong size"))?;
        Ok(Self(Zeroizing::new(secret)))
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
    ) -> Result<([u8; 16], i64), Error> {
        let bytes = &challenge.0;
        self.mac(&[b"sealbase/v1/challenge", app_id.as_bytes(), username.as_bytes(), &bytes[..24]])
            .verify_slice(&bytes[24..])
            .map_err(|_| Error::ChallengeNotValid)?;
        let mut expiry = [0u8; 8];
        expiry.copy_from_slice(&bytes[16..24]);
        let expires_at = i64::from_be_bytes(expiry);
        if expires_at <= now_ms() {
            return Err(Error::ChallengeNotValid);
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

    /// What pre-reset answers for a username without a recovery key (or without an account): a salt
    /// and a backup that look like a real registration's, the same for every request, and open under
    /// no key.
    pub fn fake_recovery(&self, app_id: &str, username: &str) -> StoredRecovery {
        let part = |label: &[u8]| -> [u8; 32] {
            self.mac(&[b"sealbase/v1/fake-recovery", label, app_id.as_bytes(), username.as_bytes()])
                .finalize()
                .into_bytes()
                .into()
        };
        fn first<const N: usize>(bytes: [u8; 32]) -> [u8; N] {
            let mut out = [0u8; N];
            out.copy_from_slice(&bytes[..N]);
            out
        }
        let mut ciphertext = [0u8; 48];
        ciphertext[..32].copy_from_slice(&part(b"ciphertext-0"));
        ciphertext[32..].copy_from_slice(&first::<16>(part(b"ciphertext-1")));
        StoredRecovery {
            salt: first(part(b"salt")),
            login_public_key: part(b"login-key"),
            seed_backup: SeedBackup { nonce: Bytes(first(part(b"nonce"))), ciphertext: Bytes(ciphertext) },
            created_at: 0,
        }
    }
}
