//! The user's random seed, its password-based backup, and the keys derived from it.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use ed25519_dalek::SigningKey;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::hkdf::{expand32, info};
use super::password::SeedBackupKey;
use super::secret::secret_bytes;
use crate::error::{Error, Result};
use crate::protocol::b64::Bytes;
use crate::protocol::PROTOCOL_VERSION;

secret_bytes!(
    /// 32 random bytes: the root of the user's end-to-end keys. Leaves the client only encrypted.
    Seed, 32
);
secret_bytes!(
    /// AES-256-GCM key for the user's data.
    DataEncryptionKey, 32
);
secret_bytes!(
    /// HMAC-SHA256 key (e.g. for blind indexes over the user's data).
    HmacKey, 32
);

/// Nonce length of the seed backup (AES-GCM's 96 bits).
pub const SEED_BACKUP_NONCE_LEN: usize = 12;
/// Ciphertext length of the seed backup: 32-byte seed + 16-byte tag.
pub const SEED_BACKUP_CIPHERTEXT_LEN: usize = 48;

/// The encrypted seed the server keeps as the password-based backup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SeedBackup {
    /// Random 96-bit nonce.
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::protocol::b64::schema::<SEED_BACKUP_NONCE_LEN>))]
    pub nonce: Bytes<SEED_BACKUP_NONCE_LEN>,
    /// AES-256-GCM(seed), tag appended.
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::protocol::b64::schema::<SEED_BACKUP_CIPHERTEXT_LEN>))]
    pub ciphertext: Bytes<SEED_BACKUP_CIPHERTEXT_LEN>,
}

/// Additional data of the seed backup: binds the protocol version and the app, so a backup cannot be
/// replayed into another app or reinterpreted by another protocol version.
pub fn seed_backup_aad(app_id: &str) -> Vec<u8> {
    let mut aad = format!("sealbase/v{PROTOCOL_VERSION}/seed-backup").into_bytes();
    aad.push(0);
    aad.extend_from_slice(app_id.as_bytes());
    aad
}

impl Seed {
    /// Encrypts the seed under the seed-backup key with a fresh random nonce.
    pub fn backup(&self, key: &SeedBackupKey, app_id: &str) -> SeedBackup {
        self.backup_with_nonce(key, app_id, super::random::array())
    }

    /// Deterministic form of [`Seed::backup`], for known-answer tests. Never reuse a nonce.
    pub fn backup_with_nonce(
        &self,
        key: &SeedBackupKey,
        app_id: &str,
        nonce: [u8; SEED_BACKUP_NONCE_LEN],
    ) -> SeedBackup {
        self.wrap(key.expose(), &seed_backup_aad(app_id), nonce)
    }

    /// AES-256-GCM of the seed under `key`, bound to `aad` (the password backup and the recovery
    /// backup differ only in key and additional data).
    pub(crate) fn wrap(&self, key: &[u8; 32], aad: &[u8], nonce: [u8; SEED_BACKUP_NONCE_LEN]) -> SeedBackup {
        let cipher = Aes256Gcm::new(key.into());
        let ciphertext = cipher
            .encrypt(&Nonce::from(nonce), Payload { msg: self.expose(), aad })
            .unwrap_or_else(|_| unreachable!("AES-GCM encryption of 32 bytes cannot fail"));
        let mut fixed = [0u8; SEED_BACKUP_CIPHERTEXT_LEN];
        fixed.copy_from_slice(&ciphertext);
        SeedBackup { nonce: Bytes(nonce), ciphertext: Bytes(fixed) }
    }

    /// Decrypts a backup. A wrong key, app or tampered backup gives [`Error::SeedBackupNotValid`],
    /// never a fresh seed.
    pub fn restore(backup: &SeedBackup, key: &SeedBackupKey, app_id: &str) -> Result<Seed> {
        Self::unwrap(backup, key.expose(), &seed_backup_aad(app_id)).ok_or(Error::SeedBackupNotValid)
    }

    /// The seed in `backup`, or `None` if it does not open under this key and additional data.
    pub(crate) fn unwrap(backup: &SeedBackup, key: &[u8; 32], aad: &[u8]) -> Option<Seed> {
        let cipher = Aes256Gcm::new(key.into());
        let plaintext = zeroize::Zeroizing::new(
            cipher.decrypt(&Nonce::from(backup.nonce.0), Payload { msg: &backup.ciphertext.0, aad }).ok()?,
        );
        let mut seed = zeroize::Zeroizing::new([0u8; 32]);
        seed.copy_from_slice(&plaintext);
        Some(Seed::from_bytes(*seed))
    }

    /// Every key derived from the seed.
    pub fn user_keys(&self) -> UserKeys {
        UserKeys {
            data_encryption_key: DataEncryptionKey::from_bytes(*expand32(self.expose(), info::DATA_ENCRYPTION_KEY)),
            hmac_key: HmacKey::from_bytes(*expand32(self.expose(), info::HMAC_KEY)),
            identity_signing_key: SigningKey::from_bytes(&expand32(self.expose(), info::IDENTITY_SIGNING_KEY)),
            identity_exchange_key: x25519_dalek::StaticSecret::from(*expand32(
                self.expose(),
                info::IDENTITY_EXCHANGE_KEY,
            )),
        }
    }
}

/// The user's end-to-end keys, all derived from the seed (so the same on every device).
pub struct UserKeys {
    /// Encrypts the user's data.
    pub data_encryption_key: DataEncryptionKey,
    /// Keyed hashing over the user's data.
    pub hmac_key: HmacKey,
    /// Ed25519 identity key (public half registered).
    pub identity_signing_key: SigningKey,
    /// X25519 identity key (public half registered).
    pub identity_exchange_key: x25519_dalek::StaticSecret,
}

impl UserKeys {
    /// The public halves registered with the server.
    pub fn identity_public_keys(&self) -> IdentityPublicKeys {
        IdentityPublicKeys {
            signing: Bytes(self.identity_signing_key.verifying_key().to_bytes()),
            exchange: Bytes(x25519_dalek::PublicKey::from(&self.identity_exchange_key).to_bytes()),
        }
    }

    /// Hex SHA-256 of `"sealbase/v1/fingerprint" || data-encryption key`: lets two devices (or a test) confirm they hold
    /// the same keys without revealing them.
    pub fn fingerprint(&self) -> String {
        let digest = Sha256::new()
            .chain_update(b"sealbase/v1/fingerprint")
            .chain_update(self.data_encryption_key.expose())
            .finalize();
        digest.iter().map(|b| format!("{b:02x}")).collect()
    }
}

impl core::fmt::Debug for UserKeys {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("UserKeys").field("identity", &self.identity_public_keys()).finish_non_exhaustive()
    }
}

/// Public identity keys, registered at sign-up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct IdentityPublicKeys {
    /// Ed25519 public key.
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::protocol::b64::schema::<32>))]
    pub signing: Bytes<32>,
    /// X25519 public key.
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::protocol::b64::schema::<32>))]
    pub exchange: Bytes<32>,
}
