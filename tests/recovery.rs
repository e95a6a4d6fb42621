//! Recovery keys (docs/protocol.md §3.19) on the backend this run selects: a key registered by the
//! signed-in user resets the password and keeps the seed, so the user's data stays readable; other
//! sessions are revoked; a session secret without the seed cannot register a key; wrong and mistyped
//! keys are told apart, and a wrong proof counts in the throttle.

mod common;

use common::{assert_error, raw, TestServer};
use sealbase::crypto::recovery::{RecoveryKey, RECOVERY_SALT_LEN};
use sealbase::crypto::{KdfParams, PasswordKey, Seed, SeedBackup};
use sealbase::protocol::b64::Bytes;
use sealbase::protocol::RecoveryRegistration;
use sealbase::validate::normalize_password;
use sealbase::{Client, ResetPassword, SignIn, SignUp};
use serde_json::{json, Value};

const PASSWORD: &str = "correct horse battery";
const NEW_PASSWORD: &str = "a new and better one";

fn reset(username: &str, recovery_key: &str, new_password: &str) -> ResetPassword {
    ResetPassword {
        username: username.into(),
        recovery_key: recovery_key.into(),
        new_password: new_password.into(),
        ..Default::default()
    }
}

fn sign_in(username: &str, password: &str) -> SignIn {
    SignIn { username: username.into(), password: password.into(), ..Default::default() }
}

async fn signed_up(client: &Client, username: &str) {
    let params = SignUp { username: username.into(), password: PASSWORD.into(), ..Default::default() };
    client.sign_up(params).await.expect("sign-up");
}

#[tokio::test]
async fn a_recovery_key_resets_the_password_keeps_the_data_and_revokes_every_other_session() {
    let server = TestServer::start().await;
    let phone = server.client_with_store("phone.json");
    signed_up(&phone, "ada").await;
    let note = phone.encrypt("notes/1", b"the secret note").unwrap();
    let fingerprint = phone.key_fingerprint().unwrap();
    let written = phone.generate_recovery_key().await.expect("registered");
    assert_eq!(written.len(), 39);
    assert_eq!(server.count("SELECT COUNT(*) FROM users WHERE recovery_login_public_key IS NOT NULL").await, 1);
    // The server keeps no form of the key itself.
    let key = RecoveryKey::parse(&written).unwrap();
    let stored = server.db.everything_stored().await;
    for form in [key.expose().to_vec(), written.as_bytes().to_vec(), written.replace('-', "").into_bytes()] {
        assert!(!stored.windows(form.len()).any(|w| w == form.as_slice()), "the recovery key at rest");
    }

    // The password forgotten: the laptop resets it with the key, typed loosely.
    let laptop = server.client_with_store("laptop.json");
    let typed = written.to_lowercase().replace('-', " ");
    let user = laptop.reset_password(reset("ada", &typed, NEW_PASSWORD)).await.expect("reset");
    assert_eq!(user.username, "ada");
    assert_eq!(laptop.key_fingerprint().unwrap(), fingerprint, "the same seed");
    assert_eq!(laptop.decrypt("notes/1", &note).unwrap().as_slice(), b"the secret note");

    // Every earlier session is revoked; the old password is gone, the new one signs in.
    assert_eq!(server.count("SELECT COUNT(*) FROM sessions WHERE revoked_at IS NULL").await, 1, "the laptop's");
    let change = sealbase::UpdateUser { email: Some(Some("ada@example.com".into())), ..Default::default() };
    assert_eq!(phone.update_user(change).await.unwrap_err().name(), "SessionNotValid");
    let other = server.client_with_store("other.json");
    let old = other.sign_in(sign_in("ada", PASSWORD)).await.unwrap_err();
    assert_eq!(old.name(), "UsernameOrPasswordMismatch");
    other.sign_in(sign_in("ada", NEW_PASSWORD)).await.expect("the new password");
    assert_eq!(other.decrypt("notes/1", &note).unwrap().as_slice(), b"the secret note");

    // The key still works (it wraps the same seed) until a new one replaces it.
    let replacement = other.generate_recovery_key().await.unwrap();
    assert_ne!(replacement, written);
    laptop.sign_out().await.unwrap();
    let replaced = laptop.reset_password(reset("ada", &written, "yet another password")).await.unwrap_err();
    assert_error(&replaced, "RecoveryKeyIncorrect", 401, "Recovery key incorrect.");
    laptop.reset_password(reset("ada", &replacement, "yet another password")).await.expect("the new key");
}

