//! Accounts an app's backend creates (docs/protocol.md §3.13–3.14): seed 000's createUser and seed
//! 001's imports, on the backend this run selects. Each ends in a sign-in through the Rust SDK that makes
//! the user's keys on the device, and in checks of what the database holds.

mod common;

use common::{assert_error, raw, TestServer};
use sealbase::crypto::legacy::LegacyParams;
use sealbase::crypto::NewAccountKeys;
use sealbase::protocol::b64::Bytes;
use sealbase::protocol::{challenge_message, ChallengePurpose, PreLoginResponse};
use sealbase::{SignIn, SignUp, UpdateUser};
use sealbase_server::{AppChange, NewApp};
use serde_json::{json, Value};

const SEED_PASSWORD: &str = "I've heard phrases make the best passwords.  Have you?";

async fn app_secret(server: &TestServer) -> String {
    server.server.create_app_secret(&server.app_id, "backend").await.expect("secret").app_secret
}

fn create_user_url(server: &TestServer) -> String {
    format!("{}/api/v1/server/createUser", server.url)
}

fn users_url(server: &TestServer) -> String {
    format!("{}/v1/admin/apps/{}/users", server.url, server.app_id)
}

/// Seed 000's example body, for this server's app.
fn seed_body(server: &TestServer, secret: &str) -> Value {
    json!({
        "appId": server.app_id,
        "appSecret": secret,
        "email": "johnnylingo@gqmail.com",
        "firstName": "Johnny",
        "lastName": "Lingo",
        "password": SEED_PASSWORD,
    })
}

async fn post_with_secret(url: &str, secret: &str, body: &Value) -> (u16, Value) {
    let response = reqwest::Client::new().post(url).bearer_auth(secret).json(body).send().await.expect("request");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// (users, pending logins, identities, apps.user_count).
async fn stored(server: &TestServer) -> (i64, i64, i64, i64) {
    (
        server.count("SELECT COUNT(*) FROM users").await,
        server.count("SELECT COUNT(*) FROM pending_logins").await,
        server.count("SELECT COUNT(*) FROM identities").await,
        server.count("SELECT SUM(user_count) FROM apps").await,
    )
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|window| window == needle)
}

#[tokio::test]
async fn create_user_answers_the_seeds_shape_and_the_first_sign_in_makes_the_seed_on_the_device() {
    let server = TestServer::start().await;
    let secret = app_secret(&server).await;
    let (status, body) = raw::post(&create_user_url(&server), &seed_body(&server, &secret)).await;
    assert_eq!(status, 200, "{body}");
    let id = body["user"]["id"].as_str().expect("an id").to_owned();
    assert_eq!(
        body,
        json!({"user": {"id": id, "email": "johnnylingo@gqmail.com", "firstName": "Johnny", "lastName": "Lingo", "fullName": "Johnny Lingo"}})
    );

    // A pending account: no keys, a verifier, the mark that the server saw the password.
    let row = server.row(&format!("SELECT * FROM users WHERE id = '{id}'")).await;
    assert_eq!(row.text("username"), "johnnylingo@gqmail.com");
    assert_eq!(row.opt_int("kdf_log_n"), None);
    assert_eq!(row.int("password_seen_by_server"), 1);
    assert_eq!(server.count("SELECT COUNT(*) FROM pending_logins").await, 1);
    let everything = server.db.everything_stored().await;
    assert!(!contains(&everything, SEED_PASSWORD.as_bytes()), "the plaintext is not stored");
    assert!(!contains(&everything, b"heard phrases"), "nor any part of it");

    // Pre-login hands out the legacy parameters (and no KDF parameters).
    let (status, pre_login) = raw::pre_login(&server, "johnnylingo@gqmail.com").await;
    assert_eq!(status, 200);
    assert_eq!(pre_login.get("kdf"), None);
    assert_eq!(pre_login["legacy"]["algorithm"], "argon2id");
    assert_eq!((pre_login["legacy"]["m"].as_u64(), pre_login["legacy"]["t"].as_u64()), (Some(19456), Some(2)));

    // A wrong password at the first sign-in changes nothing.
    let client = server.client();
    let wrong =
        SignIn { username: "johnnylingo@gqmail.com".into(), password: "not the password".into(), ..Default::default() };
    assert_error(
        &client.sign_in(wrong).await.unwrap_err(),
        "UsernameOrPasswordMismatch",
        401,
        "Username or password mismatch.",
    );
    assert_eq!(server.count("SELECT COUNT(*) FROM pending_logins").await, 1);

    // The first sign-in, with the email as the username, makes the keys here and registers them.
    let sign_in =
        || SignIn { username: "JohnnyLingo@gqmail.com".into(), password: SEED_PASSWORD.into(), ..Default::default() };
    let user = client.sign_in(sign_in()).await.expect("first sign-in");
    assert_eq!((user.user_id.as_str(), user.username.as_str()), (id.as_str(), "johnnylingo@gqmail.com"));
    assert!(user.password_seen_by_server, "an app may suggest a new password");
    let fingerprint = client.key_fingerprint().expect("a seed");
    let row = server.row(&format!("SELECT * FROM users WHERE id = '{id}'")).await;
    assert_eq!(row.int("kdf_log_n"), 15);
    assert_eq!(row.bytes("seed_backup_ciphertext").len(), 48);
    assert_eq!(server.count("SELECT COUNT(*) FROM pending_logins").await, 0, "the verifier is gone");

    // From then on an ordinary account: KDF parameters at pre-login, the same seed on another device.
    let (_, pre_login) = raw::pre_login(&server, "johnnylingo@gqmail.com").await;
    assert_eq!((pre_login["kdf"]["algorithm"].as_str(), pre_login.get("legacy")), (Some("scrypt"), None));
    client.sign_out().await.expect("signed out");
    let other_device = server.client_with_store("other-device.json");
    other_device.sign_in(sign_in()).await.expect("second sign-in");
    assert_eq!(other_device.key_fingerprint().unwrap(), fingerprint, "the seed made at the first sign-in");

    // A new password, which the server never sees, clears the mark.
    other_device
        .update_user(UpdateUser {
            current_password: Some(SEED_PASSWORD.into()),
            new_password: Some("a new passphrase nobody else saw".into()),
            ..Default::default()
        })
        .await
        .expect("password changed");
    assert!(!other_device.current_user().unwrap().password_seen_by_server);
    let row = server.row(&format!("SELECT password_seen_by_server FROM users WHERE id = '{id}'")).await;
    assert_eq!(row.int("password_seen_by_server"), 0);
}

