//! Password proofs: a challenge from pre-login, signed with the login key the password derives
//! (docs/protocol.md §3.4). What can be checked without the database is checked here, before the one
//! transaction that spends the proof ([`crate::store::Store::spend_proof`]):
//! - the challenge is authentic (its MAC, in constant time), bound to this app and username, unexpired;
//! - the signature verifies against the account's login key, read beforehand; an unknown username costs
//!   the same check against a fixed key, so timing does not tell the two apart.

use ed25519_dalek::{Signature, VerifyingKey};
use sealbase::protocol::b64::Bytes;
use sealbase::protocol::{challenge_message, ChallengePurpose, CHALLENGE_LEN};
use sealbase::Error;

use super::challenge::ServerSecret;
use super::throttle;
use crate::error::ApiResult;
use crate::store::{Login, ProofAttempt, ProofOutcome, Store, UserRecord};

/// A proof checked as far as it can be without spending it.
#[derive(Debug)]
pub struct CheckedProof {
    nonce: [u8; 16],
    challenge_expires_at: i64,
    /// The account the signature verified against (`None`: unknown user or bad signature).
    pub verified: Option<UserRecord>,
    /// For a password reset that verified, the recovery login key it verified against.
    pub recovery_login_public_key: Option<[u8; 32]>,
}

/// What a proof needs to be checked.
pub struct Proof<'a> {
    /// The app.
    pub app_id: &'a str,
    /// The username (stored form) the challenge was issued for.
    pub username: &'a str,
    /// What the proof authorises (sign-in, password change, first sign-in, reset), bound into the
    /// signed message.
    pub purpose: ChallengePurpose,
    /// The challenge from pre-login or pre-reset.
    pub challenge: &'a Bytes<CHALLENGE_LEN>,
    /// The signature of the challenge message by the key the purpose calls for (login, legacy login or
    /// recovery login key).
    pub signature: &'a Bytes<64>,
}

/// Checks a proof's challenge and signature; `ChallengeNotValid` for a forged, misbound or expired
/// challenge.
pub async fn check(
    proof: &Proof<'_>,
    secret: &ServerSecret,
    audience: &str,
    store: &dyn Store,
) -> ApiResult<CheckedProof> {
    let (nonce, challenge_expires_at) = secret.check_challenge(proof.challenge, proof.app_id, proof.username)?;
    let message = challenge_message(proof.purpose, proof.app_id, proof.username, &proof.challenge.0, audience);
    let stored = store.user_by_username(proof.app_id, proof.username).await?;
    // Read for any reset, whether or not the user exists, so timing does not tell.
    let recovery = match proof.purpose {
        ChallengePurpose::ResetPassword { .. } => store.recovery(proof.app_id, proof.username).await?,
        _ => None,
    };
    // A sign-in or password change is proved with the login key, a reset with the recovery login key, a
    // pending account's first sign-in with its verifier: a proof of another kind verifies nothing.
    let key = match (&stored.as_ref().map(|user| &user.login), proof.purpose) {
        (Some(Login::Keys(keys)), ChallengePurpose::SignIn | ChallengePurpose::ChangePassword { .. }) => {
            Some(&keys.login_public_key.0)
        }
        (Some(Login::Keys(_)), ChallengePurpose::ResetPassword { .. }) => {
            recovery.as_ref().map(|recovery| &recovery.login_public_key)
        }
        (Some(Login::Pending(verifier)), ChallengePurpose::FirstSignIn { .. }) => Some(&verifier.public_key.0),
        _ => None,
    };
    let signature_valid = match key {
        Some(key) => login_signature_valid(key, &message, proof.signature),
        None => decoy_signature_check(&message, proof.signature),
    };
    Ok(CheckedProof {
        nonce,
        challenge_expires_at,
        recovery_login_public_key: recovery.filter(|_| signature_valid).map(|recovery| recovery.login_public_key),
        verified: stored.filter(|_| signature_valid),
    })
}

impl CheckedProof {
    /// The attempt to hand to the store.
    pub fn attempt<'a>(&'a self, app_id: &'a str, username: &'a str, now: i64) -> ProofAttempt<'a> {
        ProofAttempt {
            app_id,
            username,
            nonce: self.nonce,
            challenge_expires_at: self.challenge_expires_at,
            now,
            verified: self.verified.as_ref(),
            email_must_be_verified: false,
        }
    }
}

/// The public error for a proof that was not accepted (`mismatch` for a wrong password or unknown
/// user), or the user it was accepted for.
pub fn accepted(outcome: ProofOutcome, now: i64, mismatch: Error) -> Result<UserRecord, Error> {
    match outcome {
        ProofOutcome::Accepted(user) => Ok(user),
        ProofOutcome::Failed => Err(mismatch),
        ProofOutcome::ChallengeNotValid => Err(Error::ChallengeNotValid),
        ProofOutcome::Throttled { locked_until } => Err(throttle::limit_exceeded(locked_until, now)),
        ProofOutcome::Refused(refusal) => Err(refusal.into()),
    }
}

/// Checks an Ed25519 signature by a login key (strict verification: no malleable forms).
pub fn login_signature_valid(login_public_key: &[u8; 32], message: &[u8], signature: &Bytes<64>) -> bool {
    let Ok(key) = VerifyingKey::from_bytes(login_public_key) else { return false };
    key.verify_strict(message, &Signature::from_bytes(&signature.0)).is_ok()
}

/// The same work as [`login_signature_valid`] for a username that does not exist; always false.
fn decoy_signature_check(message: &[u8], signature: &Bytes<64>) -> bool {
    // A fixed, valid public key (derived once from a public constant; it guards nothing).
    static DECOY: std::sync::LazyLock<VerifyingKey> =
        std::sync::LazyLock::new(|| ed25519_dalek::SigningKey::from_bytes(&[0x5e; 32]).verifying_key());
    let _ = DECOY.verify_strict(message, &Signature::from_bytes(&signature.0));
    false
}
