//! The recovery key: 128 random bits the user writes down, which open a second backup of the seed and
//! sign a password reset (docs/protocol.md §2.7).
//!
//! ```text
//! RecoveryKey (16 random bytes) ─HKDF(salt: 16 random bytes per registration)─┬▶ recovery login key (Ed25519)
//!                                                                              └▶ recovery backup key (AES-256-GCM) ─wraps─▶ Seed
//! ```
//!
//! Written as 32 Crockford base32 characters in 8 groups of 4: the 16 bytes and a 4-byte checksum, so a
//! mistyped key is told apart from a wrong one before any request.

use ed25519_dalek::{Signer, SigningKey};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::hkdf::{derive32, info};
use super::secret::secret_bytes;
use super::seed::SEED_BACKUP_NONCE_LEN;
use super::{Seed, SeedBackup};
use crate::error::{Error, Result};
use crate::protocol::b64::Bytes;
use crate::protocol::PROTOCOL_VERSION;

/// Random bytes of a recovery key.
pub const RECOVERY_KEY_LEN: usize = 16;
/// Bytes of the checksum written after them.
const CHECKSUM_LEN: usize = 4;
/// Characters of the written form, without separators (160 bits, 5 per character).
const TEXT_LEN: usize = 32;
/// Length of the per-registration salt.
pub const RECOVERY_SALT_LEN: usize = 16;

secret_bytes!(
    /// A recovery key's 128 random bits. Shown to the user once; never sent anywhere.
    RecoveryKey, RECOVERY_KEY_LEN
);

impl RecoveryKey {
    /// The written form: `XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XXXX` in Crockford base32 (digits and
    /// upper-case letters without I, L, O, U), the key followed by its checksum.
    pub fn to_text(&self) -> Zeroizing<String> {
        let mut raw = Zeroizing::new([0u8; RECOVERY_KEY_LEN + CHECKSUM_LEN]);
        raw[..RECOVERY_KEY_LEN].copy_from_slice(self.expose());
        raw[RECOVERY_KEY_LEN..].copy_from_slice(&checksum(self.expose()));
        let plain = Zeroizing::new(base32::encode(base32::Alphabet::Crockford, raw.as_ref()));
        let mut text = Zeroizing::new(String::with_capacity(TEXT_LEN + TEXT_LEN / 4 - 1));
        for (index, group) in plain.as_bytes().chunks(4).enumerate() {
            if index > 0 {
                text.push('-');
            }
            text.extend(group.iter().map(|&byte| char::from(byte)));
        }
        text
    }

    /// Reads a written key as a person may have typed it: any case, with or without hyphens and
    /// spaces, `O` for 0 and `I` or `L` for 1. A wrong length, character or checksum is
    /// [`Error::RecoveryKeyNotValid`].
    pub fn parse(text: &str) -> Result<Self> {
        let compact: Zeroizing<String> =
            Zeroizing::new(text.chars().filter(|c| !(c.is_ascii_whitespace() || *c == '-')).collect());
        if compact.len() != TEXT_LEN {
            return Err(Error::RecoveryKeyNotValid);
        }
        let raw =
            Zeroizing::new(base32::decode(base32::Alphabet::Crockford, &compact).ok_or(Error::RecoveryKeyNotValid)?);
        let (key, sum) = raw.split_at(RECOVERY_KEY_LEN);
        let mut bytes = [0u8; RECOVERY_KEY_LEN];
        bytes.copy_from_slice(key);
        let key = Self::from_bytes(bytes);
        bytes.fill(0);
        if bool::from(checksum(key.expose()).ct_eq(sum)) {
            Ok(key)
        } else {
            Err(Error::RecoveryKeyNotValid)
        }
    }

    /// The two keys this recovery key gives under a registration's salt.
    pub fn derive(&self, salt: &[u8; RECOVERY_SALT_LEN]) -> RecoveryKeys {
        RecoveryKeys {
            login_key: SigningKey::from_bytes(&derive32(Some(salt), self.expose(), info::RECOVERY_LOGIN_KEY)),
            backup_key: derive32(Some(salt), self.expose(), info::RECOVERY_BACKUP_KEY),
        }
    }
}

/// The first 4 bytes of SHA-256(`sealbase/v1/recovery-key/checksum` ‖ key).
fn checksum(key: &[u8; RECOVERY_KEY_LEN]) -> [u8; CHECKSUM_LEN] {
    let digest = Sha256::new().chain_update(b"sealbase/v1/recovery-key/checksum").chain_update(key).finalize();
    let mut sum = [0u8; CHECKSUM_LEN];
    sum.copy_from_slice(&digest[..CHECKSUM_LEN]);
    sum
}

