//! Several servers on one PostgreSQL database, as separate processes (the release shape for teams that
//! outgrow one machine): what one replica does, the others see at once, and the database, not a
//! process, enforces every rule. Also the database's outages, at start and while serving, and TLS.
//!
//! These need PostgreSQL, so they are `#[ignore]`d unless asked for: `cargo xtask test` runs them on
//! its cluster (`SEALBASE_TEST_POSTGRES=<superuser URL> cargo test … -- --include-ignored`).

#[path = "../../tests/common/db.rs"]
#[allow(dead_code)]
mod db;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ed25519_dalek::{Signer, SigningKey};
use sealbase::protocol::b64::{self, Bytes};
use sealbase::protocol::{challenge_message, ChallengePurpose};
use serde_json::{json, Value};

const SERVER: &str = env!("CARGO_BIN_EXE_sealbase-server");

/// The cluster of this run; these tests are not meant to run without one.
fn cluster() -> String {
    match db::Backend::of_this_run() {
        db::Backend::Postgres(url) => url,
        db::Backend::Sqlite => panic!("needs PostgreSQL: set SEALBASE_TEST_POSTGRES to a cluster's superuser URL"),
    }
}

/// A `sealbase-server serve` process.
struct Replica {
    child: Child,
    url: String,
}

impl Replica {
    fn start(database: &str) -> Self {
        let mut child = Command::new(SERVER)
            .args(["serve", "--database", database, "--bind", "127.0.0.1:0", "--address-budget-per-minute", "1000000"])
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .spawn()
            .expect("server starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line).expect("server reports its address");
        let url = line.trim().strip_prefix("listening on ").unwrap_or_else(|| panic!("not an address: {line}"));
        Self { url: url.to_owned(), child }
    }

    /// `kill -9`.
    fn kill(&mut self) {
        self.child.kill().expect("killed");
        self.child.wait().expect("reaped");
    }

    fn app_url(&self, app_id: &str, route: &str) -> String {
        format!("{}/v1/apps/{app_id}/{route}", self.url)
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A database of the test's own on the cluster, with one app made by the CLI.
struct Deployment {
    db: db::TestDatabase,
    app_id: String,
    admin_access_token: String,
    _dir: tempfile::TempDir,
}

impl Deployment {
    async fn new(app_options: &[&str]) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = db::TestDatabase::create(dir.path()).await;
        let created = Command::new(SERVER)
            .args([&["app", "create", "--name", "replicas", "--database", db.url()][..], app_options].concat())
            .output()
            .expect("app create runs");
        assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
        let app: Value = serde_json::from_slice(&created.stdout).expect("app create prints JSON");
        Self {
            app_id: app["appId"].as_str().expect("appId").to_owned(),
            admin_access_token: app["adminAccessToken"].as_str().expect("token").to_owned(),
            db,
            _dir: dir,
        }
    }

    fn replicas(&self, count: usize) -> Vec<Replica> {
        (0..count).map(|_| Replica::start(self.db.url())).collect()
    }
}

/// A login key of the test's own: the server only ever sees its public half, so it need not come
/// from a password here.
fn login_key() -> SigningKey {
    SigningKey::from_bytes(&sealbase::crypto::random::array())
}

fn sign_up_body(username: &str, key: &SigningKey) -> Value {
    let random = |n: usize| b64::encode(&(0..n).map(|_| rand::random::<u8>()).collect::<Vec<u8>>());
    json!({
        "username": username,
        "rememberMe": "none",
        "sessionLength": 24,
        "kdf": { "algorithm": "scrypt", "logN": 15, "r": 8, "p": 1, "salt": random(16) },
        "loginPublicKey": b64::encode(key.verifying_key().as_bytes()),
        "seedBackup": { "nonce": random(12), "ciphertext": random(48) },
        "identity": { "signing": random(32), "exchange": random(32) }
    })
}

async fn send(request: reqwest::RequestBuilder) -> (u16, Value) {
    match request.timeout(Duration::from_secs(30)).send().await {
        Ok(response) => {
            let status = response.status().as_u16();
            (status, response.json().await.unwrap_or(Value::Null))
        }
        // The replica is gone (killed): no answer, so nothing was acknowledged.
        Err(_) => (0, Value::Null),
    }
}

async fn post(url: &str, body: &Value) -> (u16, Value) {
    send(reqwest::Client::new().post(url).json(body)).await
}

/// Pre-login and a signature of its challenge: the body of a sign-in.
async fn signed_challenge(replica: &Replica, app_id: &str, username: &str, key: &SigningKey) -> Value {
    let (status, pre_login) = post(&replica.app_url(app_id, "pre-login"), &json!({ "username": username })).await;
    assert_eq!(status, 200, "{pre_login}");
    let challenge = Bytes::<{ sealbase::protocol::CHALLENGE_LEN }>::decode(pre_login["challenge"].as_str().unwrap())
        .expect("challenge");
    let audience = pre_login["audience"].as_str().unwrap();
    let message = challenge_message(ChallengePurpose::SignIn, app_id, username, &challenge.0, audience);
    let signature = b64::encode(&key.sign(&message).to_bytes());
    json!({ "username": username, "challenge": pre_login["challenge"], "signature": signature })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs PostgreSQL (SEALBASE_TEST_POSTGRES); cargo xtask test runs it"]
async fn a_hundred_sign_ups_of_one_username_across_two_replicas_make_one_account() {
    cluster();
    let deployment = Deployment::new(&[]).await;
    let replicas = deployment.replicas(2);
    let key = login_key();
    let requests = (0..100).map(|i| {
        let url = replicas[i % 2].app_url(&deployment.app_id, "users");
        let body = sign_up_body("ada", &key);
        async move { post(&url, &body).await }
    });
    let answers = futures::future::join_all(requests).await;
    let created = answers.iter().filter(|(status, _)| *status == 201).count();
    let taken = answers.iter().filter(|(status, body)| *status == 409 && body["error"] == "UsernameAlreadyExists");
    assert_eq!((created, taken.count()), (1, 99), "{answers:?}");
    let db = &deployment.db;
    let stored = (
        db.count("SELECT COUNT(*) FROM users").await,
        db.count("SELECT COUNT(*) FROM sessions").await,
        db.count("SELECT user_count FROM apps").await,
    );
    assert_eq!(stored, (1, 1, 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs PostgreSQL (SEALBASE_TEST_POSTGRES); cargo xtask test runs it"]
async fn one_signed_challenge_replayed_fifty_times_across_two_replicas_opens_one_session() {
    cluster();
    let deployment = Deployment::new(&[]).await;
    let replicas = deployment.replicas(2);
    let key = login_key();
    let (status, _) = post(&replicas[0].app_url(&deployment.app_id, "users"), &sign_up_body("ada", &key)).await;
    assert_eq!(status, 201);
    let proof = signed_challenge(&replicas[0], &deployment.app_id, "ada", &key).await;
    let requests = (0..50).map(|i| {
        let url = replicas[i % 2].app_url(&deployment.app_id, "sign-in");
        let proof = proof.clone();
        async move { post(&url, &proof).await }
    });
    let answers = futures::future::join_all(requests).await;
    let signed_in = answers.iter().filter(|(status, _)| *status == 200).count();
    let replayed = answers.iter().filter(|(status, body)| *status == 401 && body["error"] == "ChallengeNotValid");
    assert_eq!((signed_in, replayed.count()), (1, 49), "{answers:?}");
    assert_eq!(deployment.db.count("SELECT COUNT(*) FROM sessions").await, 2, "the sign-up's and one sign-in's");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs PostgreSQL (SEALBASE_TEST_POSTGRES); cargo xtask test runs it"]
async fn a_user_quota_across_two_replicas_admits_exactly_that_many() {
    cluster();
    let deployment = Deployment::new(&["--user-quota", "10"]).await;
    let replicas = deployment.replicas(2);
    let key = login_key();
    let requests = (0..30).map(|i| {
        let url = replicas[i % 2].app_url(&deployment.app_id, "users");
        let body = sign_up_body(&format!("user{i}"), &key);
        async move { post(&url, &body).await }
    });
    let answers = futures::future::join_all(requests).await;
    let created = answers.iter().filter(|(status, _)| *status == 201).count();
    let refused = answers.iter().filter(|(status, body)| *status == 402 && body["error"] == "TrialExceededLimit");
    assert_eq!((created, refused.count()), (10, 20), "{answers:?}");
    assert_eq!(deployment.db.count("SELECT COUNT(*) FROM users").await, 10);
    assert_eq!(deployment.db.count("SELECT user_count FROM apps").await, 10);
}

#[tokio::test]
#[ignore = "needs PostgreSQL (SEALBASE_TEST_POSTGRES); cargo xtask test runs it"]
async fn a_sign_out_on_one_replica_fails_the_online_check_on_the_other_at_once() {
    cluster();
    let deployment = Deployment::new(&[]).await;
    let replicas = deployment.replicas(2);
    let (status, signed_up) =
        post(&replicas[0].app_url(&deployment.app_id, "users"), &sign_up_body("ada", &login_key())).await;
    assert_eq!(status, 201);
    let token = signed_up["user"]["authToken"].as_str().unwrap();
    let secret = signed_up["session"]["secret"].as_str().unwrap();
    let check = || {
        send(
            reqwest::Client::new()
                .get(format!("{}/v1/admin/auth-tokens/{token}", replicas[1].url))
                .bearer_auth(&deployment.admin_access_token),
        )
    };
    assert_eq!(check().await.0, 200);
    let signed_out =
        send(reqwest::Client::new().delete(replicas[0].app_url(&deployment.app_id, "session")).bearer_auth(secret))
            .await;
    assert_eq!(signed_out.0, 204);
    assert_eq!(check().await, (401, json!({ "message": "Auth token invalid." })));
}

/// The `kid` in an authToken's header.
fn kid(token: &str) -> String {
    let header = token.split('.').next().expect("a JWT");
    use base64::Engine;
    let header = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(header).expect("base64url");
    let header: Value = serde_json::from_slice(&header).expect("JSON");
    header["kid"].as_str().expect("kid").to_owned()
}

#[tokio::test]
#[ignore = "needs PostgreSQL (SEALBASE_TEST_POSTGRES); cargo xtask test runs it"]
async fn after_keys_rotate_every_replica_signs_with_the_new_key_within_the_reload_interval() {
    cluster();
    let deployment = Deployment::new(&[]).await;
    let replicas = deployment.replicas(2);
    let (status, signed_up) =
        post(&replicas[0].app_url(&deployment.app_id, "users"), &sign_up_body("ada", &login_key())).await;
    assert_eq!(status, 201);
    let secret = signed_up["session"]["secret"].as_str().unwrap().to_owned();
    let old_kid = kid(signed_up["user"]["authToken"].as_str().unwrap());

    let rotated = Command::new(SERVER).args(["keys", "rotate", "--database", deployment.db.url()]).output().unwrap();
    assert!(rotated.status.success(), "{}", String::from_utf8_lossy(&rotated.stderr));
    let rotated_at = Instant::now();
    let new_kid = serde_json::from_slice::<Value>(&rotated.stdout).expect("JSON")["kid"].as_str().unwrap().to_owned();
    assert_ne!(new_kid, old_kid);

    // Documented: within RELOAD_INTERVAL (5 s) of the rotation; a second of margin for the poll.
    let deadline = sealbase_server::auth::tokens::RELOAD_INTERVAL + Duration::from_secs(1);
    for replica in &replicas {
        loop {
            let (status, body) = send(
                reqwest::Client::new().post(replica.app_url(&deployment.app_id, "auth-token")).bearer_auth(&secret),
            )
            .await;
            assert_eq!(status, 200, "{body}");
            if kid(body["authToken"].as_str().unwrap()) == new_kid {
                break;
            }
            assert!(rotated_at.elapsed() < deadline, "{} still signs with the old key", replica.url);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs PostgreSQL (SEALBASE_TEST_POSTGRES); cargo xtask test runs it"]
async fn killing_one_replica_under_sign_up_load_loses_no_acknowledged_user() {
    cluster();
    let deployment = Deployment::new(&[]).await;
    let mut replicas = deployment.replicas(2);
    let key = login_key();
    let (sign_ups, killed_after) = (400, 100);
    let acknowledged = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let (ack_count_tx, mut ack_count) = tokio::sync::watch::channel(0usize);
    let urls = [replicas[0].app_url(&deployment.app_id, "users"), replicas[1].app_url(&deployment.app_id, "users")];
    let load = tokio::spawn({
        let acknowledged = acknowledged.clone();
        let key = key.clone();
        async move {
            let mut pending = tokio::task::JoinSet::new();
            for i in 0..sign_ups {
                let (url, body) = (urls[i % 2].clone(), sign_up_body(&format!("user{i}"), &key));
                pending.spawn(async move { (i, post(&url, &body).await) });
                // 32 in flight at a time.
                while pending.len() >= 32 {
                    if let Some(Ok((i, (201, _)))) = pending.join_next().await {
                        let mut acked = acknowledged.lock().unwrap();
                        acked.push(format!("user{i}"));
                        ack_count_tx.send_replace(acked.len());
                    }
                }
            }
            while let Some(Ok((i, (status, _)))) = pending.join_next().await {
                if status == 201 {
                    acknowledged.lock().unwrap().push(format!("user{i}"));
                }
            }
        }
    });
    ack_count.wait_for(|acked| *acked >= killed_after).await.expect("sign-ups acknowledged");
    replicas[0].kill();
    load.await.expect("load ran");

    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(acknowledged.len() > sign_ups / 2, "the surviving replica kept acknowledging: {}", acknowledged.len());
    let db = &deployment.db;
    let users = db.count("SELECT COUNT(*) FROM users").await;
    assert!(users >= acknowledged.len() as i64, "{users} users for {} acknowledged", acknowledged.len());
    // Each sign-up is whole or absent: every user has its session and is counted, nothing else exists.
    let without_session =
        db.count("SELECT COUNT(*) FROM users u WHERE NOT EXISTS (SELECT 1 FROM sessions s WHERE s.user_id = u.id)");
    assert_eq!(without_session.await, 0);
    assert_eq!(db.count("SELECT COUNT(*) FROM sessions").await, users);
    assert_eq!(db.count("SELECT user_count FROM apps").await, users);

    let survivor = &replicas[1];
    for username in &acknowledged {
        let proof = signed_challenge(survivor, &deployment.app_id, username, &key).await;
        let (status, body) = post(&survivor.app_url(&deployment.app_id, "sign-in"), &proof).await;
        assert_eq!(status, 200, "{username}: {body}");
    }
}

#[tokio::test]
#[ignore = "needs PostgreSQL (SEALBASE_TEST_POSTGRES); cargo xtask test runs it"]
async fn an_unreachable_database_at_start_is_a_clear_error_and_a_failed_exit() {
    cluster();
    let closed_port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url = format!("postgres://sealbase:hunter2-secret@127.0.0.1:{closed_port}/sealbase");
    let started = Instant::now();
    let output = Command::new(SERVER).args(["serve", "--database", &url, "--bind", "127.0.0.1:0"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(stderr.contains("PostgreSQL") && stderr.contains("unavailable"), "{stderr}");
    assert!(!stderr.contains("hunter2"), "the password is never printed: {stderr}");
    assert!(output.stdout.is_empty(), "nothing on stdout: it never listened");
    assert!(started.elapsed() < Duration::from_secs(20), "gives up promptly");
}

#[tokio::test]
#[ignore = "needs PostgreSQL (SEALBASE_TEST_POSTGRES); cargo xtask test runs it"]
async fn servers_starting_together_on_an_empty_database_migrate_it_once_and_agree_on_their_keys() {
    cluster();
    let dir = tempfile::tempdir().unwrap();
    let db = db::TestDatabase::create(dir.path()).await;
    let url = db.url().to_owned();
    let starting: Vec<_> = (0..4)
        .map(|_| {
            std::thread::spawn({
                let url = url.clone();
                move || Replica::start(&url)
            })
        })
        .collect();
    let replicas: Vec<Replica> = starting.into_iter().map(|started| started.join().expect("started")).collect();
    let (applied, latest) = (
        db.count("SELECT COUNT(*) FROM schema_migrations").await,
        db.count("SELECT MAX(version) FROM schema_migrations").await,
    );
    assert!(latest > 0 && applied == latest, "each migration applied once: {applied} rows for {latest}");
    assert_eq!(db.count("SELECT COUNT(*) FROM signing_keys").await, 1, "one signing key between them");
    assert_eq!(db.count("SELECT COUNT(*) FROM server_secrets").await, 1, "one challenge key between them");
    // And they serve: a challenge issued by one is accepted by another (the same server secret).
    let created = Command::new(SERVER).args(["app", "create", "--name", "x", "--database", &url]).output().unwrap();
    let app: Value = serde_json::from_slice(&created.stdout).unwrap();
    let app_id = app["appId"].as_str().unwrap();
    let key = login_key();
    assert_eq!(post(&replicas[0].app_url(app_id, "users"), &sign_up_body("ada", &key)).await.0, 201);
    let proof = signed_challenge(&replicas[1], app_id, "ada", &key).await;
    assert_eq!(post(&replicas[3].app_url(app_id, "sign-in"), &proof).await.0, 200);
}

#[tokio::test]
#[ignore = "needs PostgreSQL (SEALBASE_TEST_POSTGRES); cargo xtask test runs it"]
async fn a_server_with_a_pool_of_one_connection_starts_and_serves() {
    cluster();
    let deployment = Deployment::new(&[]).await;
    let replica = Replica::start(&format!("{}?pool_size=1", deployment.db.url()));
    let key = login_key();
    let (status, _) = post(&replica.app_url(&deployment.app_id, "users"), &sign_up_body("ada", &key)).await;
    assert_eq!(status, 201);
    let proof = signed_challenge(&replica, &deployment.app_id, "ada", &key).await;
    assert_eq!(post(&replica.app_url(&deployment.app_id, "sign-in"), &proof).await.0, 200);
}

#[tokio::test]
#[ignore = "needs PostgreSQL (SEALBASE_TEST_POSTGRES); cargo xtask test runs it"]
async fn tls_to_the_database_is_used_and_verified_when_the_url_asks() {
    cluster();
    let ca = std::env::var("SEALBASE_TEST_POSTGRES_CA").expect("SEALBASE_TEST_POSTGRES_CA names the cluster's CA");
    let deployment = Deployment::new(&[]).await;
    let localhost = deployment.db.url().replace("127.0.0.1", "localhost");
    let verified = format!("{localhost}?sslmode=verify-full&sslrootcert={ca}");
    let replica = Replica::start(&verified);
    let (status, _) = post(&replica.app_url(&deployment.app_id, "users"), &sign_up_body("ada", &login_key())).await;
    assert_eq!(status, 201);
    let encrypted = deployment
        .db
        .count(
            "SELECT COUNT(*) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid)
             WHERE s.ssl AND a.application_name = 'sealbase-server' AND a.datname = current_database()",
        )
        .await;
    assert!(encrypted > 0, "the replica's connections use TLS");

    // A certificate the server cannot verify (no CA given: only the public roots): refused at start.
    let unverified = Command::new(SERVER)
        .args(["serve", "--database", &format!("{localhost}?sslmode=verify-full"), "--bind", "127.0.0.1:0"])
        .output()
        .unwrap();
    assert!(!unverified.status.success());
    let stderr = String::from_utf8_lossy(&unverified.stderr);
    assert!(stderr.contains("PostgreSQL"), "{stderr}");
}

/// A TCP relay between the server and the database that the test can cut (every connection dropped,
/// new ones closed at once, as when the database restarts or the network fails) and restore.
struct Relay {
    port: u16,
    cut: std::sync::Arc<std::sync::atomic::AtomicBool>,
    links: std::sync::Arc<std::sync::Mutex<Vec<tokio::task::AbortHandle>>>,
}

impl Relay {
    async fn to(upstream: std::net::SocketAddr) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let relay = Self { port, cut: Default::default(), links: Default::default() };
        let (cut, links) = (relay.cut.clone(), relay.links.clone());
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if cut.load(std::sync::atomic::Ordering::SeqCst) {
                    continue; // dropped: closed at once
                }
                let link = tokio::spawn(async move {
                    if let Ok(mut server) = tokio::net::TcpStream::connect(upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                links.lock().unwrap().push(link.abort_handle());
            }
        });
        relay
    }

    fn cut(&self) {
        self.cut.store(true, std::sync::atomic::Ordering::SeqCst);
        for link in self.links.lock().unwrap().drain(..) {
            link.abort();
        }
    }

    fn restore(&self) {
        self.cut.store(false, std::sync::atomic::Ordering::SeqCst);
    }
}

#[tokio::test]
#[ignore = "needs PostgreSQL (SEALBASE_TEST_POSTGRES); cargo xtask test runs it"]
async fn a_database_lost_while_serving_is_503_and_service_resumes_when_it_returns() {
    cluster();
    let deployment = Deployment::new(&[]).await;
    let database = url::Url::parse(deployment.db.url()).unwrap();
    let upstream = format!("127.0.0.1:{}", database.port().unwrap()).parse().unwrap();
    let relay = Relay::to(upstream).await;
    let mut relayed = database.clone();
    relayed.set_port(Some(relay.port)).unwrap();
    let server = sealbase_server::Server::open(sealbase_server::Config::new(relayed.as_str())).await.unwrap();
    let address = server.spawn("127.0.0.1:0").await.unwrap();
    let app_url = |route: &str| format!("http://{address}/v1/apps/{}/{route}", deployment.app_id);
    let (status, signed_up) = post(&app_url("users"), &sign_up_body("ada", &login_key())).await;
    assert_eq!(status, 201);
    let secret = signed_up["session"]["secret"].as_str().unwrap().to_owned();

    relay.cut();
    let unavailable = json!({ "error": "ServiceUnavailable", "message": "Service unavailable." });
    assert_eq!(post(&app_url("users"), &sign_up_body("bob", &login_key())).await, (503, unavailable.clone()));
    assert_eq!(post(&app_url("pre-login"), &json!({ "username": "ada" })).await, (503, unavailable.clone()));
    let resume = || send(reqwest::Client::new().post(app_url("session")).bearer_auth(&secret));
    assert_eq!(resume().await, (503, unavailable));
    let health = send(reqwest::Client::new().get(format!("http://{address}/healthz")));
    assert_eq!(health.await.0, 200, "the server itself is alive");

    relay.restore();
    // New connections are made on demand; a connection cut while idle is noticed and replaced.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (status, body) = post(&app_url("users"), &sign_up_body("bob", &login_key())).await;
        if status == 201 {
            break;
        }
        assert_eq!(status, 503, "{body}");
        assert!(Instant::now() < deadline, "service did not resume");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(resume().await.0, 200, "sessions from before the outage work again");
}
