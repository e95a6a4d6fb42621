//! Native measurements: scrypt alone, signUp/signIn end to end, offline verification.

use std::time::{Duration, Instant};

use sealbase::crypto::{KdfAlgorithm, KdfParams, PasswordKey};
use sealbase::protocol::b64::Bytes;
use sealbase::{Client, RememberMe, SignIn, SignUp};

use crate::server::Deployment;

const PASSWORD: &str = "correct horse battery staple";

/// One derivation as sign-up and sign-in run it (log2 N = 15, r = 8, p = 1).
pub fn kdf(times: usize) -> Vec<Duration> {
    let params = KdfParams { algorithm: KdfAlgorithm::Scrypt, log_n: 15, r: 8, p: 1, salt: Bytes([7; 16]) };
    let run = || PasswordKey::derive(PASSWORD.as_bytes(), &params).map(drop);
    let _ = run();
    (0..times)
        .map(|_| {
            let start = Instant::now();
            let _ = run();
            start.elapsed()
        })
        .collect()
}

/// signUp and signIn through the SDK against the server on loopback, each timed right after a KDF run
/// of its own, so that each overhead sample (operation minus the KDF beside it) compares neighbours and
/// the machine's drift over the run cancels out.
pub struct EndToEnd {
    /// The KDF runs taken beside the operations.
    pub kdf: Vec<Duration>,
    pub sign_up: Vec<Duration>,
    pub sign_in: Vec<Duration>,
    /// Per pair: signUp minus the KDF run just before it, in milliseconds (noise can make one negative).
    pub sign_up_overhead_ms: Vec<f64>,
    /// Per pair: signIn minus the KDF run just before it, in milliseconds.
    pub sign_in_overhead_ms: Vec<f64>,
    /// One valid authToken, for the verification measurement.
    pub token: String,
}

/// Runs `times` rounds of: KDF, signUp (a fresh client each time, so the app-settings request is
/// included), signOut, KDF, signIn.
pub async fn end_to_end(server: &Deployment, times: usize) -> anyhow::Result<EndToEnd> {
    let params = KdfParams { algorithm: KdfAlgorithm::Scrypt, log_n: 15, r: 8, p: 1, salt: Bytes([7; 16]) };
    let kdf = || {
        let start = Instant::now();
        let _ = PasswordKey::derive(PASSWORD.as_bytes(), &params);
        start.elapsed()
    };
    let overhead = |operation: Duration, kdf: Duration| (operation.as_secs_f64() - kdf.as_secs_f64()) * 1000.0;
    let mut runs = EndToEnd {
        kdf: Vec::new(),
        sign_up: Vec::new(),
        sign_in: Vec::new(),
        sign_up_overhead_ms: Vec::new(),
        sign_in_overhead_ms: Vec::new(),
        token: String::new(),
    };
    for i in 0..=times {
        let client = Client::new(&server.app_id, server.url(0))?;
        let username = format!("e2e{i}");
        let kdf_before_sign_up = kdf();
        let start = Instant::now();
        client
            .sign_up(SignUp {
                username: username.clone(),
                password: PASSWORD.into(),
                remember_me: RememberMe::None,
                ..Default::default()
            })
            .await?;
        let sign_up = start.elapsed();
        client.sign_out().await?;
        let kdf_before_sign_in = kdf();
        let start = Instant::now();
        let user = client
            .sign_in(SignIn {
                username,
                password: PASSWORD.into(),
                remember_me: RememberMe::None,
                ..Default::default()
            })
            .await?;
        let sign_in = start.elapsed();
        runs.token = user.auth_token;
        // The first round warms connections and caches; it is not counted.
        if i > 0 {
            runs.kdf.extend([kdf_before_sign_up, kdf_before_sign_in]);
            runs.sign_up.push(sign_up);
            runs.sign_in.push(sign_in);
            runs.sign_up_overhead_ms.push(overhead(sign_up, kdf_before_sign_up));
            runs.sign_in_overhead_ms.push(overhead(sign_in, kdf_before_sign_in));
        }
    }
    Ok(runs)
}

/// Offline verifications per second on one thread (one core), with the JWKS cached.
pub async fn verifications_per_second(server: &Deployment, token: &str) -> anyhow::Result<f64> {
    let verifier =
        sealbase::token::Verifier::new(server.url(0), &server.app_id).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    anyhow::ensure!(verifier.verify_cached(token).is_ok(), "token does not verify");
    let start = Instant::now();
    let mut count = 0u64;
    while start.elapsed() < Duration::from_secs(3) {
        for _ in 0..100 {
            let _ = std::hint::black_box(verifier.verify_cached(std::hint::black_box(token)));
        }
        count += 100;
    }
    Ok(count as f64 / start.elapsed().as_secs_f64())
}