/// A first sign-in's request, made by hand: (body, the keys it registers).
fn first_sign_in_body(server: &TestServer, username: &str, password: &str, pre_login: &Value) -> Value {
    let pre_login: PreLoginResponse = serde_json::from_value(pre_login.clone()).expect("pre-login");
    let legacy: LegacyParams = pre_login.legacy.expect("a pending account");
    let legacy_key = legacy.login_key(password.as_bytes()).expect("legacy hash");
    let keys = NewAccountKeys::generate(password, &server.app_id).expect("keys").registered();
    let purpose = ChallengePurpose::FirstSignIn { binding: keys.binding() };
    let message = challenge_message(purpose, &server.app_id, username, &pre_login.challenge.0, &pre_login.audience);
    let mut body = serde_json::to_value(&keys).expect("keys serialise");
    body["username"] = username.into();
    body["challenge"] = pre_login.challenge.encode().into();
    body["signature"] = Bytes(legacy_key.sign(&message).to_bytes()).encode().into();
    body
}

#[tokio::test]
async fn a_first_sign_in_cannot_be_replayed_nor_its_proof_paired_with_other_keys() {
    let server = TestServer::start().await;
    let secret = app_secret(&server).await;
    assert_eq!(raw::post(&create_user_url(&server), &seed_body(&server, &secret)).await.0, 200);
    let username = "johnnylingo@gqmail.com";
    let first_sign_in = format!("{}/v1/apps/{}/first-sign-in", server.url, server.app_id);

    // The proof signs the keys: the same signature with other keys proves nothing (a failure counted).
    let (_, pre_login) = raw::pre_login(&server, username).await;
    let body = first_sign_in_body(&server, username, SEED_PASSWORD, &pre_login);
    let mut swapped = body.clone();
    swapped["loginPublicKey"] =
        first_sign_in_body(&server, username, SEED_PASSWORD, &pre_login)["loginPublicKey"].clone();
    let (status, error) = raw::post(&first_sign_in, &swapped).await;
    assert_eq!((status, error["error"].as_str()), (401, Some("UsernameOrPasswordMismatch")));
    assert_eq!(server.count("SELECT COUNT(*) FROM pending_logins").await, 1);

    // Signed with the legacy key but as an ordinary sign-in: refused too.
    let (_, pre_login) = raw::pre_login(&server, username).await;
    let body = first_sign_in_body(&server, username, SEED_PASSWORD, &pre_login);
    let (status, _) = raw::sign_in(&server, username, &body["challenge"], body["signature"].as_str().unwrap()).await;
    assert_eq!(status, 401);

    let (_, pre_login) = raw::pre_login(&server, username).await;
    let body = first_sign_in_body(&server, username, SEED_PASSWORD, &pre_login);
    let (status, accepted) = raw::post(&first_sign_in, &body).await;
    assert_eq!(status, 200, "{accepted}");
    assert_eq!(accepted["seedBackup"], body["seedBackup"], "the backup just registered");
    let (status, replayed) = raw::post(&first_sign_in, &body).await;
    assert_eq!((status, replayed["error"].as_str()), (401, Some("ChallengeNotValid")));

    // A fresh challenge, proved with the old verifier: the verifier is gone.
    let (_, pre_login) = raw::pre_login(&server, username).await;
    let mut late = body.clone();
    late["challenge"] = pre_login["challenge"].clone();
    let (status, error) = raw::post(&first_sign_in, &late).await;
    assert_eq!((status, error["error"].as_str()), (401, Some("UsernameOrPasswordMismatch")));
    assert_eq!(server.count("SELECT COUNT(*) FROM sessions").await, 1, "one first sign-in opened one session");
    let keys = server.row("SELECT login_public_key FROM users").await.bytes("login_public_key");
    assert_eq!(Bytes::<32>(keys.try_into().unwrap()).encode(), body["loginPublicKey"].as_str().unwrap());
}

