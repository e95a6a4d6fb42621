//! signIn by signed challenge: what crosses the wire, replay, enumeration resistance and throttling.

mod common;

use common::{assert_error, raw, TestServer};
use sealbase::{SignIn, SignUp};
use sealbase_server::store::testing::Operation;
use serde_json::Value;

const PASSWORD: &str = "correct horse battery staple";

async fn with_user(username: &str) -> TestServer {
    let server = TestServer::start().await;
    let client = server.client();
    client
        .sign_up(SignUp { username: username.into(), password: PASSWORD.into(), ..Default::default() })
        .await
        .unwrap();
    client.sign_out().await.unwrap();
    server
}

/// The JSON shape: object keys (recursively) and, for strings, their lengths.
fn shape(value: &Value) -> Value {
    match value {
        Value::Object(map) => map.iter().map(|(k, v)| (k.clone(), shape(v))).collect::<serde_json::Map<_, _>>().into(),
        Value::String(text) => format!("string[{}]", text.len()).into(),
        Value::Number(_) => "number".into(),
        other => other.clone(),
    }
}

#[tokio::test]
async fn sign_in_on_a_new_client_recovers_the_same_seed() {
    let server = TestServer::start().await;
    let first = server.client_with_store("device-a.json");
    let signed_up = first
        .sign_up(SignUp { username: "ada".into(), password: PASSWORD.into(), ..Default::default() })
        .await
        .unwrap();
    let fingerprint = first.key_fingerprint().unwrap();
    first.sign_out().await.unwrap();

    let second = server.client_with_store("device-b.json");
    let user = second
        .sign_in(SignIn { username: "ADA".into(), password: PASSWORD.into(), ..Default::default() })
        .await
        .unwrap();
    assert_eq!(user.user_id, signed_up.user_id);
    assert_eq!(user.username, "ada");
    assert_ne!(user.auth_token, signed_up.auth_token);
    assert_eq!(second.key_fingerprint().unwrap(), fingerprint, "same seed, same end-to-end keys");
    assert_eq!(server.count("SELECT COUNT(*) FROM sessions WHERE revoked_at IS NULL").await, 1);
}

#[tokio::test]
async fn concurrent_sign_ins_on_one_client_open_one_session() {
    let server = with_user("ada").await;
    let client = server.client();
    let sign_in = || client.sign_in(SignIn { username: "ada".into(), password: PASSWORD.into(), ..Default::default() });
    let (first, second) = tokio::join!(sign_in(), sign_in());
    let (won, lost) = match (first, second) {
        (Ok(user), Err(error)) | (Err(error), Ok(user)) => (user, error),
        other => panic!("exactly one sign-in should succeed: {other:?}"),
    };
    assert_eq!(won.username, "ada");
    assert_error(&lost, "UserAlreadySignedIn", 400, "Already signed in.");
    // The sign-up's session was revoked by its sign-out; the one live session is the winner's.
    let live = "SELECT COUNT(*) FROM sessions WHERE revoked_at IS NULL";
    assert_eq!(server.count(live).await, 1, "the losing sign-in opened no session on the server");
    assert_eq!(client.current_user().map(|user| user.user_id), Some(won.user_id));
}

#[tokio::test]
async fn wrong_password_and_unknown_user_are_indistinguishable() {
    let server = with_user("ada").await;
    let wrong = server
        .client()
        .sign_in(SignIn { username: "ada".into(), password: "wrong password!".into(), ..Default::default() })
        .await
        .unwrap_err();
    let unknown = server
        .client()
        .sign_in(SignIn { username: "bob".into(), password: PASSWORD.into(), ..Default::default() })
        .await
        .unwrap_err();
    assert_error(&wrong, "UsernameOrPasswordMismatch", 401, "Username or password mismatch.");
    assert_eq!(wrong, unknown);
}

