//! signUp end to end: the SDK against a real server on loopback.

mod common;

use base64::Engine;
use common::{assert_error, TestServer};
use sealbase::{Error, PaymentsMode, Profile, RememberMe, SignUp};
use sealbase_server::store::SecretKind;
use sealbase_server::NewApp;

const PASSWORD: &str = "correct horse battery staple";

fn sign_up(username: &str) -> SignUp {
    SignUp { username: username.into(), password: PASSWORD.into(), ..Default::default() }
}

fn jwt_part(token: &str, index: usize) -> serde_json::Value {
    let part = token.split('.').nth(index).expect("jwt part");
    serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(part).expect("base64url"))
        .expect("json")
}

#[tokio::test]
async fn sign_up_returns_the_user_and_stores_only_public_material() {
    let server = TestServer::start().await;
    let client = server.client();
    let user = client
        .sign_up(SignUp {
            username: "Ｊａｎｅ.Doe".into(),
            password: PASSWORD.into(),
            email: Some("Jane@Example.com".into()),
            profile: Some(Profile::from([("plan".to_owned(), "pro".to_owned())])),
            remember_me: RememberMe::Local,
            session_length: Some(2.0),
            ..SignUp::default()
        })
        .await
        .expect("sign-up succeeds");

    assert_eq!(user.username, "jane.doe", "NFKC + lower-case");
    assert_eq!(user.email.as_deref(), Some("jane@example.com"));
    assert_eq!(user.profile, Some(Profile::from([("plan".to_owned(), "pro".to_owned())])));
    assert_eq!(user.payments_mode, PaymentsMode::Disabled);
    assert_eq!(user.trial_expiration_date, None);
    assert!(uuid_like(&user.user_id), "{}", user.user_id);
    assert_eq!(user.creation_date.len(), "2026-11-22T13:42:00.123Z".len());
    assert!(user.creation_date.ends_with('Z'));
    assert_eq!(client.current_user().as_ref(), Some(&user));
    assert_eq!(client.key_fingerprint().map(|f| f.len()), Some(64));

    // The JSON shape userbase-js apps read.
    let json = serde_json::to_value(&user).unwrap();
    let keys: Vec<&str> = json.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["authToken", "creationDate", "email", "paymentsMode", "profile", "userId", "username"]);

    let row = server.row("SELECT * FROM users").await;
    assert_eq!(row.text("id"), user.user_id);
    assert_eq!(row.text("app_id"), server.app_id);
    assert_eq!(row.text("username"), "jane.doe");
    assert_eq!(row.text("profile"), r#"{"plan":"pro"}"#);
    assert_eq!((row.int("kdf_log_n"), row.int("kdf_r"), row.int("kdf_p")), (15, 8, 1));
    for (column, len) in
        [("kdf_salt", 16), ("login_public_key", 32), ("seed_backup_nonce", 12), ("seed_backup_ciphertext", 48)]
    {
        assert_eq!(row.bytes(column).len(), len, "{column}");
    }

    let session = server.row("SELECT * FROM sessions").await;
    assert_eq!(session.text("user_id"), user.user_id);
    assert_eq!(session.bytes("secret_hash").len(), 32);
    assert_eq!(session.text("remember_me"), "local");
    assert_eq!(session.int("expires_at") - session.int("created_at"), 2 * 3_600_000);

    // The authToken: EdDSA JWT for this app, user and session, expiring within the token lifetime.
    let header = jwt_part(&user.auth_token, 0);
    let claims = jwt_part(&user.auth_token, 1);
    assert_eq!(header["alg"], "EdDSA");
    assert!(header["kid"].as_str().is_some_and(|kid| !kid.is_empty()));
    assert_eq!(claims["aud"], server.app_id.as_str());
    assert_eq!(claims["sub"], user.user_id.as_str());
    assert_eq!(claims["sid"], session.text("id").as_str());
    assert_eq!(claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(), 3600);
    assert!(claims["exp"].as_i64().unwrap() * 1000 <= session.int("expires_at"));

    // Nothing password-derived and no secret reaches the database.
    let stored = server.db.everything_stored().await;
    assert!(!contains(&stored, PASSWORD.as_bytes()), "password stored");
    // Nor the server's own signing key: it is stored sealed under the key-encryption key.
    let key = server.row("SELECT kid, private_key FROM signing_keys").await;
    let der = server.kek.open(SecretKind::SigningKey, &key.text("kid"), &key.bytes("private_key")).expect("sealed");
    assert!(!contains(&stored, &der), "signing key stored plain");
}