#[tokio::test]
async fn mistyped_wrong_and_missing_keys_are_refused_and_nothing_changes() {
    let server = TestServer::start().await;
    let client = server.client();
    signed_up(&client, "ada").await;
    let written = client.generate_recovery_key().await.unwrap();
    client.sign_out().await.unwrap();

    // A typo is caught by the checksum before any request.
    let mut typo = written.to_string().into_bytes();
    typo[5] = if typo[5] == b'A' { b'B' } else { b'A' };
    let refused = client.reset_password(reset("ada", std::str::from_utf8(&typo).unwrap(), NEW_PASSWORD)).await;
    assert_error(
        &refused.unwrap_err(),
        "RecoveryKeyNotValid",
        400,
        "Recovery key not valid. Type it as shown: 8 groups of 4 letters and digits.",
    );
    // Another well-formed key, and a user without any (or no user at all): the same answer.
    let stranger = RecoveryKey::random().to_text();
    signed_up(&server.client_with_store("bob.json"), "bob").await;
    for username in ["ada", "bob", "nobody"] {
        let error = client.reset_password(reset(username, &stranger, NEW_PASSWORD)).await.unwrap_err();
        assert_eq!(error.name(), "RecoveryKeyIncorrect", "{username}");
    }
    assert_eq!(server.count("SELECT COUNT(*) FROM sign_in_failures").await, 0, "refused before any proof was sent");
    assert_eq!(client.sign_in(sign_in("ada", PASSWORD)).await.map(|_| ()), Ok(()), "the password unchanged");

    // pre-reset has one shape for all, stable per username.
    let pre_reset = |username: &str| {
        let url = format!("{}/v1/apps/{}/pre-reset", server.url, server.app_id);
        let body = json!({ "username": username });
        async move { raw::post(&url, &body).await }
    };
    let (status, nobody) = pre_reset("nobody").await;
    assert_eq!(status, 200);
    let keys = |value: &Value| value.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(&nobody), keys(&pre_reset("ada").await.1));
    assert_eq!(nobody["salt"], pre_reset("nobody").await.1["salt"]);
    assert_eq!(nobody["seedBackup"], pre_reset("nobody").await.1["seedBackup"]);
}

/// A registration of a fresh key signed by `signer` (the identity key's seed, or another), naming
/// `replaces`; and its recovery login key.
fn registration(server: &TestServer, user_id: &str, signer: &Seed, replaces: Option<Bytes<32>>) -> (Value, Bytes<32>) {
    let key = RecoveryKey::random();
    let salt = Bytes(sealbase::crypto::random::array::<RECOVERY_SALT_LEN>());
    let keys = key.derive(&salt.0);
    let seed_backup = keys.backup(signer, &server.app_id);
    let login_public_key = keys.login_public_key();
    let message = RecoveryRegistration::message(
        &server.app_id,
        user_id,
        "sealbase",
        &salt,
        &login_public_key,
        &seed_backup,
        replaces.as_ref(),
    );
    let signature = Bytes(ed25519_dalek::Signer::sign(&signer.user_keys().identity_signing_key, &message).to_bytes());
    let body = RecoveryRegistration { salt, login_public_key, seed_backup, replaces, signature };
    (serde_json::to_value(body).unwrap(), login_public_key)
}

/// A raw sign-in of `username` (password [`PASSWORD`]): the session secret and the user's seed, as a
/// client holds them.
async fn raw_session(server: &TestServer, username: &str) -> (String, Seed) {
    let (_, pre_login) = raw::pre_login(server, username).await;
    let signature = raw::sign(server, username, PASSWORD, &pre_login);
    let (status, signed_in) = raw::sign_in(server, username, &pre_login["challenge"], &signature).await;
    assert_eq!(status, 200, "{signed_in}");
    let kdf: KdfParams = serde_json::from_value(pre_login["kdf"].clone()).unwrap();
    let key = PasswordKey::derive(normalize_password(PASSWORD).as_bytes(), &kdf).unwrap();
    let backup: SeedBackup = serde_json::from_value(signed_in["seedBackup"].clone()).unwrap();
    let seed = Seed::restore(&backup, &key.seed_backup_key(), &server.app_id).unwrap();
    (signed_in["session"]["secret"].as_str().unwrap().to_owned(), seed)
}

