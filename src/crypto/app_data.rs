//! End-to-end encryption of an app's own data with the signed-in user's keys (docs/protocol.md §8).
//! Every envelope starts with a version byte, and every AAD and signed message binds the appId and a
//! context string the app chooses, so a ciphertext or signature made for one purpose fails for any
//! other (another app, another field, another record).
//!
//! - data envelope: `0x01 ‖ nonce (12) ‖ AES-256-GCM(data key, nonce, plaintext, AAD)`;
//! - signature: Ed25519 (identity signing key) over `binding("signature") ‖ lp(message)`;
//! - sealed envelope: `0x01 ‖ ephemeral X25519 public key (32) ‖ nonce (12) ‖ AES-256-GCM(k, …)` with
//!   `k = HKDF-SHA256(salt = ephemeral ‖ recipient, ikm = X25519(ephemeral, recipient), info)`.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use hkdf::Hkdf;
use sha2::Sha256;
use x25519_dalek::{PublicKey, StaticSecret};
use zeroize::Zeroizing;

use super::seed::DataEncryptionKey;
use crate::error::{Error, Result};

/// The first byte of every envelope of this version.
pub const ENVELOPE_VERSION: u8 = 1;
/// AES-GCM nonce length.
pub const NONCE_LEN: usize = 12;
/// AES-GCM tag length.
pub const TAG_LEN: usize = 16;
/// Longest context string, in bytes.
pub const CONTEXT_MAX_LEN: usize = 256;
/// Largest plaintext, in bytes (AES-GCM allows far more; this bounds one call's memory).
pub const PLAINTEXT_MAX_LEN: usize = 64 * 1024 * 1024;

/// Labels of the three constructions (the first field of each binding).
pub mod label {
    /// Data envelopes.
    pub const DATA: &[u8] = b"sealbase/v1/app-data/aes-256-gcm";
    /// Signatures.
    pub const SIGNATURE: &[u8] = b"sealbase/v1/app-signature/ed25519";
    /// Sealed envelopes (AAD).
    pub const SEALED: &[u8] = b"sealbase/v1/sealed/x25519-hkdf-aes-256-gcm";
    /// Sealed envelopes (HKDF info of the message key).
    pub const SEALED_KEY: &[u8] = b"sealbase/v1/sealed-key/aes-256-gcm";
}

fn lp(out: &mut Vec<u8>, field: &[u8]) {
    out.extend_from_slice(&(field.len() as u32).to_be_bytes());
    out.extend_from_slice(field);
}

/// `lp(label) ‖ lp(appId) ‖ lp(context)`, after checking the context.
pub fn binding(label: &[u8], app_id: &str, context: &str) -> Result<Vec<u8>> {
    check_context(context)?;
    let mut out = Vec::with_capacity(label.len() + app_id.len() + context.len() + 12);
    lp(&mut out, label);
    lp(&mut out, app_id.as_bytes());
    lp(&mut out, context.as_bytes());
    Ok(out)
}

/// A context is at most [`CONTEXT_MAX_LEN`] bytes; the empty context is allowed.
pub fn check_context(context: &str) -> Result<()> {
    if context.len() > CONTEXT_MAX_LEN {
        return Err(Error::ContextTooLong { max_len: CONTEXT_MAX_LEN });
    }
    Ok(())
}

fn check_plaintext(plaintext: &[u8]) -> Result<()> {
    if plaintext.len() > PLAINTEXT_MAX_LEN {
        return Err(Error::DataTooLarge { max_len: PLAINTEXT_MAX_LEN });
    }
    Ok(())
}

/// Encrypts `plaintext` under the user's data key with a fresh random nonce.
pub fn encrypt(key: &DataEncryptionKey, app_id: &str, context: &str, plaintext: &[u8]) -> Result<Vec<u8>> {
    encrypt_with_nonce(key, app_id, context, plaintext, super::random::array())
}

/// Deterministic form of [`encrypt`], for known-answer vectors. Never reuse a nonce.
pub fn encrypt_with_nonce(
    key: &DataEncryptionKey,
    app_id: &str,
    context: &str,
    plaintext: &[u8],
    nonce: [u8; NONCE_LEN],
) -> Result<Vec<u8>> {
    check_plaintext(plaintext)?;
    let aad = binding(label::DATA, app_id, context)?;
    let cipher = Aes256Gcm::new(key.expose().into());
    let ciphertext = cipher
        .encrypt(&Nonce::from(nonce), Payload { msg: plaintext, aad: &aad })
        .map_err(|_| Error::DataTooLarge { max_len: PLAINTEXT_MAX_LEN })?;
    let mut envelope = Vec::with_capacity(1 + NONCE_LEN + ciphertext.len());
    envelope.push(ENVELOPE_VERSION);
    envelope.extend_from_slice(&nonce);
    envelope.extend_from_slice(&ciphertext);
    Ok(envelope)
}

/// Opens a data envelope. Another key, app or context, or any altered byte: `EnvelopeNotValid`.
pub fn decrypt(key: &DataEncryptionKey, app_id: &str, context: &str, envelope: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
    let aad = binding(label::DATA, app_id, context)?;
    let body = versioned(envelope, NONCE_LEN + TAG_LEN)?;
    let (nonce, ciphertext) = body.split_at(NONCE_LEN);
    let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| Error::EnvelopeNotValid)?;
    let cipher = Aes256Gcm::new(key.expose().into());
    cipher
        .decrypt(&Nonce::from(nonce), Payload { msg: ciphertext, aad: &aad })
        .map(Zeroizing::new)
        .map_err(|_| Error::EnvelopeNotValid)
}

