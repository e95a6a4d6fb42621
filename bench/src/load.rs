//! The load generator: a fixed number of requests per phase, a bounded duration, N concurrent clients
//! on loopback, latency of every request kept.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ed25519_dalek::{Signer, SigningKey};
use sealbase::protocol::b64::{self, Bytes};
use sealbase::protocol::{challenge_message, ChallengePurpose, PreLoginResponse};
use serde_json::{json, Value};

use crate::server::ServerProcess;
use crate::stats::Summary;

/// One phase's outcome.
#[derive(Debug, Clone)]
pub struct Phase {
    pub name: &'static str,
    pub concurrency: usize,
    pub completed: usize,
    pub failed: usize,
    pub elapsed: Duration,
    pub latency: Summary,
    /// CPU time the server spent during the phase.
    pub server_cpu: Duration,
    /// For a phase run several times (the sign-in rate has a target): every run's rate, this phase's
    /// own figures being those of the median run.
    pub runs_per_second: Vec<f64>,
}

impl Phase {
    pub fn per_second(&self) -> f64 {
        self.completed as f64 / self.elapsed.as_secs_f64()
    }

    /// Server CPU per completed operation.
    pub fn server_cpu_per_op(&self) -> Duration {
        self.server_cpu / u32::try_from(self.completed.max(1)).unwrap_or(u32::MAX)
    }
}

async fn run_phase<F, Fut>(name: &'static str, total: usize, concurrency: usize, bound: Duration, op: F) -> Phase
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = bool> + Send,
{
    let op = Arc::new(op);
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            let (op, next) = (op.clone(), next.clone());
            tokio::spawn(async move {
                let (mut latencies, mut failed) = (Vec::new(), 0);
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= total || start.elapsed() > bound {
                        break;
                    }
                    let began = Instant::now();
                    if op(i).await {
                        latencies.push(began.elapsed());
                    } else {
                        failed += 1;
                    }
                }
                (latencies, failed)
            })
        })
        .collect();
    let (mut latencies, mut failed) = (Vec::new(), 0);
    for worker in workers {
        if let Ok((mut l, f)) = worker.await {
            latencies.append(&mut l);
            failed += f;
        }
    }
    let elapsed = start.elapsed();
    Phase {
        name,
        concurrency,
        completed: latencies.len(),
        failed,
        elapsed,
        latency: Summary::of(&latencies),
        server_cpu: Duration::ZERO,
        runs_per_second: Vec::new(),
    }
}

struct Account {
    username: String,
    login_key: SigningKey,
    secret: String,
    auth_token: String,
}

fn random_bytes(n: usize) -> Vec<u8> {
    (0..n).map(|_| rand::random::<u8>()).collect()
}

/// How many times the sign-in phase runs (odd, for a median run).
const SIGN_IN_RUNS: usize = 3;