#[tokio::test]
async fn pre_login_has_the_same_shape_for_known_and_unknown_users() {
    let server = with_user("ada").await;
    let (known_status, known) = raw::pre_login(&server, "ada").await;
    let (unknown_status, unknown) = raw::pre_login(&server, "nobody").await;
    assert_eq!((known_status, unknown_status), (200, 200));
    assert_eq!(shape(&known), shape(&unknown));
    for field in ["algorithm", "logN", "r", "p"] {
        assert_eq!(known["kdf"][field], unknown["kdf"][field], "{field}");
    }
    // The fake salt is stable (a MAC of app and username), challenges are fresh every time.
    let (_, again) = raw::pre_login(&server, "nobody").await;
    assert_eq!(again["kdf"]["salt"], unknown["kdf"]["salt"]);
    assert_ne!(again["challenge"], unknown["challenge"]);
    let (_, other) = raw::pre_login(&server, "somebody-else").await;
    assert_ne!(other["kdf"]["salt"], unknown["kdf"]["salt"]);
    // Pre-login writes nothing.
    assert_eq!(server.count("SELECT COUNT(*) FROM used_challenges").await, 0);
    assert_eq!(server.count("SELECT COUNT(*) FROM sign_in_failures").await, 0);
}

#[tokio::test]
async fn a_challenge_works_once_and_only_for_its_username() {
    let server = with_user("ada").await;
    let (_, pre_login) = raw::pre_login(&server, "ada").await;
    let signature = raw::sign(&server, "ada", PASSWORD, &pre_login);
    let (status, first) = raw::sign_in(&server, "ada", &pre_login["challenge"], &signature).await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["user"]["username"], "ada");
    assert_eq!(first["seedBackup"]["ciphertext"].as_str().map(str::len), Some(64));

    let (status, replay) = raw::sign_in(&server, "ada", &pre_login["challenge"], &signature).await;
    assert_eq!((status, replay["error"].as_str()), (401, Some("ChallengeNotValid")), "{replay}");

    // A challenge issued for another username does not transfer.
    let (_, for_bob) = raw::pre_login(&server, "bob").await;
    let signature = raw::sign(&server, "ada", PASSWORD, &for_bob);
    let (status, moved) = raw::sign_in(&server, "ada", &for_bob["challenge"], &signature).await;
    assert_eq!((status, moved["error"].as_str()), (401, Some("ChallengeNotValid")));

    // A forged (tampered) challenge fails its MAC.
    let (_, pre_login) = raw::pre_login(&server, "ada").await;
    let mut challenge = pre_login["challenge"].as_str().unwrap().to_owned();
    challenge.replace_range(0..1, if challenge.starts_with('A') { "B" } else { "A" });
    let (status, forged) =
        raw::sign_in(&server, "ada", &challenge.into(), &raw::sign(&server, "ada", PASSWORD, &pre_login)).await;
    assert_eq!((status, forged["error"].as_str()), (401, Some("ChallengeNotValid")));

    // Malformed sign-ins are 400s that write nothing.
    let (status, body) = raw::sign_in(&server, "ada", &"short".into(), "sig").await;
    assert_eq!(
        (status, body["error"].as_str(), body["key"].as_str()),
        (400, Some("KeyMaterialNotValid"), Some("challenge"))
    );
}