#[tokio::test]
async fn a_session_shorter_than_the_token_lifetime_caps_the_token() {
    let server = TestServer::start().await;
    let user = server.client().sign_up(SignUp { session_length: Some(0.25), ..sign_up("short") }).await.unwrap();
    let claims = jwt_part(&user.auth_token, 1);
    // The token ends with the session, to the second; it is signed a moment after the session
    // starts, so `iat` may already be a second later than the session's start.
    let session = server.row("SELECT expires_at FROM sessions").await;
    assert_eq!(claims["exp"].as_i64().unwrap(), session.int("expires_at") / 1000);
    let lifetime = claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap();
    assert!((15 * 60 - 1..=15 * 60).contains(&lifetime), "{lifetime}");
}

#[tokio::test]
async fn trial_expiration_follows_the_app_settings() {
    let server =
        TestServer::with_app(NewApp { payments_mode: PaymentsMode::Test, trial_days: Some(7), ..Default::default() })
            .await;
    let user = server.client().sign_up(sign_up("trial")).await.unwrap();
    assert_eq!(user.payments_mode, PaymentsMode::Test);
    let stored = server.row("SELECT created_at, trial_expires_at FROM users").await;
    assert_eq!(stored.opt_int("trial_expires_at"), Some(stored.int("created_at") + 7 * 24 * 3_600_000));
    assert!(user.trial_expiration_date.is_some_and(|date| date > user.creation_date));
}

