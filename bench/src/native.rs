//! Native measurements: scrypt alone, signUp/signIn end to end, offline verification.

use std::time::{Duration, Instant};

use sealbase::crypto::{KdfAlgorithm, KdfParams, PasswordKey};
use sealbase::protocol::b64::Bytes;
use sealbase::{Client, RememberMe, SignIn, SignUp};

use crate::server::ServerProcess;

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

/// signUp (fresh client each time, so the app-settings request is included) and signIn, through the
/// SDK against the server on loopback. Returns the samples and one valid authToken.
pub async fn end_to_end(
    server: &ServerProcess,
    times: usize,
) -> anyhow::Result<(Vec<Duration>, Vec<Duration>, String)> {
    let (mut sign_ups, mut sign_ins, mut token) = (Vec::new(), Vec::new(), String::new());
    for i in 0..=times {
        let client = Client::new(&server.app_id, &server.url)?;
        let username = format!("e2e{i}");
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
        token = user.auth_token;
        // The first round warms connections and caches; it is not counted.
        if i > 0 {
            sign_ups.push(sign_up);
            sign_ins.push(sign_in);
        }
    }
    Ok((sign_ups, sign_ins, token))
}

/// Offline verifications per second on one thread (one core), with the JWKS cached.
pub async fn verifications_per_second(server: &ServerProcess, token: &str) -> anyhow::Result<f64> {
    let verifier =
        sealbase::token::Verifier::new(&server.url, &server.app_id).await.map_err(|e| anyhow::anyhow!("{e}"))?;
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
