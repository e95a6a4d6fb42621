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

use crate::server::Deployment;
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
    /// CPU time the servers spent during the phase.
    pub server_cpu: Duration,
    /// CPU time the database's own processes spent during the phase (PostgreSQL; zero for SQLite).
    pub database_cpu: Duration,
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

    /// Database CPU per completed operation.
    pub fn database_cpu_per_op(&self) -> Duration {
        self.database_cpu / u32::try_from(self.completed.max(1)).unwrap_or(u32::MAX)
    }

    /// Servers and database together, per completed operation.
    pub fn total_cpu_per_op(&self) -> Duration {
        self.server_cpu_per_op() + self.database_cpu_per_op()
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
        database_cpu: Duration::ZERO,
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

/// Which phases to run.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Phases {
    /// Every phase, ending with 1,000 concurrent clients (for the server's peak memory).
    All,
    /// Sign-ups, sign-ins, resumes and online checks.
    Throughput,
}

/// CPU time of the servers and of the database so far.
fn cpu(deployment: &Deployment) -> (Duration, Duration) {
    (deployment.server_cpu_time(), deployment.database_cpu_time())
}

/// Sets a phase's CPU times from readings before and after it.
fn charge(phase: &mut Phase, before: (Duration, Duration), after: (Duration, Duration)) {
    phase.server_cpu = after.0.saturating_sub(before.0);
    phase.database_cpu = after.1.saturating_sub(before.1);
}

/// The base URLs of the deployment's replicas for one app.
fn bases(server: &Deployment) -> Arc<Vec<String>> {
    Arc::new((0..server.replica_count()).map(|i| format!("{}/v1/apps/{}", server.url(i), server.app_id)).collect())
}

/// Longest a phase may run.
const BOUND: Duration = Duration::from_secs(60);

