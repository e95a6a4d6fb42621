//! Email verification (docs/protocol.md §3.16): a link token and a code, made here, mailed, and stored
//! only as hashes; single use, expiring, with a few wrong codes allowed.

use sealbase::protocol::b64;
use zeroize::Zeroizing;

use super::hash_secret;
use crate::store::{NewEmailVerification, SecretHash};

/// How long a verification stays valid.
pub const VALID_MS: i64 = 24 * 3_600_000;
/// Wrong codes after which a verification is dead (its link too).
pub const MAX_WRONG_CODES: i64 = 5;
/// A failed sign-in of an unverified user sends a new verification at most this often.
pub const RESEND_AFTER_MS: i64 = 60_000;
/// Digits of a code.
pub const CODE_DIGITS: usize = 8;

/// A verification's secrets, for the mail, and what the store keeps of them.
pub struct IssuedVerification {
    /// The link's token (32 random bytes, base64url).
    pub token: Zeroizing<String>,
    /// The code.
    pub code: Zeroizing<String>,
    /// What is stored.
    pub record: NewEmailVerification,
}

/// The hash a code is stored and looked up as: bound to its user, so equal codes never collide.
pub fn code_hash(user_id: &str, code: &str) -> SecretHash {
    hash_secret(format!("{user_id}\n{}", code.trim()).as_bytes())
}

/// The hash a link's token is stored and looked up as.
pub fn token_hash(token: &str) -> SecretHash {
    hash_secret(token.as_bytes())
}

/// A new verification of `email` for `user_id`.
pub fn issue(user_id: &str, email: &str, now: i64) -> IssuedVerification {
    let token = Zeroizing::new(b64::encode(&sealbase::crypto::random::array::<32>()));
    let draw = u64::from_le_bytes(sealbase::crypto::random::array::<8>());
    // 10^8 divides 2^64 unevenly by a bias of about 5e-12: negligible.
    let code = Zeroizing::new(format!("{:0width$}", draw % 10u64.pow(CODE_DIGITS as u32), width = CODE_DIGITS));
    let record = NewEmailVerification {
        user_id: user_id.to_owned(),
        email: email.to_owned(),
        token_hash: token_hash(&token),
        code_hash: code_hash(user_id, &code),
        created_at: now,
        expires_at: now + VALID_MS,
    };
    IssuedVerification { token, code, record }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_have_their_digits_and_hashes_bind_the_user() {
        let issued = issue("u1", "ada@example.com", 0);
        assert_eq!(issued.code.len(), CODE_DIGITS);
        assert!(issued.code.bytes().all(|b| b.is_ascii_digit()));
        assert_eq!(issued.record.code_hash, code_hash("u1", &issued.code));
        assert_ne!(code_hash("u1", "12345678"), code_hash("u2", "12345678"));
        assert_eq!(issued.record.token_hash, token_hash(&issued.token));
        assert_eq!(issued.record.expires_at, VALID_MS);
    }
}