/// `method` on `…/user/recovery-key` with a session secret: status and body.
async fn recovery_key_route(server: &TestServer, secret: &str, body: Option<Value>) -> (u16, Value) {
    let url = format!("{}/v1/apps/{}/user/recovery-key", server.url, server.app_id);
    let http = reqwest::Client::new();
    let request = match body {
        Some(body) => http.put(url).json(&body),
        None => http.get(url),
    };
    let response = request.bearer_auth(secret).send().await.unwrap();
    (response.status().as_u16(), response.json::<Value>().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_registration_names_the_key_it_replaces_so_an_old_one_sent_again_changes_nothing() {
    let server = TestServer::start().await;
    let client = server.client();
    signed_up(&client, "ada").await;
    let user_id = client.current_user().unwrap().user_id;
    let (secret, seed) = raw_session(&server, "ada").await;
    let stored_key = || server.db.rows("SELECT recovery_login_public_key FROM users");

    let (status, none) = recovery_key_route(&server, &secret, None).await;
    assert_eq!((status, &none), (200, &json!({ "loginPublicKey": null, "createdAt": null })));

    // A first key replaces none; a second replaces the first.
    let (first, first_key) = registration(&server, &user_id, &seed, None);
    assert_eq!(recovery_key_route(&server, &secret, Some(first.clone())).await.0, 204);
    let (status, current) = recovery_key_route(&server, &secret, None).await;
    assert_eq!((status, current["loginPublicKey"].as_str()), (200, Some(first_key.encode().as_str())));
    assert!(current["createdAt"].as_str().is_some_and(|at| at.ends_with('Z') && at.len() == 24), "{current}");
    let (second, second_key) = registration(&server, &user_id, &seed, Some(first_key));
    assert_eq!(recovery_key_route(&server, &secret, Some(second.clone())).await.0, 204);
    assert_eq!(stored_key().await[0].bytes("recovery_login_public_key"), second_key.0.to_vec());

    // The first body sent again (say, from a log), or the second: each names a key no longer current.
    for (replayed, name) in [(first, "first"), (second, "second")] {
        let (status, body) = recovery_key_route(&server, &secret, Some(replayed)).await;
        assert_eq!(
            (status, &body),
            (
                409,
                &json!({ "error": "RecoveryKeyChanged", "message": "Recovery key changed meanwhile. Generate a new one." })
            ),
            "{name}"
        );
        assert_eq!(stored_key().await[0].bytes("recovery_login_public_key"), second_key.0.to_vec(), "{name}");
    }
    // The replaced key must be named exactly: a wrong `replaces` is refused the same way, and a forged
    // one fails the signature first.
    let (stale, _) = registration(&server, &user_id, &seed, Some(Bytes([9; 32])));
    assert_eq!(recovery_key_route(&server, &secret, Some(stale)).await.0, 409);
    let (mut forged, _) = registration(&server, &user_id, &seed, None);
    forged["replaces"] = json!(second_key.encode());
    let (status, body) = recovery_key_route(&server, &secret, Some(forged)).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("SignatureNotValid")));

    // The SDK reads the current key first, so it replaces it in one call.
    let written = client.generate_recovery_key().await.expect("replaces the second");
    let key = RecoveryKey::parse(&written).unwrap();
    let (_, current) = recovery_key_route(&server, &secret, None).await;
    let salt_row = server.db.rows("SELECT recovery_salt FROM users").await;
    let salt: [u8; RECOVERY_SALT_LEN] = salt_row[0].bytes("recovery_salt").try_into().unwrap();
    assert_eq!(current["loginPublicKey"].as_str(), Some(key.derive(&salt).login_public_key().encode().as_str()));
}

