//! Password → scrypt → password key → login key and seed-backup key.

use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::hkdf::{expand32, info};
use super::secret::secret_bytes;
use crate::error::{Error, Result};
use crate::protocol::b64::Bytes;

/// Default scrypt cost: log2 N = 15 (32 MiB with r = 8).
pub const DEFAULT_LOG_N: u8 = 15;
/// Default scrypt block size.
pub const DEFAULT_R: u32 = 8;
/// Default scrypt parallelism.
pub const DEFAULT_P: u32 = 1;
/// The weakest cost a client accepts (the server hands parameters back at sign-in and must not be able
/// to talk a client into a cheap hash).
pub const MIN_LOG_N: u8 = 14;
/// The most expensive cost a client accepts (2^20 × r=8 is 1 GiB; more would let a server exhaust memory).
pub const MAX_LOG_N: u8 = 20;
/// Largest accepted `r`.
pub const MAX_R: u32 = 16;
/// Largest accepted `p`.
pub const MAX_P: u32 = 4;
/// Most memory a derivation may need: 1 GiB (log2 N = 20 with r = 8).
pub const MAX_MEMORY_BYTES: u64 = 1 << 30;
/// Salt length in bytes.
pub const SALT_LEN: usize = 16;

/// The only password KDF of protocol v1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum KdfAlgorithm {
    /// scrypt (RFC 7914).
    Scrypt,
}

/// Per-user KDF parameters, stored by the server and handed back at sign-in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct KdfParams {
    /// Always `scrypt` in protocol v1.
    pub algorithm: KdfAlgorithm,
    /// log2 of scrypt's N.
    pub log_n: u8,
    /// scrypt block size.
    pub r: u32,
    /// scrypt parallelism.
    pub p: u32,
    /// Random per-user salt.
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::protocol::b64::schema::<SALT_LEN>))]
    pub salt: Bytes<SALT_LEN>,
}

impl KdfParams {
    /// Default parameters with a fresh random salt.
    pub fn generate() -> Self {
        let salt = super::random::array::<SALT_LEN>();
        Self { algorithm: KdfAlgorithm::Scrypt, log_n: DEFAULT_LOG_N, r: DEFAULT_R, p: DEFAULT_P, salt: Bytes(salt) }
    }

    /// Refuses parameters outside the accepted range with [`Error::KdfParamsNotValid`], including any
    /// combination needing more than [`MAX_MEMORY_BYTES`] (scrypt uses 128 · r · N bytes).
    pub fn check(&self) -> Result<()> {
        let in_range = (MIN_LOG_N..=MAX_LOG_N).contains(&self.log_n)
            && (1..=MAX_R).contains(&self.r)
            && (1..=MAX_P).contains(&self.p)
            && (128 * u64::from(self.r)) << self.log_n <= MAX_MEMORY_BYTES;
        if in_range {
            Ok(())
        } else {
            Err(Error::KdfParamsNotValid)
        }
    }
}

secret_bytes!(
    /// scrypt's 32-byte output: the root of everything derived from the password.
    PasswordKey, 32
);
secret_bytes!(
    /// AES-256-GCM key that wraps the seed for the password-based backup.
    SeedBackupKey, 32
);

impl PasswordKey {
    /// Runs scrypt over the NFKC-normalised password (see [`crate::validate::normalize_password`]).
    /// Parameters are checked first, so a hostile server cannot request an absurd cost.
    pub fn derive(normalized_password: &[u8], params: &KdfParams) -> Result<Self> {
        params.check()?;
        let scrypt_params =
            scrypt::Params::new(params.log_n, params.r, params.p).map_err(|_| Error::KdfParamsNotValid)?;
        let mut output = Zeroizing::new([0u8; 32]);
        scrypt::scrypt(normalized_password, &params.salt.0, &scrypt_params, output.as_mut())
            .map_err(|_| Error::KdfParamsNotValid)?;
        Ok(Self::from_bytes(*output))
    }

    /// The Ed25519 login key. Its public half is registered; the private half signs sign-in challenges.
    pub fn login_key(&self) -> LoginKey {
        LoginKey(SigningKey::from_bytes(&expand32(self.expose(), info::LOGIN_KEY)))
    }

    /// The key that encrypts the seed backup.
    pub fn seed_backup_key(&self) -> SeedBackupKey {
        SeedBackupKey::from_bytes(*expand32(self.expose(), info::SEED_BACKUP_KEY))
    }
}

/// The Ed25519 key pair derived from the password. Zeroized on drop by ed25519-dalek.
pub struct LoginKey(SigningKey);

impl LoginKey {
    /// The public key registered with the server.
    pub fn public_key(&self) -> VerifyingKey {
        self.0.verifying_key()
    }

    /// Signs a protocol message (sign-in challenges).
    pub fn sign(&self, message: &[u8]) -> ed25519_dalek::Signature {
        self.0.sign(message)
    }
}

impl core::fmt::Debug for LoginKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "LoginKey {{ public: {:?} }}", self.public_key().as_bytes())
    }
}