#[tokio::test]
async fn failed_attempts_delay_the_next_exponentially_and_a_success_resets() {
    let server = with_user("ada").await;
    let bad_signature = sealbase::protocol::b64::Bytes([7u8; 64]).encode();
    let attempt = |signature: Option<String>| {
        let server = &server;
        async move {
            let (_, pre_login) = raw::pre_login(server, "ada").await;
            let signature = signature.unwrap_or_else(|| raw::sign(server, "ada", PASSWORD, &pre_login));
            raw::sign_in(server, "ada", &pre_login["challenge"], &signature).await
        }
    };
    for _ in 0..5 {
        let (status, body) = attempt(Some(bad_signature.clone())).await;
        assert_eq!((status, body["error"].as_str()), (401, Some("UsernameOrPasswordMismatch")));
    }
    let (status, body) = attempt(Some(bad_signature.clone())).await;
    assert_eq!(
        (status, body["error"].as_str(), body["delay"].as_u64()),
        (401, Some("PasswordAttemptLimitExceeded"), Some(1))
    );
    assert_eq!(
        body["message"],
        "Password attempt limit exceeded. Must wait 1 seconds to attempt to use password again."
    );
    // Even the right password waits out the delay, and the refusal changes nothing: no session, the
    // challenge left unspent (it is used once the delays are over, below).
    let sessions_before = server.count("SELECT COUNT(*) FROM sessions").await;
    let (_, refused_pre_login) = raw::pre_login(&server, "ada").await;
    let refused_signature = raw::sign(&server, "ada", PASSWORD, &refused_pre_login);
    let (_, body) = raw::sign_in(&server, "ada", &refused_pre_login["challenge"], &refused_signature).await;
    assert_eq!(body["error"], "PasswordAttemptLimitExceeded");
    assert_eq!(server.count("SELECT COUNT(*) FROM sessions").await, sessions_before);

    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let (_, body) = attempt(Some(bad_signature.clone())).await;
    assert_eq!(body["error"], "UsernameOrPasswordMismatch");
    let (_, body) = attempt(None).await;
    assert_eq!(
        (body["error"].as_str(), body["delay"].as_u64()),
        (Some("PasswordAttemptLimitExceeded"), Some(2)),
        "the delay doubled"
    );

    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let (status, _) = raw::sign_in(&server, "ada", &refused_pre_login["challenge"], &refused_signature).await;
    assert_eq!(status, 200, "the right password after the delay succeeds, with the refused attempt's challenge");
    assert_eq!(server.count("SELECT COUNT(*) FROM sessions").await, sessions_before + 1);
    let (_, body) = attempt(Some(bad_signature)).await;
    assert_eq!(body["error"], "UsernameOrPasswordMismatch", "the success reset the count");
    assert_eq!(server.count("SELECT failures FROM sign_in_failures").await, 1);
}

#[tokio::test]
async fn unknown_usernames_are_throttled_alike() {
    let server = TestServer::start().await;
    let bad_signature = sealbase::protocol::b64::Bytes([7u8; 64]).encode();
    let mut last = Value::Null;
    for _ in 0..6 {
        let (_, pre_login) = raw::pre_login(&server, "ghost").await;
        last = raw::sign_in(&server, "ghost", &pre_login["challenge"], &bad_signature).await.1;
    }
    assert_eq!(last["error"], "PasswordAttemptLimitExceeded");
}

#[tokio::test]
async fn each_client_address_has_a_budget_of_attempts() {
    let server = TestServer::with_address_budget(3).await;
    let url = format!("{}/v1/apps/{}/pre-login", server.url, server.app_id);
    for user in ["a", "b", "c"] {
        assert_eq!(raw::post(&url, &serde_json::json!({ "username": user })).await.0, 200);
    }
    let (status, body) = raw::post(&url, &serde_json::json!({ "username": "d" })).await;
    assert_eq!((status, body["error"].as_str()), (429, Some("TooManyRequests")));
    // Sign-up answers whether a username is taken, so it spends the same budget.
    let (status, body) = raw::post(&server.sign_up_url(), &common::valid_body("e")).await;
    assert_eq!((status, body["error"].as_str()), (429, Some("TooManyRequests")));
    assert!(body["delay"].as_u64().is_some_and(|delay| (1..=20).contains(&delay)), "{body}");
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_budget() {
    let trusted = vec!["127.0.0.0/8".parse().unwrap()];
    let server = TestServer::with(
        |config| sealbase_server::Config { address_budget_per_minute: 2, trusted_proxies: trusted, ..config },
        Default::default(),
    )
    .await;
    let url = format!("{}/v1/apps/{}/pre-login", server.url, server.app_id);
    let from = |client: &'static str| {
        let request = reqwest::Client::new().post(&url).header("x-forwarded-for", client);
        async move { request.json(&serde_json::json!({ "username": "ada" })).send().await.unwrap().status().as_u16() }
    };
    assert_eq!([from("198.51.100.1").await, from("198.51.100.1").await, from("198.51.100.1").await], [200, 200, 429]);
    assert_eq!(from("198.51.100.2").await, 200, "another client behind the same proxy");
    // What a client writes on the left of the header is not believed: the proxy appended the real one.
    assert_eq!(from("198.51.100.2, 198.51.100.1").await, 429);

    // Without trusted proxies the header is ignored: every request is the peer's.
    let direct = TestServer::with_address_budget(2).await;
    let url = format!("{}/v1/apps/{}/pre-login", direct.url, direct.app_id);
    let mut statuses = Vec::new();
    for client in ["198.51.100.1", "198.51.100.2", "198.51.100.3"] {
        let request = reqwest::Client::new().post(&url).header("x-forwarded-for", client);
        statuses.push(request.json(&serde_json::json!({ "username": "ada" })).send().await.unwrap().status().as_u16());
    }
    assert_eq!(statuses, [200, 200, 429]);
}