/// Every server phase, and the server's peak RSS after the 1,000-client phase.
pub async fn server_phases(server: &ServerProcess, scale: usize) -> anyhow::Result<(Vec<Phase>, u64)> {
    let http = reqwest::Client::builder().pool_max_idle_per_host(2000).build()?;
    let base = format!("{}/v1/apps/{}", server.url, server.app_id);
    let bound = Duration::from_secs(60);
    let accounts = Arc::new(std::sync::Mutex::new(Vec::<Account>::new()));

    // Sign-ups (no client KDF: the server never sees one; random keys have the same shape).
    let cpu = || server.cpu_time();
    let before = cpu();
    let mut sign_ups = {
        let (http, base, accounts) = (http.clone(), base.clone(), accounts.clone());
        run_phase("sign-up", scale, 64, bound, move |i| {
            let (http, base, accounts) = (http.clone(), base.clone(), accounts.clone());
            async move {
                let login_key = SigningKey::from_bytes(&Bytes::<32>(rand::random()).0);
                let body = json!({
                    "username": format!("user{i}"),
                    "kdf": { "algorithm": "scrypt", "logN": 15, "r": 8, "p": 1, "salt": b64::encode(&random_bytes(16)) },
                    "loginPublicKey": b64::encode(login_key.verifying_key().as_bytes()),
                    "seedBackup": { "nonce": b64::encode(&random_bytes(12)), "ciphertext": b64::encode(&random_bytes(48)) },
                    "identity": { "signing": b64::encode(&random_bytes(32)), "exchange": b64::encode(&random_bytes(32)) },
                });
                let Ok(response) = http.post(format!("{base}/users")).json(&body).send().await else { return false };
                let Ok(answer) = response.json::<Value>().await else { return false };
                let (Some(secret), Some(token)) = (answer["session"]["secret"].as_str(), answer["user"]["authToken"].as_str()) else {
                    return false;
                };
                let account = Account { username: format!("user{i}"), login_key, secret: secret.into(), auth_token: token.into() };
                accounts.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(account);
                true
            }
        })
        .await
    };
    sign_ups.server_cpu = cpu() - before;
    let accounts: Arc<Vec<Account>> =
        Arc::new(std::mem::take(&mut *accounts.lock().unwrap_or_else(std::sync::PoisonError::into_inner)));
    anyhow::ensure!(!accounts.is_empty(), "no sign-up succeeded");

    // Sign-ins: pre-login + signed challenge; the signature is the client's only work (no scrypt).
    // Run SIGN_IN_RUNS times and the median run kept: on this shared VM one run's rate varies by about
    // ±10 %, and this rate is judged against a target.
    let mut sign_in_runs = Vec::new();
    for _ in 0..SIGN_IN_RUNS {
        let before = cpu();
        let (http, base, accounts, app_id) = (http.clone(), base.clone(), accounts.clone(), server.app_id.clone());
        let mut run = run_phase("sign-in (pre-login + signed challenge)", scale * 2, 64, bound, move |i| {
            let (http, base, accounts, app_id) = (http.clone(), base.clone(), accounts.clone(), app_id.clone());
            async move {
                let account = &accounts[i % accounts.len()];
                let Ok(response) = http.post(format!("{base}/pre-login")).json(&json!({ "username": account.username })).send().await else {
                    return false;
                };
                let Ok(pre) = response.json::<PreLoginResponse>().await else { return false };
                let message = challenge_message(ChallengePurpose::SignIn, &app_id, &account.username, &pre.challenge.0, &pre.audience);
                let signature = b64::encode(&account.login_key.sign(&message).to_bytes());
                let body = json!({ "username": account.username, "challenge": pre.challenge, "signature": signature, "rememberMe": "none" });
                matches!(http.post(format!("{base}/sign-in")).json(&body).send().await, Ok(r) if r.status().is_success())
            }
        })
        .await;
        run.server_cpu = cpu() - before;
        sign_in_runs.push(run);
    }
    let runs_per_second = sign_in_runs.iter().map(Phase::per_second).collect();
    sign_in_runs.sort_by(|a, b| a.per_second().total_cmp(&b.per_second()));
    let mut sign_ins = sign_in_runs.swap_remove(SIGN_IN_RUNS / 2);
    sign_ins.runs_per_second = runs_per_second;

    let resume = |name: &'static str, concurrency: usize, total: usize| {
        let (http, base, accounts) = (http.clone(), base.clone(), accounts.clone());
        run_phase(name, total, concurrency, bound, move |i| {
            let (http, base, accounts) = (http.clone(), base.clone(), accounts.clone());
            async move {
                let account = &accounts[i % accounts.len()];
                matches!(http.post(format!("{base}/session")).bearer_auth(&account.secret).send().await, Ok(r) if r.status().is_success())
            }
        })
    };
    let before = cpu();
    let mut resumes = resume("session resume", 64, scale * 2).await;
    resumes.server_cpu = cpu() - before;

    let before = cpu();
    let mut online = {
        let (http, url, accounts, admin) =
            (http.clone(), server.url.clone(), accounts.clone(), server.admin_access_token.clone());
        run_phase("online token check", scale * 2, 64, bound, move |i| {
            let (http, url, accounts, admin) = (http.clone(), url.clone(), accounts.clone(), admin.clone());
            async move {
                let token = &accounts[i % accounts.len()].auth_token;
                matches!(http.get(format!("{url}/v1/admin/auth-tokens/{token}")).bearer_auth(&admin).send().await, Ok(r) if r.status().is_success())
            }
        })
        .await
    };

    online.server_cpu = cpu() - before;
    let before = cpu();
    let mut crowd = resume("session resume, 1,000 concurrent clients", 1000, scale * 2).await;
    crowd.server_cpu = cpu() - before;
    let peak = server.peak_rss();
    Ok((vec![sign_ups, sign_ins, resumes, online, crowd], peak))
}