#[tokio::test]
async fn an_email_belongs_to_one_user_whatever_its_case_and_whichever_call_made_it() {
    let server = TestServer::start().await;
    let secret = app_secret(&server).await;
    let mut body = seed_body(&server, &secret);
    body["email"] = "Johnny@Example.com".into();
    let (status, created) = raw::post(&create_user_url(&server), &body).await;
    assert_eq!(status, 200);
    assert_eq!(created["user"]["email"], "johnny@example.com");
    let before = stored(&server).await;

    for email in ["johnny@example.com", "JOHNNY@EXAMPLE.COM", " johnny@EXAMPLE.com "] {
        body["email"] = email.into();
        let (status, error) = raw::post(&create_user_url(&server), &body).await;
        assert_eq!(
            (status, error),
            (
                400,
                json!({"error": "USER_ALREADY_EXISTS", "field": "email", "message": "User with email already exists"})
            ),
            "{email}"
        );
    }
    assert_eq!(stored(&server).await, before, "nothing stored by a refused case variant");
    // Seed 001 with another username and the same email.
    let import =
        json!({"username": "someone-else", "email": "JOHNNY@example.com", "password": "correct horse battery"});
    let (status, error) = post_with_secret(&users_url(&server), &secret, &import).await;
    assert_eq!(
        (status, error["error"].as_str(), error["field"].as_str()),
        (400, Some("USER_ALREADY_EXISTS"), Some("email"))
    );
    // Both the username and the email taken: the username is named, on every backend.
    let both = json!({"username": "johnny@example.com", "email": "johnny@example.com", "name": "x",
                      "password": "correct horse battery"});
    let (_, error) = post_with_secret(&users_url(&server), &secret, &both).await;
    assert_eq!(error["field"], "email", "a username that is the email is named as the email");
    let (_, _) = post_with_secret(
        &users_url(&server),
        &secret,
        &json!({"username": "johnny2", "email": "j2@example.com", "password": "correct horse battery"}),
    )
    .await;
    let before = stored(&server).await;
    let both = json!({"username": "johnny2", "email": "johnny@example.com", "password": "correct horse battery"});
    let (status, error) = post_with_secret(&users_url(&server), &secret, &both).await;
    assert_eq!((status, error["field"].as_str()), (400, Some("username")));
    assert_eq!(stored(&server).await, before, "nothing stored by a refusal");

    // The SDK: the username, then the email, each taken.
    let client = server.client();
    let sign_up = |username: &str, email: &str| SignUp {
        username: username.into(),
        password: "correct horse battery".into(),
        email: Some(email.into()),
        ..Default::default()
    };
    let taken = client.sign_up(sign_up("johnny@example.com", "other@example.com")).await.unwrap_err();
    assert_error(&taken, "UsernameAlreadyExists", 409, "Username already exists.");
    let taken = client.sign_up(sign_up("johnny", "Johnny@example.COM")).await.unwrap_err();
    assert_error(&taken, "EmailAlreadyExists", 409, "Email already exists.");
    // Both taken: the username's answer, on every backend.
    let taken = client.sign_up(sign_up("johnny@example.com", "johnny@example.com")).await.unwrap_err();
    assert_error(&taken, "UsernameAlreadyExists", 409, "Username already exists.");
    assert_eq!(stored(&server).await, before);

    // And an update to a taken email.
    client.sign_up(sign_up("johnny", "johnny2@example.com")).await.expect("signed up");
    let update = UpdateUser { email: Some(Some("JOHNNY@example.com".into())), ..Default::default() };
    assert_error(&client.update_user(update).await.unwrap_err(), "EmailAlreadyExists", 409, "Email already exists.");
    assert_eq!(server.count("SELECT COUNT(*) FROM users WHERE email = 'johnny2@example.com'").await, 1);
}