#[tokio::test]
async fn a_registration_needs_a_live_session_a_present_replaces_and_a_usable_login_key() {
    let server = TestServer::start().await;
    let client = server.client();
    signed_up(&client, "ada").await;
    let user_id = client.current_user().unwrap().user_id;
    let (secret, seed) = raw_session(&server, "ada").await;

    // `replaces` must be present (null for none), and the login key a point that can verify.
    let (mut missing, _) = registration(&server, &user_id, &seed, None);
    missing.as_object_mut().unwrap().remove("replaces");
    let (status, body) = recovery_key_route(&server, &secret, Some(missing)).await;
    assert_eq!(
        (status, body["error"].as_str(), body["key"].as_str()),
        (400, Some("KeyMaterialNotValid"), Some("replaces"))
    );
    for unusable in [[0u8; 32], {
        let mut identity = [0u8; 32];
        identity[0] = 1;
        identity
    }] {
        let (mut body, _) = registration(&server, &user_id, &seed, None);
        body["loginPublicKey"] = json!(Bytes(unusable).encode());
        let (status, body) = recovery_key_route(&server, &secret, Some(body)).await;
        assert_eq!(
            (status, body["error"].as_str(), body["key"].as_str()),
            (400, Some("KeyMaterialNotValid"), Some("loginPublicKey"))
        );
    }

    // A signed-out session registers nothing, however well signed, and cannot read the status.
    let revoke = format!("{}/v1/apps/{}/session", server.url, server.app_id);
    let response = reqwest::Client::new().delete(revoke).bearer_auth(&secret).send().await.unwrap();
    assert!(response.status().is_success(), "{}", response.status());
    let (valid, _) = registration(&server, &user_id, &seed, None);
    assert_eq!(recovery_key_route(&server, &secret, Some(valid)).await.0, 401);
    assert_eq!(recovery_key_route(&server, &secret, None).await.0, 401);
    assert_eq!(server.count("SELECT COUNT(*) FROM users WHERE recovery_salt IS NOT NULL").await, 0);
}

#[tokio::test]
async fn a_session_secret_without_the_seed_cannot_register_a_key_and_a_forged_reset_counts_as_a_failure() {
    let server = TestServer::start().await;
    let client = server.client();
    signed_up(&client, "ada").await;
    let user_id = client.current_user().unwrap().user_id;

    // A stolen session secret (here: a raw sign-in's), and a registration signed by any key but the
    // user's identity key.
    let (_, pre_login) = raw::pre_login(&server, "ada").await;
    let signature = raw::sign(&server, "ada", PASSWORD, &pre_login);
    let (status, signed_in) = raw::sign_in(&server, "ada", &pre_login["challenge"], &signature).await;
    assert_eq!(status, 200);
    let secret = signed_in["session"]["secret"].as_str().unwrap().to_owned();
    let put = |body: Value| {
        let url = format!("{}/v1/apps/{}/user/recovery-key", server.url, server.app_id);
        let secret = secret.clone();
        async move {
            let response = reqwest::Client::new().put(url).bearer_auth(secret).json(&body).send().await.unwrap();
            (response.status().as_u16(), response.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let (status, body) = put(registration(&server, &user_id, &Seed::random(), None).0).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("SignatureNotValid")));
    let (status, body) = put(json!({ "salt": "AAAA" })).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("KeyMaterialNotValid")));
    assert_eq!(server.count("SELECT COUNT(*) FROM users WHERE recovery_salt IS NOT NULL").await, 0);

    // A reset signed by a key that is not the user's: refused and counted like a wrong password.
    client.generate_recovery_key().await.unwrap();
    let (_, pre_reset) =
        raw::post(&format!("{}/v1/apps/{}/pre-reset", server.url, server.app_id), &json!({ "username": "ada" })).await;
    let forged = json!({
        "username": "ada", "challenge": pre_reset["challenge"], "signature": Bytes([7u8; 64]).encode(),
        "kdf": pre_login["kdf"], "loginPublicKey": Bytes([1u8; 32]).encode(), "seedBackup": pre_reset["seedBackup"],
    });
    let (status, body) = raw::post(&format!("{}/v1/apps/{}/reset-password", server.url, server.app_id), &forged).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("RecoveryKeyIncorrect")));
    assert_eq!(server.count("SELECT failures FROM sign_in_failures").await, 1);
    assert_eq!(server.count("SELECT login_attempts FROM users").await, 1);
}

