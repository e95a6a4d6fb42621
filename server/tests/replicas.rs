//! Several servers on one PostgreSQL database, as separate processes (the release shape for teams that
//! outgrow one machine): what one server does, the others see at once, and the database, not a
//! process, enforces every rule.
//!
//! These need PostgreSQL, so they are `#[ignore]`d unless asked for: `cargo xtask test` runs them on
//! its cluster (`SEALBASE_TEST_POSTGRES=<superuser URL> cargo test … -- --include-ignored`).

mod deployment;

use std::process::Command;
use std::time::{Duration, Instant};

use deployment::*;
use serde_json::{json, Value};

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
    assert_eq!(check().await, (401, json!({ "error": "AuthTokenInvalid", "message": "Auth token invalid." })));
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

    let rotated = Command::new(SERVER)
        .args(["keys", "rotate", "--database", deployment.db.url()])
        .env("SEALBASE_KEY_ENCRYPTION_KEY_FILE", &deployment.kek)
        .output()
        .unwrap();
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
async fn servers_starting_together_on_an_empty_database_migrate_it_once_and_agree_on_their_keys() {
    cluster();
    let dir = tempfile::tempdir().unwrap();
    let db = db::TestDatabase::create(dir.path()).await;
    let url = db.url().to_owned();
    let kek = key_encryption_key_file(dir.path());
    let starting: Vec<_> = (0..4)
        .map(|_| {
            std::thread::spawn({
                let (url, kek) = (url.clone(), kek.clone());
                move || Replica::start(&url, &kek)
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
