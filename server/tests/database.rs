//! The server and its PostgreSQL database: unreachable at start, lost and back while serving, TLS,
//! the smallest pool.
//!
//! These need PostgreSQL, so they are `#[ignore]`d unless asked for: `cargo xtask test` runs them on
//! its cluster (`SEALBASE_TEST_POSTGRES=<superuser URL> cargo test … -- --include-ignored`).

mod deployment;

use std::process::Command;
use std::time::{Duration, Instant};

use deployment::*;
use serde_json::json;

#[tokio::test]
#[ignore = "needs PostgreSQL (SEALBASE_TEST_POSTGRES); cargo xtask test runs it"]
async fn an_unreachable_database_at_start_is_a_clear_error_and_a_failed_exit() {
    cluster();
    let closed_port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url = format!("postgres://sealbase:hunter2-secret@127.0.0.1:{closed_port}/sealbase");
    let dir = tempfile::tempdir().unwrap();
    let kek = key_encryption_key_file(dir.path());
    let started = Instant::now();
    let output = Command::new(SERVER)
        .args(["serve", "--database", &url, "--bind", "127.0.0.1:0"])
        .env("SEALBASE_KEY_ENCRYPTION_KEY_FILE", &kek)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(stderr.contains("PostgreSQL") && stderr.contains("unavailable"), "{stderr}");
    assert!(!stderr.contains("hunter2"), "the password is never printed: {stderr}");
    assert!(output.stdout.is_empty(), "nothing on stdout: it never listened");
    assert!(started.elapsed() < Duration::from_secs(20), "gives up promptly");
}

#[tokio::test]
#[ignore = "needs PostgreSQL (SEALBASE_TEST_POSTGRES); cargo xtask test runs it"]
async fn on_postgresql_a_server_refuses_to_start_without_a_key_encryption_key() {
    cluster();
    let deployment = Deployment::new(&[]).await;
    let output = Command::new(SERVER)
        .args(["serve", "--database", deployment.db.url(), "--bind", "127.0.0.1:0"])
        .env_remove("SEALBASE_KEY_ENCRYPTION_KEY_FILE")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success() && output.stdout.is_empty(), "{stderr}");
    assert!(stderr.contains("needs a key-encryption key: --key-encryption-key-file"), "{stderr}");
    assert_eq!(deployment.db.count("SELECT COUNT(*) FROM signing_keys").await, 0, "nothing was made");

    // A key file others may read is refused too, before anything is read from it.
    let open_file = deployment.kek.with_extension("readable");
    std::fs::write(&open_file, std::fs::read(&deployment.kek).unwrap()).unwrap();
    let output = Command::new(SERVER)
        .args(["serve", "--database", deployment.db.url(), "--bind", "127.0.0.1:0"])
        .env("SEALBASE_KEY_ENCRYPTION_KEY_FILE", &open_file)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success() && stderr.contains("readable by others"), "{stderr}");
}

#[tokio::test]
#[ignore = "needs PostgreSQL (SEALBASE_TEST_POSTGRES); cargo xtask test runs it"]
async fn a_server_with_a_pool_of_one_connection_starts_and_serves() {
    cluster();
    let deployment = Deployment::new(&[]).await;
    let replica = Replica::start(&format!("{}?pool_size=1", deployment.db.url()), &deployment.kek);
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
    let replica = Replica::start(&verified, &deployment.kek);
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
        .env("SEALBASE_KEY_ENCRYPTION_KEY_FILE", &deployment.kek)
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
    let config = sealbase_server::Config {
        key_encryption_key: sealbase_server::KeySource::File(deployment.kek.clone()),
        ..sealbase_server::Config::new(relayed.as_str())
    };
    let server = sealbase_server::Server::open(config).await.unwrap();
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