#[tokio::test]
async fn a_blocked_user_cannot_reset_and_the_key_is_set_only_by_a_live_signed_in_user() {
    let server = TestServer::start().await;
    let client = server.client();
    assert_eq!(client.generate_recovery_key().await.unwrap_err().name(), "UserNotSignedIn");
    signed_up(&client, "ada").await;
    let written = client.generate_recovery_key().await.unwrap();
    let user_id = client.current_user().unwrap().user_id;
    client.sign_out().await.unwrap();
    let name = format!("backend-{}", rand::random::<u32>());
    let secret = server.server.create_app_secret(&server.app_id, &name).await.unwrap().app_secret;
    let admin = sealbase::admin::client::AdminClient::new(&server.app_id, &server.url, secret).unwrap();
    admin.block(&user_id).await.unwrap();
    let blocked = client.reset_password(reset("ada", &written, NEW_PASSWORD)).await.unwrap_err();
    assert_eq!(blocked.name(), "UserBlocked");
    admin.unblock(&user_id).await.unwrap();
    client.sign_in(sign_in("ada", PASSWORD)).await.expect("the password unchanged by the refused reset");
}

#[tokio::test]
async fn the_database_keeps_a_registration_whole() {
    let server = TestServer::start().await;
    let client = server.client();
    signed_up(&client, "ada").await;
    client.generate_recovery_key().await.unwrap();
    let (key, salt) = (server.db.bytes_literal(&[1; 32]), server.db.bytes_literal(&[2; 16]));
    for partial in [
        "UPDATE users SET recovery_salt = NULL".to_owned(),
        "UPDATE users SET recovery_created_at = NULL".to_owned(),
        "UPDATE users SET recovery_salt = NULL, recovery_login_public_key = NULL, recovery_backup_nonce = NULL,
             recovery_backup_ciphertext = NULL"
            .to_owned(),
    ] {
        let refused = server.db.try_execute(&partial).await.expect_err(&partial);
        assert!(refused.contains("users_recovery_whole"), "{partial}: {refused}");
    }
    // Cleared whole it is accepted (no route does it today; the constraint is about shape only).
    let cleared =
        "UPDATE users SET recovery_salt = NULL, recovery_login_public_key = NULL, recovery_backup_nonce = NULL,
             recovery_backup_ciphertext = NULL, recovery_created_at = NULL";
    assert_eq!(server.db.try_execute(cleared).await, Ok(1));
    let half = format!("UPDATE users SET recovery_salt = {salt}, recovery_login_public_key = {key}");
    assert!(server.db.try_execute(&half).await.unwrap_err().contains("users_recovery_whole"));
}

#[tokio::test]
async fn where_a_verified_email_is_required_an_unverified_user_cannot_reset_and_nothing_changes() {
    use sealbase_server::{Config, MailConfig, MailTransport, NewApp};
    let outbox = tempfile::tempdir().unwrap();
    let mail = MailConfig { transport: MailTransport::Outbox(outbox.path().into()), ..MailConfig::default() };
    let app = NewApp { require_verified_email: true, ..NewApp::default() };
    let server = TestServer::with(move |config| Config { mail, ..config }, app).await;
    let client = server.client();
    let params = SignUp {
        username: "ada".into(),
        password: PASSWORD.into(),
        email: Some("ada@example.com".into()),
        ..Default::default()
    };
    client.sign_up(params).await.expect("signed up, not yet verified");
    let written = client.generate_recovery_key().await.expect("registered");
    client.sign_out().await.unwrap();
    let (sessions, used) = (
        server.count("SELECT COUNT(*) FROM sessions").await,
        server.count("SELECT COUNT(*) FROM used_challenges").await,
    );
    let refused = client.reset_password(reset("ada", &written, NEW_PASSWORD)).await.unwrap_err();
    assert_eq!((refused.name(), refused.status()), ("EmailNotVerified", 403));
    assert_eq!(server.count("SELECT COUNT(*) FROM sessions").await, sessions, "no session opened");
    assert_eq!(server.count("SELECT COUNT(*) FROM used_challenges").await, used, "nor a challenge spent");
    let other = server.client_with_store("other.json");
    let old = other.sign_in(sign_in("ada", PASSWORD)).await.unwrap_err();
    assert_eq!(old.name(), "EmailNotVerified", "the old password is still the right one (and still refused)");
    let new = other.sign_in(sign_in("ada", NEW_PASSWORD)).await.unwrap_err();
    assert_eq!(new.name(), "UsernameOrPasswordMismatch", "the new one was never set");
}