#[tokio::test]
async fn password_too_weak_at_each_complexity_levels_boundary() {
    let server = TestServer::start().await;
    let secret = app_secret(&server).await;
    // Passwords following exactly 0 to 5 of seed 000's practices (at least 8 characters, upper case,
    // lower case, a number, one of !@#$%^&*).
    let following = ["漢字漢字漢字", "abcdef", "abcdefgh", "Abcdefgh", "Abcdefg1", "Abcdef1!"];
    for (met, password) in following.iter().enumerate() {
        assert_eq!(sealbase::validate::password_complexity(password) as usize, met, "{password}");
    }
    // The lowest minimum an app may set (the SDKs' sign-in floor), so only the practices count here.
    let change = AppChange { password_min_length: Some(6), ..Default::default() };
    server.server.update_app(&server.app_id, &change).await.expect("minimum length 6");
    let change = AppChange { password_min_length: Some(5), ..Default::default() };
    let refused = server.server.update_app(&server.app_id, &change).await.unwrap_err();
    assert_eq!(refused.to_string(), "the minimum password length must be 6 to 1000");
    for level in 1..=5u8 {
        let change = AppChange { password_complexity: Some(level), ..Default::default() };
        server.server.update_app(&server.app_id, &change).await.expect("level set");
        let mut body = seed_body(&server, &secret);
        body["password"] = following[usize::from(level) - 1].into();
        let (status, error) = raw::post(&create_user_url(&server), &body).await;
        assert_eq!(
            (status, error),
            (
                400,
                json!({"error": "PASSWORD_TOO_WEAK", "required": level, "met": level - 1, "message": "Password is too weak."})
            ),
            "level {level}"
        );
        body["password"] = following[usize::from(level)].into();
        body["email"] = format!("level{level}@example.com").into();
        let (status, created) = raw::post(&create_user_url(&server), &body).await;
        assert_eq!(status, 200, "level {level}: {created}");
    }
    assert_eq!(server.count("SELECT COUNT(*) FROM users").await, 5);

    // The app's minimum length is enforced too.
    let change = AppChange { password_min_length: Some(12), password_complexity: Some(1), ..Default::default() };
    server.server.update_app(&server.app_id, &change).await.expect("minimum 12");
    let mut body = seed_body(&server, &secret);
    body["password"] = "short pass!".into();
    let (status, error) = raw::post(&create_user_url(&server), &body).await;
    assert_eq!(
        (status, error["error"].as_str(), error["minLength"].as_u64()),
        (400, Some("PASSWORD_TOO_SHORT"), Some(12))
    );
}

