//! The key-encryption key (KEK) and what it seals: the server's own secrets at rest (the authToken
//! signing keys, the MAC key of challenges and fake salts), so a copy of the database alone can mint no
//! token and forge no challenge.
//!
//! The KEK is 32 random bytes, base64url, in a file only its owner can read
//! (`--key-encryption-key-file`). A sealed value is `0x01 ‖ nonce (12 B) ‖ AES-256-GCM ciphertext and
//! tag`, under the key HKDF-SHA256(KEK, info `sealbase/v1/key-encryption`), with the additional data
//! `lp("sealbase/v1/sealed") ‖ lp(kind) ‖ lp(name)` binding it to the row it belongs to
//! (docs/protocol.md §5.3).

use std::io::Write;
use std::path::Path;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use sealbase::protocol::b64::{self, Bytes};
use zeroize::Zeroizing;

use crate::store::{SecretKind, SecretReplacement, Store};

/// The version byte that starts every sealed value.
const VERSION: u8 = 1;
/// Bytes a sealed value adds to what it seals: version, nonce, tag.
pub const OVERHEAD: usize = 1 + 12 + 16;

fn label(kind: SecretKind) -> &'static [u8] {
    match kind {
        SecretKind::SigningKey => b"signing-key",
        SecretKind::ServerSecret => b"server-secret",
    }
}

/// A sealed value did not open: another KEK sealed it, or it was changed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("the {kind:?} {name:?} does not open with this key-encryption key (another key sealed it, or it was changed)")]
pub struct NotOpened {
    kind: SecretKind,
    name: String,
}

/// The key-encryption key.
pub struct KeyEncryptionKey {
    cipher: Aes256Gcm,
}

impl std::fmt::Debug for KeyEncryptionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyEncryptionKey(<redacted>)")
    }
}

impl KeyEncryptionKey {
    /// From the 32 bytes a KEK file holds.
    pub fn from_bytes(bytes: &[u8; 32]) -> Self {
        let hkdf = hkdf::Hkdf::<sha2::Sha256>::new(None, bytes);
        let mut key = Zeroizing::new([0u8; 32]);
        hkdf.expand(b"sealbase/v1/key-encryption", key.as_mut())
            .unwrap_or_else(|_| unreachable!("32 bytes is a valid HKDF-SHA256 output length"));
        let key: &[u8; 32] = &key;
        Self { cipher: Aes256Gcm::new(key.into()) }
    }

    /// A fresh random KEK and its file contents (base64url and a newline).
    pub fn generate() -> (Self, Zeroizing<String>) {
        let bytes = Zeroizing::new(sealbase::crypto::random::array::<32>());
        (Self::from_bytes(&bytes), Zeroizing::new(format!("{}\n", b64::encode(bytes.as_ref()))))
    }

    /// Reads a KEK file: 32 bytes, unpadded base64url, surrounding white space ignored. Refused when
    /// others than its owner may read it (as ssh does with private keys).
    pub fn read(path: &Path) -> anyhow::Result<Self> {
        let describe = |what: &str| anyhow::anyhow!("key-encryption key file {}: {what}", path.display());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(path).map_err(|e| describe(&e.to_string()))?.permissions().mode();
            if mode & 0o077 != 0 {
                return Err(describe(&format!("readable by others (mode {:o}); chmod 600 it", mode & 0o777)));
            }
        }
        let text = Zeroizing::new(std::fs::read_to_string(path).map_err(|e| describe(&e.to_string()))?);
        let bytes = Zeroizing::new(
            Bytes::<32>::decode(text.trim()).ok_or_else(|| describe("not 32 bytes of unpadded base64url"))?.0,
        );
        Ok(Self::from_bytes(&bytes))
    }

    /// Creates a KEK file that did not exist, readable by its owner only.
    pub fn create(path: &Path) -> anyhow::Result<Self> {
        let (key, contents) = Self::generate();
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options
            .open(path)
            .map_err(|e| anyhow::anyhow!("creating the key-encryption key file {}: {e}", path.display()))?;
        file.write_all(contents.as_bytes())?;
        file.sync_all()?;
        Ok(key)
    }

    /// Seals `plaintext` as the `kind` named `name`.
    pub fn seal(&self, kind: SecretKind, name: &str, plaintext: &[u8]) -> Vec<u8> {
        self.seal_with_nonce(kind, name, plaintext, sealbase::crypto::random::array())
    }

    /// [`KeyEncryptionKey::seal`] with a given nonce, for known-answer tests. Never reuse a nonce.
    pub fn seal_with_nonce(&self, kind: SecretKind, name: &str, plaintext: &[u8], nonce: [u8; 12]) -> Vec<u8> {
        let aad = additional_data(kind, name);
        let ciphertext = self
            .cipher
            .encrypt(&Nonce::from(nonce), Payload { msg: plaintext, aad: &aad })
            .unwrap_or_else(|_| unreachable!("AES-GCM encrypts anything this small"));
        [&[VERSION][..], &nonce, &ciphertext].concat()
    }

    /// Opens what [`KeyEncryptionKey::seal`] sealed as the `kind` named `name`.
    pub fn open(&self, kind: SecretKind, name: &str, sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, NotOpened> {
        let not_opened = || NotOpened { kind, name: name.to_owned() };
        let (version, rest) = sealed.split_first().ok_or_else(not_opened)?;
        if *version != VERSION || rest.len() < OVERHEAD - 1 {
            return Err(not_opened());
        }
        let (nonce, ciphertext) = rest.split_at(12);
        let nonce = <[u8; 12]>::try_from(nonce).map_err(|_| not_opened())?;
        let aad = additional_data(kind, name);
        self.cipher
            .decrypt(&Nonce::from(nonce), Payload { msg: ciphertext, aad: &aad })
            .map(Zeroizing::new)
            .map_err(|_| not_opened())
    }
}