/// `total` sign-ups (no client KDF: the server never sees one; random keys have the same shape), and
/// the accounts they made.
async fn sign_up_phase(
    server: &Deployment,
    http: &reqwest::Client,
    total: usize,
) -> anyhow::Result<(Phase, Arc<Vec<Account>>)> {
    let bases = bases(server);
    let accounts = Arc::new(std::sync::Mutex::new(Vec::<Account>::new()));
    let before = cpu(server);
    let mut sign_ups = {
        let (http, bases, accounts) = (http.clone(), bases.clone(), accounts.clone());
        run_phase("sign-up", total, 64, BOUND, move |i| {
            let (http, base, accounts) = (http.clone(), bases[i % bases.len()].clone(), accounts.clone());
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
    charge(&mut sign_ups, before, cpu(server));
    let accounts: Arc<Vec<Account>> =
        Arc::new(std::mem::take(&mut *accounts.lock().unwrap_or_else(std::sync::PoisonError::into_inner)));
    anyhow::ensure!(!accounts.is_empty(), "no sign-up succeeded");
    Ok((sign_ups, accounts))
}

/// One run of `total` sign-ins: pre-login + signed challenge; the signature is the client's only work
/// (no scrypt).
async fn sign_in_run(server: &Deployment, http: &reqwest::Client, accounts: &Arc<Vec<Account>>, total: usize) -> Phase {
    let before = cpu(server);
    let (http, bases, accounts, app_id) = (http.clone(), bases(server), accounts.clone(), server.app_id.clone());
    let mut run = run_phase("sign-in (pre-login + signed challenge)", total, 64, BOUND, move |i| {
        // Pre-login and sign-in may reach different replicas: both go round robin.
        let (http, accounts, app_id) = (http.clone(), accounts.clone(), app_id.clone());
        let (pre_login_base, sign_in_base) = (bases[i % bases.len()].clone(), bases[(i + 1) % bases.len()].clone());
        async move {
            let account = &accounts[i % accounts.len()];
            let Ok(response) = http.post(format!("{pre_login_base}/pre-login")).json(&json!({ "username": account.username })).send().await else {
                return false;
            };
            let Ok(pre) = response.json::<PreLoginResponse>().await else { return false };
            let message = challenge_message(ChallengePurpose::SignIn, &app_id, &account.username, &pre.challenge.0, &pre.audience);
            let signature = b64::encode(&account.login_key.sign(&message).to_bytes());
            let body = json!({ "username": account.username, "challenge": pre.challenge, "signature": signature, "rememberMe": "none" });
            matches!(http.post(format!("{sign_in_base}/sign-in")).json(&body).send().await, Ok(r) if r.status().is_success())
        }
    })
    .await;
    charge(&mut run, before, cpu(server));
    run
}

/// The median run (by rate) of several, carrying every run's rate.
fn median_run(mut runs: Vec<Phase>) -> Phase {
    let rates = runs.iter().map(Phase::per_second).collect();
    runs.sort_by(|a, b| a.per_second().total_cmp(&b.per_second()));
    let mut median = runs.swap_remove(runs.len() / 2);
    median.runs_per_second = rates;
    median
}

/// Sign-in runs on two servers in turn, `rounds` of each, the order flipped every round (ABBAAB…) so
/// drift of the machine over the comparison falls on both alike; the median run of each.
pub async fn interleaved_sign_ins(
    a: &Deployment,
    b: &Deployment,
    scale: usize,
    rounds: usize,
) -> anyhow::Result<(Phase, Phase)> {
    let http = reqwest::Client::builder().pool_max_idle_per_host(2000).build()?;
    let (_, accounts_a) = sign_up_phase(a, &http, scale).await?;
    let (_, accounts_b) = sign_up_phase(b, &http, scale).await?;
    let (mut runs_a, mut runs_b) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        if round % 2 == 0 {
            runs_a.push(sign_in_run(a, &http, &accounts_a, scale * 2).await);
            runs_b.push(sign_in_run(b, &http, &accounts_b, scale * 2).await);
        } else {
            runs_b.push(sign_in_run(b, &http, &accounts_b, scale * 2).await);
            runs_a.push(sign_in_run(a, &http, &accounts_a, scale * 2).await);
        }
    }
    Ok((median_run(runs_a), median_run(runs_b)))
}

/// The server phases, and the first server's peak RSS at the end. Requests go round robin to the
/// deployment's replicas, as a load balancer would send them.
pub async fn server_phases(server: &Deployment, scale: usize, phases: Phases) -> anyhow::Result<(Vec<Phase>, u64)> {
    let http = reqwest::Client::builder().pool_max_idle_per_host(2000).build()?;
    let bases = bases(server);
    let bound = BOUND;
    let (sign_ups, accounts) = sign_up_phase(server, &http, scale).await?;

    // Run SIGN_IN_RUNS times and the median run kept: on this shared VM one run's rate varies by about
    // ±10 %, and this rate is judged against a target.
    let mut sign_in_runs = Vec::new();
    for _ in 0..SIGN_IN_RUNS {
        sign_in_runs.push(sign_in_run(server, &http, &accounts, scale * 2).await);
    }
    let sign_ins = median_run(sign_in_runs);

    let resume = |name: &'static str, concurrency: usize, total: usize| {
        let (http, bases, accounts) = (http.clone(), bases.clone(), accounts.clone());
        run_phase(name, total, concurrency, bound, move |i| {
            let (http, base, accounts) = (http.clone(), bases[i % bases.len()].clone(), accounts.clone());
            async move {
                let account = &accounts[i % accounts.len()];
                matches!(http.post(format!("{base}/session")).bearer_auth(&account.secret).send().await, Ok(r) if r.status().is_success())
            }
        })
    };
    let before = cpu(server);
    let mut resumes = resume("session resume", 64, scale * 2).await;
    charge(&mut resumes, before, cpu(server));

    let before = cpu(server);
    let urls: Arc<Vec<String>> = Arc::new((0..server.replica_count()).map(|i| server.url(i).to_owned()).collect());
    let mut online = {
        let (http, urls, accounts, admin) =
            (http.clone(), urls.clone(), accounts.clone(), server.admin_access_token.clone());
        run_phase("online token check", scale * 2, 64, bound, move |i| {
            let (http, url, accounts, admin) = (http.clone(), urls[i % urls.len()].clone(), accounts.clone(), admin.clone());
            async move {
                let token = &accounts[i % accounts.len()].auth_token;
                matches!(http.get(format!("{url}/v1/admin/auth-tokens/{token}")).bearer_auth(&admin).send().await, Ok(r) if r.status().is_success())
            }
        })
        .await
    };

    charge(&mut online, before, cpu(server));
    let mut measured = vec![sign_ups, sign_ins, resumes, online];
    if phases == Phases::All {
        let before = cpu(server);
        let mut crowd = resume("session resume, 1,000 concurrent clients", 1000, scale * 2).await;
        charge(&mut crowd, before, cpu(server));
        measured.push(crowd);
    }
    Ok((measured, server.peak_rss()))
}