#[tokio::test]
async fn every_mistake_a_create_user_caller_can_make_has_its_own_answer_and_stores_nothing() {
    let server = TestServer::start().await;
    let secret = app_secret(&server).await;
    let other = server.server.create_app(&NewApp::default()).await.expect("another app");
    let other_secret = server.server.create_app_secret(&other.app_id, "backend").await.expect("secret").app_secret;
    let revoked = server.server.create_app_secret(&server.app_id, "old").await.expect("secret").app_secret;
    server.server.revoke_app_secret(&server.app_id, "old").await.expect("revoked");
    let good = seed_body(&server, &secret);
    let with = |key: &str, value: Value| {
        let mut body = good.clone();
        body[key] = value;
        body
    };
    let without = |key: &str| {
        let mut body = good.clone();
        body.as_object_mut().unwrap().remove(key);
        body
    };
    let missing =
        |field: &str| json!({"error": "FIELD_MISSING", "field": field, "message": format!("{field} is required.")});
    let not_valid = |field: &str, reason: &str| json!({"error": "FIELD_NOT_VALID", "field": field, "reason": reason, "message": format!("{field} {reason}.")});
    let unauthorized = json!({"error": "UNAUTHORIZED", "message": "App ID or app secret not valid."});
    let cases: Vec<(&str, Value, u16, Value)> = vec![
        (
            "an array body",
            json!([]),
            400,
            json!({"error": "BODY_NOT_VALID", "message": "Request body must be a JSON object."}),
        ),
        ("no appId", without("appId"), 400, missing("appId")),
        ("appId a number", with("appId", json!(7)), 400, not_valid("appId", "must be a string")),
        ("no appSecret", without("appSecret"), 400, missing("appSecret")),
        ("an unknown appId", with("appId", json!("00000000-0000-0000-0000-000000000000")), 401, unauthorized.clone()),
        (
            "a wrong appSecret",
            with("appSecret", json!(format!("{}x", &secret[..secret.len() - 1]))),
            401,
            unauthorized.clone(),
        ),
        ("not a secret at all", with("appSecret", json!("FCGAYPQP73U47ASKOWRPIOP7DPIY")), 401, unauthorized.clone()),
        ("another app's secret", with("appSecret", json!(other_secret)), 401, unauthorized.clone()),
        ("a revoked secret", with("appSecret", json!(revoked)), 401, unauthorized.clone()),
        (
            "an unknown field",
            with("phone", json!("+15555550100")),
            400,
            json!({"error": "UNKNOWN_FIELD", "field": "phone", "message": "phone is not a known field."}),
        ),
        ("no email", without("email"), 400, missing("email")),
        ("a bad email", with("email", json!("johnny.gqmail.com")), 400, not_valid("email", "must be an email address")),
        ("email a number", with("email", json!(1)), 400, not_valid("email", "must be a string")),
        ("no firstName", without("firstName"), 400, missing("firstName")),
        ("firstName blank", with("firstName", json!("  ")), 400, not_valid("firstName", "cannot be blank")),
        (
            "firstName of 26",
            with("firstName", json!("J".repeat(26))),
            400,
            json!({"error": "FIELD_TOO_LONG", "field": "firstName", "maxLength": 25, "message": "firstName is too long. Must be at most 25 characters."}),
        ),
        (
            "lastName of 26",
            with("lastName", json!("L".repeat(26))),
            400,
            json!({"error": "FIELD_TOO_LONG", "field": "lastName", "maxLength": 25, "message": "lastName is too long. Must be at most 25 characters."}),
        ),
        ("lastName an object", with("lastName", json!({})), 400, not_valid("lastName", "must be a string")),
        ("no password", without("password"), 400, missing("password")),
        ("password null", with("password", Value::Null), 400, missing("password")),
        ("password a number", with("password", json!(12345678)), 400, not_valid("password", "must be a string")),
        ("password empty", with("password", json!("")), 400, not_valid("password", "cannot be blank")),
    ];
    for (case, body, status, answer) in cases {
        let (got_status, got) = raw::post(&create_user_url(&server), &body).await;
        assert_eq!((got_status, got), (status, answer), "{case}");
    }
    let not_json = reqwest::Client::new()
        .post(create_user_url(&server))
        .header("content-type", "application/json")
        .body("{\"appId\":")
        .send()
        .await
        .expect("request");
    assert_eq!(not_json.status().as_u16(), 400);
    assert_eq!(stored(&server).await, (0, 0, 0, 0), "nothing stored");

    // Names of exactly 25 characters are accepted.
    let body = json!({"appId": server.app_id, "appSecret": secret, "email": "a@b.co", "firstName": "J".repeat(25), "lastName": "L".repeat(25), "password": "long enough password"});
    let (status, created) = raw::post(&create_user_url(&server), &body).await;
    assert_eq!(status, 200, "{created}");
    assert_eq!(created["user"]["fullName"], format!("{} {}", "J".repeat(25), "L".repeat(25)));
}