#[tokio::test]
async fn a_sign_in_that_loses_the_race_to_a_password_change_opens_no_session() {
    let server = std::sync::Arc::new(with_user("ada").await);
    let (_, pre_login) = raw::pre_login(&server, "ada").await;
    let signature = raw::sign(&server, "ada", PASSWORD, &pre_login);
    let sessions_before = server.count("SELECT COUNT(*) FROM sessions").await;

    // The sign-in checks its signature against the current login key and is held before the proof is
    // spent; meanwhile a password change commits a new login key.
    let pause = server.store.pause_next(Operation::SpendProof);
    let sign_in = tokio::spawn({
        let server = server.clone();
        async move { raw::sign_in(&server, "ada", &pre_login["challenge"], &signature).await }
    });
    let held = pause.reached().await;
    let changed =
        server.execute("UPDATE users SET login_public_key = identity_signing_public_key WHERE username = 'ada'").await;
    assert_eq!(changed, 1);
    held.release();

    let (status, body) = sign_in.await.unwrap();
    assert_eq!((status, body["error"].as_str()), (401, Some("UsernameOrPasswordMismatch")), "{body}");
    assert_eq!(server.count("SELECT COUNT(*) FROM sessions").await, sessions_before, "no session opened");
    assert_eq!(
        server.count("SELECT failures FROM sign_in_failures WHERE username = 'ada'").await,
        1,
        "the stale proof counts as a failed attempt"
    );
}

#[tokio::test]
async fn renaming_spends_the_address_budget_like_sign_up() {
    let server = TestServer::with_address_budget(2).await;
    let (status, body) = raw::post(&server.sign_up_url(), &common::valid_body("ada")).await;
    assert_eq!(status, 201, "{body}");
    let secret = body["session"]["secret"].as_str().unwrap().to_owned();
    let update = |fields: Value| {
        let request = reqwest::Client::new()
            .patch(format!("{}/v1/apps/{}/user", server.url, server.app_id))
            .bearer_auth(&secret)
            .json(&fields);
        async move {
            let response = request.send().await.unwrap();
            (response.status().as_u16(), response.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    // Sign-up spent one unit, the first rename the second.
    assert_eq!(update(serde_json::json!({ "username": "bob" })).await.0, 200);
    let (status, body) = update(serde_json::json!({ "username": "carol" })).await;
    assert_eq!((status, body["error"].as_str()), (429, Some("TooManyRequests")), "{body}");
    // Changes that tell nothing about other accounts are not budgeted.
    assert_eq!(update(serde_json::json!({ "email": "bob@example.com" })).await.0, 200);
    let username = server.row("SELECT username FROM users").await.text("username");
    assert_eq!(username, "bob", "the refused rename changed nothing");
}