/// Seals every secret at rest still stored plain (written before sealing existed), all at once; a
/// server does so at start, before it reads any.
pub async fn seal_what_is_plain(store: &dyn Store, kek: &KeyEncryptionKey) -> anyhow::Result<()> {
    // Another server sealing the same rows meanwhile makes the replacement fail as a whole: read again.
    for _ in 0..3 {
        let plain: Vec<SecretReplacement> = store
            .secrets_at_rest()
            .await?
            .into_iter()
            .filter(|secret| !secret.sealed)
            .map(|secret| SecretReplacement {
                new: kek.seal(secret.kind, &secret.name, &secret.value),
                kind: secret.kind,
                name: secret.name,
                old: secret.value,
            })
            .collect();
        if plain.is_empty() || store.replace_secrets_at_rest(&plain).await? {
            if !plain.is_empty() {
                tracing::info!(sealed = plain.len(), "sealed the secrets stored plain under the key-encryption key");
            }
            return Ok(());
        }
    }
    anyhow::bail!("the secrets at rest kept changing while they were being sealed")
}

/// Seals every secret at rest under `to` instead of `from`, all at once (`keys rotate-kek`). Returns how
/// many it resealed.
pub async fn reseal(store: &dyn Store, from: &KeyEncryptionKey, to: &KeyEncryptionKey) -> anyhow::Result<usize> {
    seal_what_is_plain(store, from).await?;
    for _ in 0..3 {
        let mut replacements = Vec::new();
        for secret in store.secrets_at_rest().await? {
            let opened = from.open(secret.kind, &secret.name, &secret.value)?;
            let new = to.seal(secret.kind, &secret.name, &opened);
            replacements.push(SecretReplacement { kind: secret.kind, name: secret.name, old: secret.value, new });
        }
        if store.replace_secrets_at_rest(&replacements).await? {
            return Ok(replacements.len());
        }
    }
    anyhow::bail!("the secrets at rest kept changing while they were being resealed")
}

/// What a stored secret is, opened: sealed values with `kek`; a value stored plain is refused, since a
/// server seals those at start ([`seal_what_is_plain`]).
pub fn open_at_rest(
    kek: &KeyEncryptionKey,
    kind: SecretKind,
    name: &str,
    value: &[u8],
    sealed: bool,
) -> anyhow::Result<Zeroizing<Vec<u8>>> {
    anyhow::ensure!(
        sealed,
        "the {kind:?} {name:?} is stored plain: start a server with a key-encryption key to seal it"
    );
    Ok(kek.open(kind, name, value)?)
}

fn additional_data(kind: SecretKind, name: &str) -> Vec<u8> {
    let mut aad = Vec::new();
    for part in [b"sealbase/v1/sealed".as_slice(), label(kind), name.as_bytes()] {
        aad.extend_from_slice(&(part.len() as u32).to_be_bytes());
        aad.extend_from_slice(part);
    }
    aad
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_value_opens_only_with_its_key_kind_and_name() {
        let (kek, _) = KeyEncryptionKey::generate();
        let (other, _) = KeyEncryptionKey::generate();
        let sealed = kek.seal(SecretKind::ServerSecret, "challenge-mac", &[7; 32]);
        assert_eq!(sealed.len(), 32 + OVERHEAD);
        assert_eq!(kek.open(SecretKind::ServerSecret, "challenge-mac", &sealed).unwrap().as_slice(), &[7; 32]);
        assert!(other.open(SecretKind::ServerSecret, "challenge-mac", &sealed).is_err(), "another KEK");
        assert!(kek.open(SecretKind::SigningKey, "challenge-mac", &sealed).is_err(), "another kind");
        assert!(kek.open(SecretKind::ServerSecret, "other", &sealed).is_err(), "another row");
        let mut tampered = sealed.clone();
        tampered[20] ^= 1;
        assert!(kek.open(SecretKind::ServerSecret, "challenge-mac", &tampered).is_err(), "changed");
        assert!(kek.open(SecretKind::ServerSecret, "challenge-mac", &[7; 32]).is_err(), "not sealed at all");
    }

    #[test]
    fn the_published_vectors() {
        let vectors: serde_json::Value =
            serde_json::from_str(include_str!("../../../tests/vectors/sealed.json")).expect("JSON");
        let hex = |value: &serde_json::Value| -> Vec<u8> {
            let text = value.as_str().expect("hex");
            (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex")).collect()
        };
        for vector in vectors["vectors"].as_array().expect("vectors") {
            let kek = KeyEncryptionKey::from_bytes(&hex(&vector["keyEncryptionKey"]).try_into().expect("32 bytes"));
            let kind = match vector["kind"].as_str() {
                Some("server-secret") => SecretKind::ServerSecret,
                Some("signing-key") => SecretKind::SigningKey,
                other => panic!("kind {other:?}"),
            };
            let name = vector["name"].as_str().expect("name");
            let nonce: [u8; 12] = hex(&vector["nonce"]).try_into().expect("12 bytes");
            let plaintext = hex(&vector["plaintext"]);
            assert_eq!(kek.seal_with_nonce(kind, name, &plaintext, nonce), hex(&vector["sealed"]));
            assert_eq!(kek.open(kind, name, &hex(&vector["sealed"])).expect("opens").as_slice(), plaintext.as_slice());
        }
    }
}
