//! Floors: the bare cryptography a server operation cannot avoid, timed alone on one thread, so what
//! the server spends beyond it can be stated as a ratio measured in the same run.

use std::hint::black_box;
use std::time::{Duration, Instant};

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

/// How long each floor is timed.
const TIMED: Duration = Duration::from_secs(2);

/// Mean time of `work` over [`TIMED`].
fn time_per(mut work: impl FnMut()) -> Duration {
    for _ in 0..100 {
        work();
    }
    let (start, mut count) = (Instant::now(), 0u32);
    while start.elapsed() < TIMED {
        for _ in 0..100 {
            work();
        }
        count += 100;
    }
    start.elapsed() / count
}

fn mac(key: &[u8; 32], parts: &[&[u8]]) -> Hmac<Sha256> {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("any key length");
    for part in parts {
        mac.update(&(part.len() as u32).to_be_bytes());
        mac.update(part);
    }
    mac
}

/// The cryptography of one sign-in on the server, pre-login and sign-in together: the challenge's
/// random nonce and HMAC-SHA256 (issued), the HMAC again (checked), the login key decoded and the
/// Ed25519 signature of the 159-byte challenge message checked strictly, the session secret drawn and
/// hashed with SHA-256, and the authToken signed with Ed25519.
pub fn sign_in_crypto() -> Duration {
    let server_key = [7u8; 32];
    let login = SigningKey::from_bytes(&[9u8; 32]);
    let login_public = login.verifying_key().to_bytes();
    let message = [0x42u8; 159];
    let signature = login.sign(&message);
    let token_key = SigningKey::from_bytes(&[3u8; 32]);
    // A JWS signing input of an authToken's usual size (header and claims, base64url).
    let token_input = vec![b'a'; 330];
    let (app_id, username) = (b"0b3f2c6e-5a1d-4c8e-9f7a-2d4b6e8c0a1f".as_slice(), b"user1234".as_slice());
    time_per(|| {
        let mut challenge = [0u8; 56];
        getrandom::fill(&mut challenge[..16]).expect("random");
        let tag = mac(&server_key, &[b"sealbase/v1/challenge", app_id, username, &challenge[..24]]).finalize();
        challenge[24..].copy_from_slice(&tag.into_bytes());
        let checked = mac(&server_key, &[b"sealbase/v1/challenge", app_id, username, &challenge[..24]])
            .verify_slice(&challenge[24..]);
        black_box(checked.is_ok());
        let key = VerifyingKey::from_bytes(black_box(&login_public)).expect("key");
        black_box(key.verify_strict(black_box(&message), black_box(&signature)).is_ok());
        let mut secret = [0u8; 32];
        getrandom::fill(&mut secret).expect("random");
        black_box(Sha256::digest(secret));
        black_box(token_key.sign(black_box(&token_input)));
    })
}

/// One strict Ed25519 verification of an authToken-sized message with a decoded key: the floor of an
/// offline token verification.
pub fn token_verification() -> Duration {
    let key = SigningKey::from_bytes(&[3u8; 32]);
    let input = vec![b'a'; 330];
    let signature: Signature = key.sign(&input);
    let public = key.verifying_key();
    time_per(|| {
        black_box(public.verify_strict(black_box(&input), black_box(&signature)).is_ok());
    })
}