#[tokio::test]
async fn the_user_quota_counts_accounts_made_by_a_backend() {
    let server = TestServer::with_app(NewApp { user_quota: Some(1), ..NewApp::default() }).await;
    let secret = app_secret(&server).await;
    assert_eq!(raw::post(&create_user_url(&server), &seed_body(&server, &secret)).await.0, 200);
    let mut body = seed_body(&server, &secret);
    body["email"] = "second@example.com".into();
    let (status, error) = raw::post(&create_user_url(&server), &body).await;
    assert_eq!((status, error["error"].as_str()), (402, Some("USER_QUOTA_EXCEEDED")));
    assert_eq!(stored(&server).await, (1, 1, 0, 1));
}

#[tokio::test]
async fn the_admin_client_creates_and_imports_users_without_sending_a_password_or_a_hash() {
    use sealbase::admin::client::{AdminClient, CreateUser};
    use sealbase::admin::{AdminError, NewUserRequest, PasswordSource};
    let server = TestServer::with_app(NewApp { password_complexity: 3, ..NewApp::default() }).await;
    let secret = app_secret(&server).await;
    let admin = AdminClient::new(&server.app_id, &server.url, &secret).expect("client");
    let create = |password: &str| CreateUser {
        email: "Johnny@Example.com".into(),
        first_name: "Johnny".into(),
        last_name: "Lingo".into(),
        password: password.into(),
    };
    // The app's policy, checked by the client before anything is sent.
    assert_eq!(
        admin.create_user(create("all lower case")).await.unwrap_err(),
        AdminError::PasswordTooWeak { required: 3, met: 2 }
    );
    assert_eq!(admin.create_user(create("Sh0rt")).await.unwrap_err(), AdminError::PasswordTooShort { min_length: 8 });
    let too_long = CreateUser { first_name: "J".repeat(26), ..create(SEED_PASSWORD) };
    assert_eq!(
        admin.create_user(too_long).await.unwrap_err(),
        AdminError::FieldTooLong { field: "firstName".into(), max_length: 25 }
    );
    assert_eq!(server.count("SELECT COUNT(*) FROM users").await, 0);

    let user = admin.create_user(create(SEED_PASSWORD)).await.expect("created");
    assert_eq!((user.username.as_str(), user.email.as_deref()), ("johnny@example.com", Some("johnny@example.com")));
    assert_eq!(user.details.name.as_deref(), Some("Johnny Lingo"));
    assert!(user.pending_keys);
    assert!(!user.password_seen_by_server, "the server got a verifier, never the password");
    assert_eq!(
        admin.create_user(create(SEED_PASSWORD)).await.unwrap_err(),
        AdminError::UserAlreadyExists { field: "email".into() }
    );

    // An imported hash becomes a verifier in the client too.
    let fixture: Value = serde_json::from_str::<Vec<Value>>(
        &std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/imported_hashes.json")).unwrap(),
    )
    .unwrap()
    .remove(0);
    let mut body = json!({"username": "imported", "hash_fn": fixture["hash_fn"], "password": fixture["hash"]});
    let request = NewUserRequest::from_json(&body).expect("a valid body");
    assert!(matches!(request.password, PasswordSource::Imported { .. }));
    let imported = admin.import_user(request).await.expect("imported");
    assert!(imported.pending_keys && !imported.password_seen_by_server);
    assert!(!contains(&server.db.everything_stored().await, fixture["hash"].as_str().unwrap().as_bytes()));
    body["username"] = "refused".into();
    body["login_attempts"] = 20_001.into();
    assert!(matches!(NewUserRequest::from_json(&body), Err(AdminError::FieldNotValid { .. })));

    // Both sign in through the SDK, with the password as typed.
    let client = server.client();
    let sign_in =
        SignIn { username: "johnny@example.com".into(), password: SEED_PASSWORD.into(), ..Default::default() };
    assert!(!client.sign_in(sign_in).await.expect("first sign-in").password_seen_by_server);
    client.sign_out().await.unwrap();
    let sign_in = SignIn {
        username: "imported".into(),
        password: fixture["password"].as_str().unwrap().into(),
        ..Default::default()
    };
    client.sign_in(sign_in).await.expect("imported user signs in");

    // A wrong or revoked secret is refused by the server.
    let wrong = AdminClient::new(&server.app_id, &server.url, format!("{secret}x")).expect("client");
    assert_eq!(
        wrong.create_user(CreateUser { email: "x@example.com".into(), ..create(SEED_PASSWORD) }).await.unwrap_err(),
        AdminError::Unauthorized
    );
}
