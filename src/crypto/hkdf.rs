//! HKDF-SHA256 expansion with sealbase's versioned, domain-separated info strings.

use hkdf::Hkdf;
use sha2::Sha256;
use zeroize::Zeroizing;

/// Every HKDF info string of protocol v1. Changing one changes every key derived from it: add a new
/// version instead.
pub mod info {
    /// Password key → Ed25519 login key seed.
    pub const LOGIN_KEY: &[u8] = b"sealbase/v1/login-key/ed25519";
    /// Password key → AES-256-GCM key that wraps the seed.
    pub const SEED_BACKUP_KEY: &[u8] = b"sealbase/v1/seed-backup-key/aes-256-gcm";
    /// Legacy hash of a pending account's password → Ed25519 legacy login key seed.
    pub const LEGACY_LOGIN_KEY: &[u8] = b"sealbase/v1/legacy-login-key/ed25519";
    /// Seed → AES-256-GCM key for the user's data.
    pub const DATA_ENCRYPTION_KEY: &[u8] = b"sealbase/v1/data-encryption-key/aes-256-gcm";
    /// Seed → HMAC-SHA256 key.
    pub const HMAC_KEY: &[u8] = b"sealbase/v1/hmac-key/hmac-sha256";
    /// Seed → Ed25519 identity signing key seed.
    pub const IDENTITY_SIGNING_KEY: &[u8] = b"sealbase/v1/identity-signing-key/ed25519";
    /// Seed → X25519 identity exchange key.
    pub const IDENTITY_EXCHANGE_KEY: &[u8] = b"sealbase/v1/identity-exchange-key/x25519";
    /// Recovery key (with its per-user salt) → Ed25519 recovery login key seed.
    pub const RECOVERY_LOGIN_KEY: &[u8] = b"sealbase/v1/recovery-login-key/ed25519";
    /// Recovery key (with its per-user salt) → AES-256-GCM key that wraps the seed.
    pub const RECOVERY_BACKUP_KEY: &[u8] = b"sealbase/v1/recovery-backup-key/aes-256-gcm";
}

/// HKDF-SHA256 with an empty salt: the input keys are already uniformly random (scrypt output or seed).
pub(crate) fn expand32(input_key: &[u8; 32], info: &[u8]) -> Zeroizing<[u8; 32]> {
    derive32(None, input_key, info)
}

/// HKDF-SHA256 (extract with `salt`, then expand to 32 bytes).
pub(crate) fn derive32(salt: Option<&[u8]>, input_key: &[u8], info: &[u8]) -> Zeroizing<[u8; 32]> {
    let mut okm = Zeroizing::new([0u8; 32]);
    // 32 bytes is far below HKDF-SHA256's 255 * 32 limit, so expand cannot fail.
    Hkdf::<Sha256>::new(salt, input_key)
        .expand(info, okm.as_mut())
        .unwrap_or_else(|_| unreachable!("32-byte HKDF-SHA256 output is always valid"));
    okm
}

/// [`derive32`] with a salt, for the published vectors of keys that never leave their types otherwise.
#[doc(hidden)]
pub fn derive32_for_vectors(salt: &[u8], input_key: &[u8], info: &[u8]) -> [u8; 32] {
    *derive32(Some(salt), input_key, info)
}
