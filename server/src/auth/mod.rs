//! The rules of authentication, with no storage and no HTTP: challenges and fake salts, password
//! proofs, the throttle's delays, the per-address budget, sessions, authTokens, app secrets, and the
//! key-encryption key that seals the server's own secrets at rest.

pub mod app_secret;
pub mod budget;
pub mod challenge;
pub mod email_verification;
pub mod proof;
pub mod sealing;
pub mod session;
pub mod throttle;
pub mod tokens;

use sha2::{Digest, Sha256};

use crate::store::SecretHash;

/// SHA-256 of a secret: what the database keeps instead of it.
pub fn hash_secret(secret: &[u8]) -> SecretHash {
    Sha256::digest(secret).into()
}
