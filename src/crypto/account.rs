//! Key material for a new account, computed entirely on the client.

use super::{IdentityPublicKeys, KdfParams, PasswordKey, Seed, SeedBackup};
use crate::error::Result;
use crate::protocol::b64::Bytes;
use crate::protocol::AccountKeys;
use crate::validate::normalize_password;

/// What sign-up registers, plus the seed the client keeps.
#[derive(Debug)]
pub struct NewAccountKeys {
    /// scrypt parameters and salt.
    pub kdf: KdfParams,
    /// Public half of the login key.
    pub login_public_key: Bytes<32>,
    /// The encrypted seed.
    pub seed_backup: SeedBackup,
    /// Public identity keys.
    pub identity: IdentityPublicKeys,
    /// The plaintext seed; stays on the client.
    pub seed: Seed,
}

impl NewAccountKeys {
    /// Generates a seed and derives everything sign-up needs. CPU-heavy (one scrypt): run it off the
    /// async executor.
    pub fn generate(password: &str, app_id: &str) -> Result<Self> {
        Self::derive(password, app_id, KdfParams::generate(), Seed::random())
    }

    /// What the server registers (everything but the seed).
    pub fn registered(&self) -> AccountKeys {
        AccountKeys {
            kdf: self.kdf.clone(),
            login_public_key: self.login_public_key,
            seed_backup: self.seed_backup.clone(),
            identity: self.identity.clone(),
        }
    }

    /// Deterministic core of [`NewAccountKeys::generate`] (the seed-backup nonce stays random).
    pub fn derive(password: &str, app_id: &str, kdf: KdfParams, seed: Seed) -> Result<Self> {
        let password_key = PasswordKey::derive(normalize_password(password).as_bytes(), &kdf)?;
        Ok(Self::from_password_key(&password_key, app_id, kdf, seed))
    }

    /// Everything but the KDF: the keys of a password key derived elsewhere (the npm package derives it
    /// in a Web Worker) under `kdf`.
    pub fn from_password_key(password_key: &PasswordKey, app_id: &str, kdf: KdfParams, seed: Seed) -> Self {
        let seed_backup = seed.backup(&password_key.seed_backup_key(), app_id);
        Self {
            login_public_key: Bytes(password_key.login_key().public_key().to_bytes()),
            identity: seed.user_keys().identity_public_keys(),
            kdf,
            seed_backup,
            seed,
        }
    }
}

/// log2 N of [`warm_up`]'s derivation: a few milliseconds, enough iterations of scrypt's inner loop for
/// a browser's WebAssembly engine to optimise it (measured in BENCHMARKS.md, cold page).
pub const WARM_UP_LOG_N: u8 = 12;

/// Runs what a sign-up computes, on a small scrypt and fixed inputs, and discards it. On an engine that
/// compiles code lazily (WebAssembly in browsers) the first sign-up otherwise runs on baseline code,
/// noticeably slower than later ones; the npm package calls this while the page is idle.
pub fn warm_up() {
    let kdf = KdfParams { log_n: WARM_UP_LOG_N, salt: Bytes([0; 16]), ..KdfParams::generate() };
    let Ok(params) = scrypt::Params::new(kdf.log_n, kdf.r, kdf.p) else { return };
    let mut output = zeroize::Zeroizing::new([0u8; 32]);
    if scrypt::scrypt(b"warm-up", &kdf.salt.0, &params, output.as_mut()).is_err() {
        return;
    }
    let password_key = PasswordKey::from_bytes(*output);
    let keys = NewAccountKeys::from_password_key(&password_key, "warm-up", kdf, Seed::from_bytes([0; 32]));
    // What goes on the wire is compiled at first use too.
    let _ = serde_json::to_vec(&keys.registered());
    let _ = password_key.login_key().sign(b"warm-up");
}