/// The bytes after the version byte, if the version is known and at least `min_len` bytes follow.
fn versioned(envelope: &[u8], min_len: usize) -> Result<&[u8]> {
    match envelope.split_first() {
        Some((&ENVELOPE_VERSION, body)) if body.len() >= min_len => Ok(body),
        _ => Err(Error::EnvelopeNotValid),
    }
}

/// The message an app-data signature covers.
pub fn signed_message(app_id: &str, context: &str, message: &[u8]) -> Result<Vec<u8>> {
    let mut signed = binding(label::SIGNATURE, app_id, context)?;
    lp(&mut signed, message);
    Ok(signed)
}

/// Signs `message` with the user's identity signing key (Ed25519, deterministic).
pub fn sign(key: &SigningKey, app_id: &str, context: &str, message: &[u8]) -> Result<[u8; 64]> {
    check_plaintext(message)?;
    Ok(key.sign(&signed_message(app_id, context, message)?).to_bytes())
}

/// Checks a signature made by [`sign`] against a user's identity signing public key (strict Ed25519:
/// no small-order keys, no malleable signatures). Any failure: `SignatureNotValid`.
pub fn verify(public_key: &[u8; 32], app_id: &str, context: &str, message: &[u8], signature: &[u8; 64]) -> Result<()> {
    let key = VerifyingKey::from_bytes(public_key).map_err(|_| Error::SignatureNotValid)?;
    let signed = signed_message(app_id, context, message)?;
    key.verify_strict(&signed, &Signature::from_bytes(signature)).map_err(|_| Error::SignatureNotValid)
}

fn sealed_key(shared: &[u8; 32], ephemeral: &[u8; 32], recipient: &[u8; 32]) -> Zeroizing<[u8; 32]> {
    let mut salt = [0u8; 64];
    salt[..32].copy_from_slice(ephemeral);
    salt[32..].copy_from_slice(recipient);
    let mut key = Zeroizing::new([0u8; 32]);
    Hkdf::<Sha256>::new(Some(&salt), shared)
        .expand(label::SEALED_KEY, key.as_mut())
        .unwrap_or_else(|_| unreachable!("32-byte HKDF-SHA256 output is always valid"));
    key
}

fn sealed_aad(app_id: &str, context: &str, ephemeral: &[u8; 32], recipient: &[u8; 32]) -> Result<Vec<u8>> {
    let mut aad = binding(label::SEALED, app_id, context)?;
    lp(&mut aad, ephemeral);
    lp(&mut aad, recipient);
    Ok(aad)
}

/// Seals `plaintext` to the holder of the X25519 identity key `recipient`: only they can open it,
/// and the sender keeps nothing that could.
pub fn seal(recipient: &[u8; 32], app_id: &str, context: &str, plaintext: &[u8]) -> Result<Vec<u8>> {
    seal_with(recipient, app_id, context, plaintext, super::random::array(), super::random::array())
}

/// Deterministic form of [`seal`], for known-answer vectors. Never reuse an ephemeral key.
pub fn seal_with(
    recipient: &[u8; 32],
    app_id: &str,
    context: &str,
    plaintext: &[u8],
    ephemeral_secret: [u8; 32],
    nonce: [u8; NONCE_LEN],
) -> Result<Vec<u8>> {
    check_plaintext(plaintext)?;
    let ephemeral_secret = StaticSecret::from(ephemeral_secret);
    let ephemeral = PublicKey::from(&ephemeral_secret).to_bytes();
    let shared = ephemeral_secret.diffie_hellman(&PublicKey::from(*recipient));
    if !shared.was_contributory() {
        // A low-order recipient key: everyone could compute the "shared" secret.
        return Err(Error::KeyMaterialNotValid { key: "identity.exchange".into() });
    }
    let key = sealed_key(shared.as_bytes(), &ephemeral, recipient);
    let aad = sealed_aad(app_id, context, &ephemeral, recipient)?;
    let ciphertext = Aes256Gcm::new((&*key).into())
        .encrypt(&Nonce::from(nonce), Payload { msg: plaintext, aad: &aad })
        .map_err(|_| Error::DataTooLarge { max_len: PLAINTEXT_MAX_LEN })?;
    let mut envelope = Vec::with_capacity(1 + 32 + NONCE_LEN + ciphertext.len());
    envelope.push(ENVELOPE_VERSION);
    envelope.extend_from_slice(&ephemeral);
    envelope.extend_from_slice(&nonce);
    envelope.extend_from_slice(&ciphertext);
    Ok(envelope)
}

/// Opens a sealed envelope with the user's own X25519 identity key. Sealed to someone else, for
/// another app or context, or altered: `EnvelopeNotValid`.
pub fn open(own: &StaticSecret, app_id: &str, context: &str, envelope: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
    let body = versioned(envelope, 32 + NONCE_LEN + TAG_LEN)?;
    let (ephemeral, rest) = body.split_at(32);
    let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
    let ephemeral: [u8; 32] = ephemeral.try_into().map_err(|_| Error::EnvelopeNotValid)?;
    let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| Error::EnvelopeNotValid)?;
    let recipient = PublicKey::from(own).to_bytes();
    let shared = own.diffie_hellman(&PublicKey::from(ephemeral));
    if !shared.was_contributory() {
        return Err(Error::EnvelopeNotValid);
    }
    let key = sealed_key(shared.as_bytes(), &ephemeral, &recipient);
    let aad = sealed_aad(app_id, context, &ephemeral, &recipient)?;
    Aes256Gcm::new((&*key).into())
        .decrypt(&Nonce::from(nonce), Payload { msg: ciphertext, aad: &aad })
        .map(Zeroizing::new)
        .map_err(|_| Error::EnvelopeNotValid)
}