#[tokio::test]
async fn client_side_errors_cost_no_request() {
    // A listener that counts connections: any request from the SDK would show up here.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let connections = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = connections.clone();
    tokio::spawn(async move {
        while listener.accept().await.is_ok() {
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    });
    let client = sealbase::Client::new("app", &endpoint).unwrap();
    let profile = |k: &str, v: &str| Some(Profile::from([(k.to_owned(), v.to_owned())]));
    let too_many: Profile = (0..101).map(|i| (format!("k{i}"), "v".to_owned())).collect();
    let cases: Vec<(SignUp, &str, &str)> = vec![
        (sign_up(""), "UsernameCannotBeBlank", "Username cannot be blank."),
        (sign_up(&"a".repeat(101)), "UsernameTooLong", "Username too long. Must be a max of 100 characters."),
        (sign_up("ada "), "UsernameNotValid", "Username not valid: it starts or ends with white space."),
        (
            sign_up("ada\u{200b}"),
            "UsernameNotValid",
            "Username not valid: it contains a control or invisible formatting character.",
        ),
        (SignUp { password: String::new(), ..sign_up("u") }, "PasswordCannotBeBlank", "Password cannot be blank."),
        (
            SignUp { password: "p".repeat(1001), ..sign_up("u") },
            "PasswordTooLong",
            "Password too long. Must be a max of 1000 characters.",
        ),
        (
            SignUp { session_length: Some(0.08), ..sign_up("u") },
            "SessionLengthTooShort",
            "Session length cannot be shorter than 5 minutes.",
        ),
        (
            SignUp { session_length: Some(8761.0), ..sign_up("u") },
            "SessionLengthTooLong",
            "Session length cannot be longer than 1 year.",
        ),
        (
            SignUp { session_length: Some(f64::INFINITY), ..sign_up("u") },
            "SessionLengthMustBeNumber",
            "Session length must be a number.",
        ),
        (SignUp { profile: Some(Profile::new()), ..sign_up("u") }, "ProfileCannotBeEmpty", "Profile cannot be empty."),
        (
            SignUp { profile: Some(too_many), ..sign_up("u") },
            "ProfileHasTooManyKeys",
            "Profile has too many keys. Must have a max of 100 keys.",
        ),
        (
            SignUp { profile: profile(&"k".repeat(21), "v"), ..sign_up("u") },
            "ProfileKeyTooLong",
            "Profile key too long. Must be a max of 20 characters.",
        ),
        (
            SignUp { profile: profile("k", ""), ..sign_up("u") },
            "ProfileValueCannotBeBlank",
            "Profile value cannot be blank.",
        ),
        (
            SignUp { profile: profile("k", &"v".repeat(1001)), ..sign_up("u") },
            "ProfileValueTooLong",
            "Profile value too long. Must be a max of 1000 characters.",
        ),
        (SignUp { email: Some("not-an-email".into()), ..sign_up("u") }, "EmailNotValid", "Email not valid."),
    ];
    for (params, name, message) in cases {
        let error = client.sign_up(params).await.expect_err(name);
        assert_error(&error, name, 400, message);
    }
    assert_error(
        &"forever".parse::<RememberMe>().unwrap_err(),
        "RememberMeValueNotValid",
        400,
        r#"Remember me value must be one of ["local","session","none"]."#,
    );
    assert_error(
        &sealbase::Client::new(" ", &endpoint).unwrap_err(),
        "AppIdCannotBeBlank",
        400,
        "Application ID cannot be blank.",
    );
    assert_eq!(sealbase::Client::new("app", "ftp://x").unwrap_err(), Error::EndpointNotValid);
    // Signing in, a password under userbase-js's floor of 6 fails before any request too.
    let short = sealbase::SignIn { username: "ada".into(), password: "five5".into(), ..Default::default() };
    let error = client.sign_in(short).await.unwrap_err();
    assert_error(&error, "PasswordTooShort", 400, "Password too short. Must be a minimum of 6 characters.");
    tokio::task::yield_now().await;
    assert_eq!(connections.load(std::sync::atomic::Ordering::SeqCst), 0, "a client-side error reached the network");
}

#[tokio::test]
async fn a_username_is_stored_in_its_canonical_form_which_signs_in_and_has_no_twin() {
    let server = TestServer::start().await;
    let client = server.client();
    // Lower-casing "İ" gives "i" + U+0307, which must then be put back in canonical order.
    let user = client.sign_up(sign_up("\u{130}\u{316}c9c8fe")).await.unwrap();
    assert_eq!(user.username, "i\u{316}\u{307}c9c8fe");
    client.sign_out().await.unwrap();
    let again = client
        .sign_in(sealbase::SignIn { username: user.username.clone(), password: PASSWORD.into(), ..Default::default() })
        .await
        .expect("the returned name signs in");
    assert_eq!(again.user_id, user.user_id);
    client.sign_out().await.unwrap();
    // The same name written with its marks in the other order is the same account.
    let twin = client.sign_up(sign_up("i\u{307}\u{316}C9C8FE")).await.unwrap_err();
    assert_eq!(twin, Error::UsernameAlreadyExists);
    assert_eq!(server.count("SELECT COUNT(*) FROM users").await, 1);
}

#[tokio::test]
async fn password_minimum_comes_from_the_app() {
    let server = TestServer::with_app(NewApp { password_min_length: 12, ..Default::default() }).await;
    let error = server.client().sign_up(SignUp { password: "elevenchars".into(), ..sign_up("u") }).await.unwrap_err();
    assert_error(&error, "PasswordTooShort", 400, "Password too short. Must be a minimum of 12 characters.");
    assert_eq!(error, Error::PasswordTooShort { min_len: 12 });
    assert_eq!(server.written().await, (0, 0, 0));
}

#[tokio::test]
async fn usernames_are_unique_per_app_whatever_their_case() {
    let server = TestServer::start().await;
    server.client().sign_up(sign_up("Ada")).await.unwrap();
    let error = server.client().sign_up(sign_up("ADA")).await.unwrap_err();
    assert_error(&error, "UsernameAlreadyExists", 409, "Username already exists.");
    assert_eq!(server.written().await, (1, 1, 1), "the failed sign-up wrote nothing");

    // Another app may use the same name.
    let other = server.server.create_app(&NewApp::default()).await.unwrap();
    sealbase::Client::new(&other.app_id, &server.url).unwrap().sign_up(sign_up("ada")).await.unwrap();
}

#[tokio::test]
async fn the_user_quota_is_enforced() {
    let server = TestServer::with_app(NewApp { user_quota: Some(1), ..Default::default() }).await;
    server.client().sign_up(sign_up("first")).await.unwrap();
    let error = server.client().sign_up(sign_up("second")).await.unwrap_err();
    assert_error(&error, "TrialExceededLimit", 402, "Trial exceeded limit of users.");
    assert_eq!(server.written().await, (1, 1, 1));
}

#[tokio::test]
async fn unknown_app_ids_are_rejected() {
    let server = TestServer::start().await;
    let client = sealbase::Client::new("00000000-0000-4000-8000-000000000000", &server.url).unwrap();
    let error = client.sign_up(sign_up("u")).await.unwrap_err();
    assert_error(&error, "AppIdNotValid", 401, "App ID not valid.");
    // Also when the settings step is skipped and the sign-up is posted directly.
    let response = reqwest::Client::new()
        .post(format!("{}/v1/apps/nope/users", server.url))
        .json(&common::valid_body("u"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(response.json::<serde_json::Value>().await.unwrap()["error"], "AppIdNotValid");
    assert_eq!(server.written().await, (0, 0, 0));
}

#[tokio::test]
async fn browsers_from_other_origins_are_refused() {
    let server =
        TestServer::with_app(NewApp { allowed_origins: vec!["https://app.example".into()], ..Default::default() })
            .await;
    let http = reqwest::Client::new();
    let refused = http
        .post(server.sign_up_url())
        .header("Origin", "https://evil.example")
        .json(&common::valid_body("u"))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    let body: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(body["error"], "DomainNotWhitelisted");
    assert_eq!(
        body["message"],
        "Domain not whitelisted. Whitelist the domain 'https://evil.example' in your admin panel."
    );
    assert_eq!(server.written().await, (0, 0, 0));

    let allowed = http
        .post(server.sign_up_url())
        .header("Origin", "https://app.example")
        .json(&common::valid_body("u"))
        .send()
        .await
        .unwrap();
    assert_eq!(allowed.status(), 201);
    assert_eq!(allowed.headers()["access-control-allow-origin"], "https://app.example");
}

#[tokio::test]
async fn signing_up_twice_on_one_client_is_refused() {
    let server = TestServer::start().await;
    let client = server.client();
    client.sign_up(sign_up("once")).await.unwrap();
    let error = client.sign_up(sign_up("twice")).await.unwrap_err();
    assert_error(&error, "UserAlreadySignedIn", 400, "Already signed in.");
    assert_eq!(error, sealbase::Error::UserAlreadySignedIn { username: "once".into() }, "names who is signed in");
    assert_eq!(server.written().await, (1, 1, 1));
}

#[tokio::test]
async fn an_unreachable_server_is_service_unavailable() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let error = sealbase::Client::new("app", &endpoint).unwrap().sign_up(sign_up("u")).await.unwrap_err();
    assert_error(&error, "ServiceUnavailable", 503, "Service unavailable.");
}

#[tokio::test]
async fn health_and_settings() {
    let server = TestServer::with_app(NewApp {
        password_min_length: 10,
        payments_mode: PaymentsMode::Prod,
        ..Default::default()
    })
    .await;
    let health = reqwest::get(format!("{}/healthz", server.url)).await.unwrap();
    assert_eq!(health.status(), 200);
    assert!(health.headers().contains_key("x-request-id"));
    let settings = server.client().client_settings().await.unwrap();
    assert_eq!(settings.password_min_length, 10);
    assert_eq!(settings.payments_mode, PaymentsMode::Prod);
    assert_eq!(settings.protocol_version, 1);
}

fn uuid_like(text: &str) -> bool {
    text.len() == 36 && text.chars().filter(|c| *c == '-').count() == 4
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|window| window == needle)
}

#[tokio::test]
async fn the_app_password_policy_is_enforced_by_the_sdk_before_any_hashing() {
    let server = TestServer::with_app(NewApp { password_complexity: 3, ..Default::default() }).await;
    let weak = "Password too weak. Must follow 3 of the 5 password practices (at least 8 characters, an upper-case \
                letter, a lower-case letter, a number, one of !@#$%^&*); it follows 2.";
    let settings: serde_json::Value =
        reqwest::get(format!("{}/v1/apps/{}/settings", server.url, server.app_id)).await.unwrap().json().await.unwrap();
    assert_eq!((settings["passwordMinLength"].as_u64(), settings["passwordComplexity"].as_u64()), (Some(8), Some(3)));

    let client = server.client();
    let error = client.sign_up(sign_up("ada")).await.unwrap_err();
    assert_error(&error, "PasswordTooWeak", 400, weak);
    assert_eq!(error, Error::PasswordTooWeak { required: 3, met: 2 });
    assert_eq!(server.written().await, (0, 0, 0), "refused before the request");

    let strong = "Correct horse battery staple";
    client.sign_up(SignUp { password: strong.into(), ..sign_up("ada") }).await.unwrap();
    let change = sealbase::UpdateUser {
        current_password: Some(strong.into()),
        new_password: Some(PASSWORD.into()),
        ..Default::default()
    };
    assert_error(&client.update_user(change).await.unwrap_err(), "PasswordTooWeak", 400, weak);
    let key_before = server.row("SELECT login_public_key FROM users").await.bytes("login_public_key");
    client.sign_out().await.unwrap();
    client
        .sign_in(sealbase::SignIn { username: "ada".into(), password: strong.into(), ..Default::default() })
        .await
        .unwrap();
    assert_eq!(server.row("SELECT login_public_key FROM users").await.bytes("login_public_key"), key_before);
}