/// Additional data of the recovery backup: the protocol version and the app, apart from the password
/// backup's ([`super::seed::seed_backup_aad`]).
pub fn recovery_backup_aad(app_id: &str) -> Vec<u8> {
    let mut aad = format!("sealbase/v{PROTOCOL_VERSION}/recovery-backup").into_bytes();
    aad.push(0);
    aad.extend_from_slice(app_id.as_bytes());
    aad
}

/// The keys a recovery key gives under one salt. Zeroized on drop.
pub struct RecoveryKeys {
    login_key: SigningKey,
    backup_key: Zeroizing<[u8; 32]>,
}

impl RecoveryKeys {
    /// The public half registered with the server.
    pub fn login_public_key(&self) -> Bytes<32> {
        Bytes(self.login_key.verifying_key().to_bytes())
    }

    /// Signs a password reset's challenge message.
    pub fn sign(&self, message: &[u8]) -> Bytes<64> {
        Bytes(self.login_key.sign(message).to_bytes())
    }

    /// The seed wrapped for the server to keep, with a fresh nonce.
    pub fn backup(&self, seed: &Seed, app_id: &str) -> SeedBackup {
        self.backup_with_nonce(seed, app_id, super::random::array())
    }

    /// Deterministic form of [`RecoveryKeys::backup`], for known-answer tests. Never reuse a nonce.
    pub fn backup_with_nonce(&self, seed: &Seed, app_id: &str, nonce: [u8; SEED_BACKUP_NONCE_LEN]) -> SeedBackup {
        seed.wrap(&self.backup_key, &recovery_backup_aad(app_id), nonce)
    }

    /// The seed in a recovery backup; [`Error::RecoveryKeyIncorrect`] if it does not open (another
    /// key, a replaced one, or no recovery key at all).
    pub fn restore(&self, backup: &SeedBackup, app_id: &str) -> Result<Seed> {
        Seed::unwrap(backup, &self.backup_key, &recovery_backup_aad(app_id)).ok_or(Error::RecoveryKeyIncorrect)
    }
}

impl core::fmt::Debug for RecoveryKeys {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RecoveryKeys").field("login_public_key", &self.login_public_key()).finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_written_form_reads_back_as_typed_and_catches_a_typo() {
        let key = RecoveryKey::from_bytes([0x5a; RECOVERY_KEY_LEN]);
        let text = key.to_text();
        assert_eq!(text.len(), 39);
        assert_eq!(text.split('-').count(), 8);
        assert!(text.split('-').all(|group| group.len() == 4));
        assert_eq!(RecoveryKey::parse(&text).unwrap(), key);
        let typed = text.to_lowercase().replace('-', " ").replace('0', "o").replace('1', "l");
        assert_eq!(RecoveryKey::parse(&typed).unwrap(), key, "{typed}");
        let mut typo = text.to_string().into_bytes();
        typo[0] = if typo[0] == b'A' { b'B' } else { b'A' };
        assert_eq!(RecoveryKey::parse(std::str::from_utf8(&typo).unwrap()), Err(Error::RecoveryKeyNotValid));
        let with_u = format!("U{}", &text[1..]);
        for bad in ["", "ABCD", &format!("{}-0000", &*text), &text[..38], &with_u] {
            assert_eq!(RecoveryKey::parse(bad), Err(Error::RecoveryKeyNotValid), "{bad}");
        }
    }

    #[test]
    fn a_backup_opens_only_under_its_key_salt_and_app() {
        let seed = Seed::from_bytes([7; 32]);
        let key = RecoveryKey::from_bytes([1; RECOVERY_KEY_LEN]);
        let keys = key.derive(&[2; RECOVERY_SALT_LEN]);
        let backup = keys.backup(&seed, "app");
        assert_eq!(keys.restore(&backup, "app").unwrap(), seed);
        assert_eq!(keys.restore(&backup, "other app").unwrap_err(), Error::RecoveryKeyIncorrect);
        let other_salt = key.derive(&[3; RECOVERY_SALT_LEN]);
        assert_eq!(other_salt.restore(&backup, "app").unwrap_err(), Error::RecoveryKeyIncorrect);
        assert_ne!(other_salt.login_public_key(), keys.login_public_key());
    }
}
