//! The account's whole life on native: persistence per rememberMe, resume, sign-out, updateUser,
//! deleteUser, against a real server on loopback.

mod common;

use std::sync::{Arc, Mutex};

use common::{assert_error, raw, TestServer};
use sealbase::store::{FileStore, SessionStore};
use sealbase::{Init, InitResult, Profile, RememberMe, SignIn, SignUp, UpdateUser};
use sealbase_server::store::testing::Operation;

const PASSWORD: &str = "correct horse battery staple";

fn sign_up(username: &str, remember_me: RememberMe) -> SignUp {
    SignUp { username: username.into(), password: PASSWORD.into(), remember_me, ..Default::default() }
}

fn sign_in(username: &str, password: &str) -> SignIn {
    SignIn { username: username.into(), password: password.into(), ..Default::default() }
}

/// The stored session's secret, as a raw bearer token.
fn stored_secret(server: &TestServer, file: &str) -> String {
    let state = FileStore::new(server.dir.path().join(file)).load(&server.app_id).unwrap().unwrap();
    serde_json::to_value(&state.session.unwrap().secret).unwrap().as_str().unwrap().to_owned()
}

#[tokio::test]
async fn local_sessions_survive_a_restart() {
    let server = TestServer::start().await;
    let first = server.client_with_store("device.json");
    let user = first.sign_up(sign_up("ada", RememberMe::Local)).await.unwrap();
    let fingerprint = first.key_fingerprint().unwrap();
    drop(first);

    // The file: owner-only, holding the session and seed.
    let path = server.dir.path().join("device.json");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    }
    let stored = FileStore::new(&path).load(&server.app_id).unwrap().unwrap();
    assert_eq!(stored.last_used_username.as_deref(), Some("ada"));
    assert_eq!(stored.session.as_ref().map(|s| s.username.as_str()), Some("ada"));

    let restarted = server.client_with_store("device.json");
    let resumed = restarted.init(Init::default()).await.unwrap();
    let resumed_user = resumed.user.expect("resumed");
    assert_eq!(resumed_user.user_id, user.user_id);
    assert_ne!(resumed_user.auth_token, user.auth_token, "a fresh authToken");
    assert_eq!(restarted.key_fingerprint().unwrap(), fingerprint);
    // init again is idempotent.
    assert_eq!(restarted.init(Init::default()).await.unwrap().user.map(|u| u.user_id), Some(user.user_id));
}

#[tokio::test]
async fn session_and_none_do_not_survive_a_restart() {
    for mode in [RememberMe::Session, RememberMe::None] {
        let server = TestServer::start().await;
        let first = server.client_with_store("device.json");
        first.sign_up(sign_up("ada", mode)).await.unwrap();
        assert!(!server.dir.path().join("device.json").exists(), "{mode:?} wrote the local store");
        let restarted = server.client_with_store("device.json");
        assert_eq!(restarted.init(Init::default()).await.unwrap(), InitResult::default(), "{mode:?}");
    }
}

#[tokio::test]
async fn session_mode_resumes_within_the_same_client_store() {
    let server = TestServer::start().await;
    let memory = Arc::new(sealbase::store::MemoryStore::default());
    let shared = SharedStore(memory.clone());
    let first = server.client().with_session_store(shared.clone());
    first.sign_up(sign_up("ada", RememberMe::Session)).await.unwrap();
    assert!(memory.load(&server.app_id).unwrap().and_then(|s| s.session).is_some());
    // A client over the same session store (a reload of the tab) resumes.
    let reloaded = server.client().with_session_store(shared);
    assert_eq!(reloaded.init(Init::default()).await.unwrap().user.map(|u| u.username), Some("ada".into()));
}

#[tokio::test]
async fn resume_keeps_the_session_length_unless_told_otherwise() {
    let server = TestServer::start().await;
    server
        .client_with_store("d.json")
        .sign_up(SignUp { session_length: Some(48.0), ..sign_up("ada", RememberMe::Local) })
        .await
        .unwrap();
    let now_ms = || sealbase_server::clock::now_ms();
    let remaining = || async { server.count("SELECT expires_at FROM sessions").await - now_ms() };

    server.client_with_store("d.json").init(Init::default()).await.unwrap().user.unwrap();
    let left = remaining().await;
    assert!((47 * 3_600_000..=48 * 3_600_000 + 1000).contains(&left), "extended by its own 48 h, left {left} ms");
    assert_eq!(server.count("SELECT CAST(session_length_hours AS INTEGER) FROM sessions").await, 48);

    server.client_with_store("d.json").init(Init { session_length: Some(2.0) }).await.unwrap().user.unwrap();
    let left = remaining().await;
    assert!((3_600_000..=2 * 3_600_000 + 1000).contains(&left), "caller's new length 2 h, left {left} ms");
}

#[tokio::test]
async fn an_expired_session_resumes_to_the_last_used_username() {
    let server = TestServer::start().await;
    server
        .client_with_store("d.json")
        .sign_up(SignUp { session_length: Some(0.1), ..sign_up("ada", RememberMe::Local) })
        .await
        .unwrap();
    server.execute("UPDATE sessions SET expires_at = expires_at - 3600000").await;

    let client = server.client_with_store("d.json");
    let result = client.init(Init::default()).await.unwrap();
    assert_eq!(result, InitResult { user: None, last_used_username: Some("ada".into()) });
    assert_eq!(client.current_user(), None);
    let stored = FileStore::new(server.dir.path().join("d.json")).load(&server.app_id).unwrap().unwrap();
    assert_eq!(stored.session, None, "the dead session was cleared");
    assert_eq!(stored.last_used_username.as_deref(), Some("ada"));
}

#[tokio::test]
async fn sign_out_revokes_the_session_and_remembers_the_username() {
    let server = TestServer::start().await;
    let client = server.client_with_store("d.json");
    client.sign_up(sign_up("ada", RememberMe::Local)).await.unwrap();
    let secret = stored_secret(&server, "d.json");
    assert_eq!(raw::resume(&server, &secret).await.0, 200);

    client.sign_out().await.unwrap();
    let (status, body) = raw::resume(&server, &secret).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("SessionNotValid")), "revoked on the server");
    assert_eq!(client.current_user(), None);
    let restarted = server.client_with_store("d.json");
    assert_eq!(
        restarted.init(Init::default()).await.unwrap(),
        InitResult { user: None, last_used_username: Some("ada".into()) }
    );
}

#[tokio::test]
async fn signed_in_and_signed_out_guards() {
    let server = TestServer::start().await;
    let client = server.client();
    for error in [
        client.sign_out().await.unwrap_err(),
        client.update_user(UpdateUser { email: Some(None), ..Default::default() }).await.unwrap_err(),
        client.delete_user().await.unwrap_err(),
    ] {
        assert_error(&error, "UserNotSignedIn", 400, "Not signed in.");
    }
    client.sign_up(sign_up("ada", RememberMe::None)).await.unwrap();
    assert_error(
        &client.sign_up(sign_up("bob", RememberMe::None)).await.unwrap_err(),
        "UserAlreadySignedIn",
        400,
        "Already signed in.",
    );
    assert_error(
        &client.sign_in(sign_in("ada", PASSWORD)).await.unwrap_err(),
        "UserAlreadySignedIn",
        400,
        "Already signed in.",
    );
    assert_error(
        &client.update_user(UpdateUser::default()).await.unwrap_err(),
        "ParamsMissing",
        400,
        "Parameters expected are missing.",
    );
}

#[tokio::test]
async fn update_user_changes_fields_and_calls_the_handler() {
    let server = TestServer::start().await;
    server.client().sign_up(sign_up("taken", RememberMe::None)).await.unwrap();
    let client = server.client_with_store("d.json");
    client
        .sign_up(SignUp {
            email: Some("ada@example.com".into()),
            profile: Some(Profile::from([("plan".to_owned(), "pro".to_owned())])),
            ..sign_up("ada", RememberMe::Local)
        })
        .await
        .unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    client.set_update_user_handler(move |user| sink.lock().unwrap().push(user.clone()));

    let error =
        client.update_user(UpdateUser { username: Some("TAKEN".into()), ..Default::default() }).await.unwrap_err();
    assert_error(&error, "UsernameAlreadyExists", 409, "Username already exists.");
    assert_error(
        &client.update_user(UpdateUser { email: Some(Some("nope".into())), ..Default::default() }).await.unwrap_err(),
        "EmailNotValid",
        400,
        "Email not valid.",
    );
    assert!(seen.lock().unwrap().is_empty(), "failed updates do not fire the handler");

    client
        .update_user(UpdateUser {
            username: Some("Lovelace".into()),
            email: Some(None),
            profile: Some(None),
            ..Default::default()
        })
        .await
        .unwrap();
    let updated = client.current_user().unwrap();
    assert_eq!(
        (updated.username.as_str(), updated.email.as_deref(), updated.profile.as_ref()),
        ("lovelace", None, None)
    );
    assert_eq!(seen.lock().unwrap().as_slice(), std::slice::from_ref(&updated));
    let row = server.row(&format!("SELECT username, email, profile FROM users WHERE id = '{}'", updated.user_id)).await;
    assert_eq!((row.text("username"), row.opt_text("email"), row.opt_text("profile")), ("lovelace".into(), None, None));
    // The stored session follows the rename.
    let stored = FileStore::new(server.dir.path().join("d.json")).load(&server.app_id).unwrap().unwrap();
    assert_eq!(stored.last_used_username.as_deref(), Some("lovelace"));
}

#[tokio::test]
async fn a_password_change_keeps_the_seed_and_revokes_other_sessions() {
    let server = TestServer::start().await;
    let laptop = server.client_with_store("laptop.json");
    laptop.sign_up(sign_up("ada", RememberMe::Local)).await.unwrap();
    let fingerprint = laptop.key_fingerprint().unwrap();
    let phone = server.client_with_store("phone.json");
    phone.sign_in(SignIn { remember_me: RememberMe::Local, ..sign_in("ada", PASSWORD) }).await.unwrap();
    let phone_secret = stored_secret(&server, "phone.json");

    let missing = laptop
        .update_user(UpdateUser { new_password: Some("a new password".into()), ..Default::default() })
        .await
        .unwrap_err();
    assert_error(&missing, "CurrentPasswordMissing", 400, "Current password missing.");
    let wrong = laptop
        .update_user(UpdateUser {
            current_password: Some("not it at all".into()),
            new_password: Some("a new password".into()),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_error(&wrong, "CurrentPasswordIncorrect", 401, "Current password is incorrect.");

    laptop
        .update_user(UpdateUser {
            current_password: Some(PASSWORD.into()),
            new_password: Some("a new password".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(raw::resume(&server, &phone_secret).await.0, 401, "the other session is revoked");
    assert_eq!(
        server_client_init(&server, "phone.json").await,
        InitResult { user: None, last_used_username: Some("ada".into()) }
    );
    assert_eq!(raw::resume(&server, &stored_secret(&server, "laptop.json")).await.0, 200, "this session lives on");

    let old = server.client().sign_in(sign_in("ada", PASSWORD)).await.unwrap_err();
    assert_error(&old, "UsernameOrPasswordMismatch", 401, "Username or password mismatch.");
    let fresh = server.client_with_store("tablet.json");
    fresh.sign_in(sign_in("ada", "a new password")).await.unwrap();
    assert_eq!(fresh.key_fingerprint().unwrap(), fingerprint, "the same seed, re-wrapped");
}

async fn server_client_init(server: &TestServer, file: &str) -> InitResult {
    server.client_with_store(file).init(Init::default()).await.unwrap()
}

#[tokio::test]
async fn delete_user_frees_the_username_and_leaves_nothing_behind() {
    let server = TestServer::start().await;
    let client = server.client_with_store("d.json");
    let user = client.sign_up(sign_up("ada", RememberMe::Local)).await.unwrap();
    let secret = stored_secret(&server, "d.json");
    client.delete_user().await.unwrap();

    assert_eq!(client.current_user(), None);
    assert_eq!(FileStore::new(server.dir.path().join("d.json")).load(&server.app_id).unwrap(), None, "nothing stored");
    assert_eq!(server.count("SELECT COUNT(*) FROM users").await, 0);
    assert_eq!(server.count("SELECT COUNT(*) FROM sessions").await, 0);
    assert_eq!(server.count("SELECT user_count FROM apps").await, 0);
    assert_eq!(raw::resume(&server, &secret).await.0, 401);
    let error = server.client().sign_in(sign_in("ada", PASSWORD)).await.unwrap_err();
    assert_error(&error, "UsernameOrPasswordMismatch", 401, "Username or password mismatch.");
    let again = server.client().sign_up(sign_up("ada", RememberMe::None)).await.unwrap();
    assert_ne!(again.user_id, user.user_id);
}

#[tokio::test]
async fn a_corrupt_or_shared_store_file_is_reported_and_left_alone() {
    let server = TestServer::start().await;
    let path = server.dir.path().join("d.json");
    std::fs::write(&path, b"{ this is not ours").unwrap();
    let client = server.client_with_store("d.json");
    let error = client.init(Init::default()).await.unwrap_err();
    assert_eq!(error.name(), "SessionStoreNotValid");
    assert!(error.to_string().contains("d.json"), "{error}");
    assert_eq!(std::fs::read(&path).unwrap(), b"{ this is not ours", "not erased");

    // Two apps sharing one file keep each other's entries.
    std::fs::remove_file(&path).unwrap();
    let other_app = server.server.create_app(&Default::default()).await.unwrap();
    let other = sealbase::Client::new(&other_app.app_id, &server.url).unwrap().with_local_store(FileStore::new(&path));
    other.sign_up(sign_up("bob", RememberMe::Local)).await.unwrap();
    server.client_with_store("d.json").sign_up(sign_up("ada", RememberMe::Local)).await.unwrap();
    server.client_with_store("d.json").init(Init::default()).await.unwrap().user.unwrap();
    let store = FileStore::new(&path);
    assert_eq!(store.load(&other_app.app_id).unwrap().and_then(|s| s.last_used_username).as_deref(), Some("bob"));
    assert_eq!(store.load(&server.app_id).unwrap().and_then(|s| s.last_used_username).as_deref(), Some("ada"));
}

/// A session store shared between two clients, like a tab's sessionStorage across a reload.
#[derive(Debug, Clone)]
struct SharedStore(Arc<sealbase::store::MemoryStore>);

impl SessionStore for SharedStore {
    fn load(&self, app_id: &str) -> sealbase::Result<Option<sealbase::store::StoredState>> {
        self.0.load(app_id)
    }
    fn save(&self, app_id: &str, state: &sealbase::store::StoredState) -> sealbase::Result<()> {
        self.0.save(app_id, state)
    }
    fn remove(&self, app_id: &str) -> sealbase::Result<()> {
        self.0.remove(app_id)
    }
}

#[tokio::test]
async fn a_session_that_died_on_the_server_signs_the_client_out() {
    let server = TestServer::start().await;
    let client = server.client_with_store("d.json");
    client.sign_up(sign_up("ada", RememberMe::Local)).await.unwrap();
    server.execute("UPDATE sessions SET revoked_at = 1").await;

    let error = client.update_user(UpdateUser { email: Some(None), ..Default::default() }).await.unwrap_err();
    assert_error(&error, "SessionNotValid", 401, "Session not valid. Sign in again.");
    assert_eq!(client.current_user(), None, "signed out locally");
    assert_error(&client.delete_user().await.unwrap_err(), "UserNotSignedIn", 400, "Not signed in.");
    let stored = FileStore::new(server.dir.path().join("d.json")).load(&server.app_id).unwrap().unwrap();
    assert_eq!((stored.session, stored.last_used_username.as_deref()), (None, Some("ada")));
    assert_eq!(server.count("SELECT COUNT(*) FROM users").await, 1, "nothing was deleted");
}

#[tokio::test]
async fn a_write_whose_session_is_revoked_meanwhile_changes_nothing() {
    let server = Arc::new(TestServer::start().await);
    let user_url = format!("{}/v1/apps/{}/user", server.url, server.app_id);
    for (username, operation, method, body) in [
        ("ada", Operation::DeleteUser, reqwest::Method::DELETE, None),
        ("bob", Operation::UpdateUser, reqwest::Method::PATCH, Some(serde_json::json!({ "email": "bob@example.com" }))),
    ] {
        let (status, signed_up) = raw::post(&server.sign_up_url(), &common::valid_body(username)).await;
        assert_eq!(status, 201, "{signed_up}");
        let secret = signed_up["session"]["secret"].as_str().unwrap().to_owned();

        // The request authenticates, then is held just before its write; meanwhile the session is
        // signed out.
        let pause = server.store.pause_next(operation);
        let mut request = reqwest::Client::new().request(method.clone(), &user_url).bearer_auth(&secret);
        if let Some(body) = &body {
            request = request.json(body);
        }
        let write = tokio::spawn(async move {
            let response = request.send().await.unwrap();
            (response.status().as_u16(), response.json::<serde_json::Value>().await.unwrap_or_default())
        });
        let held = pause.reached().await;
        let revoked = server
            .execute(&format!(
                "UPDATE sessions SET revoked_at = 1 WHERE user_id = (SELECT id FROM users WHERE username = '{username}')"
            ))
            .await;
        assert_eq!(revoked, 1);
        held.release();

        let (status, answer) = write.await.unwrap();
        assert_eq!((status, answer["error"].as_str()), (401, Some("SessionNotValid")), "{method}: {answer}");
        let account = server
            .row(&format!("SELECT COUNT(*) AS users, COUNT(email) AS emails FROM users WHERE username = '{username}'"))
            .await;
        assert_eq!((account.int("users"), account.int("emails")), (1, 0), "{method}: the account is untouched");
    }
}

/// A store that holds nothing and cannot keep anything, like Web Storage the browser withholds.
#[derive(Debug)]
struct BrokenStore;

impl SessionStore for BrokenStore {
    fn load(&self, _app_id: &str) -> sealbase::Result<Option<sealbase::store::StoredState>> {
        Ok(None)
    }
    fn save(&self, _app_id: &str, _state: &sealbase::store::StoredState) -> sealbase::Result<()> {
        Err(sealbase::Error::SessionStoreNotWritable { path: "broken".into() })
    }
    fn remove(&self, _app_id: &str) -> sealbase::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn a_session_no_store_can_keep_is_not_left_open_and_other_modes_still_work() {
    let server = TestServer::start().await;
    let live_sessions = |username: &'static str| {
        let server = &server;
        async move {
            server
                .count(&format!(
                    "SELECT COUNT(*) FROM sessions s JOIN users u ON u.id = s.user_id
                     WHERE u.username = '{username}' AND s.revoked_at IS NULL"
                ))
                .await
        }
    };
    let client = || sealbase::Client::new(&server.app_id, &server.url).unwrap().with_local_store(BrokenStore);

    // Sign-up asking for `local`: the account exists, the session is refused and ended on the server.
    let signing_up = client();
    let error = signing_up.sign_up(sign_up("ada", RememberMe::Local)).await.unwrap_err();
    assert_error(&error, "SessionStoreNotWritable", 500, "Session store not writable: 'broken'.");
    assert!(signing_up.current_user().is_none());
    assert_eq!(server.count("SELECT COUNT(*) FROM users WHERE username = 'ada'").await, 1);
    assert_eq!(live_sessions("ada").await, 0, "the refused session was ended");

    // Sign-in likewise: an error, no session on either side.
    let signing_in = client();
    let error =
        signing_in.sign_in(SignIn { remember_me: RememberMe::Local, ..sign_in("ada", PASSWORD) }).await.unwrap_err();
    assert_error(&error, "SessionStoreNotWritable", 500, "Session store not writable: 'broken'.");
    assert!(signing_in.current_user().is_none());
    assert_eq!(live_sessions("ada").await, 0);

    // `session` and `none` do not need that store, and `init` finds nothing in it.
    for remember_me in [RememberMe::Session, RememberMe::None] {
        let signed_in = client();
        let user = signed_in.sign_in(SignIn { remember_me, ..sign_in("ada", PASSWORD) }).await.unwrap();
        assert_eq!(signed_in.current_user().map(|u| u.user_id), Some(user.user_id));
        signed_in.sign_out().await.unwrap();
    }
    assert_eq!(client().init(Init::default()).await.unwrap(), InitResult::default());

    // A local file that is not ours cannot be cleared (it is never overwritten); a `session` sign-in
    // still goes through, since that file holds no session of this app.
    std::fs::write(server.dir.path().join("not-ours.json"), b"{ not ours").unwrap();
    let beside_a_foreign_file = server.client_with_store("not-ours.json");
    beside_a_foreign_file
        .sign_in(SignIn { remember_me: RememberMe::Session, ..sign_in("ada", PASSWORD) })
        .await
        .unwrap();
    assert!(beside_a_foreign_file.current_user().is_some());
    assert_eq!(std::fs::read(server.dir.path().join("not-ours.json")).unwrap(), b"{ not ours");
}

/// A file store that can be read but not changed (a read-only data directory, a full disk).
#[derive(Debug)]
struct ReadOnly(FileStore);

impl SessionStore for ReadOnly {
    fn load(&self, app_id: &str) -> sealbase::Result<Option<sealbase::store::StoredState>> {
        self.0.load(app_id)
    }
    fn save(&self, _app_id: &str, _state: &sealbase::store::StoredState) -> sealbase::Result<()> {
        Err(sealbase::Error::SessionStoreNotWritable { path: "read-only".into() })
    }
    fn remove(&self, _app_id: &str) -> sealbase::Result<()> {
        Err(sealbase::Error::SessionStoreNotWritable { path: "read-only".into() })
    }
}

#[tokio::test]
async fn a_session_left_in_a_store_that_cannot_be_cleared_blocks_another_sign_in() {
    let server = TestServer::start().await;
    // ada stays signed in `local` on this device (the file keeps her session).
    server.client_with_store("shared.json").sign_up(sign_up("ada", RememberMe::Local)).await.unwrap();
    server.client().sign_up(sign_up("bob", RememberMe::None)).await.unwrap();

    // On a client whose local file has become read-only, bob signs in for this tab only. Clearing
    // ada's session from the file fails, and it would be resumed in place of bob's at the next start:
    // refused, and bob's new session ended on the server.
    let client = sealbase::Client::new(&server.app_id, &server.url)
        .unwrap()
        .with_local_store(ReadOnly(FileStore::new(server.dir.path().join("shared.json"))));
    let error =
        client.sign_in(SignIn { remember_me: RememberMe::Session, ..sign_in("bob", PASSWORD) }).await.unwrap_err();
    assert_error(&error, "SessionStoreNotWritable", 500, "Session store not writable: 'read-only'.");
    assert!(client.current_user().is_none());
    let bobs_live_sessions = server
        .count(
            "SELECT COUNT(*) FROM sessions s JOIN users u ON u.id = s.user_id
             WHERE u.username = 'bob' AND s.revoked_at IS NULL",
        )
        .await;
    assert_eq!(bobs_live_sessions, 1, "only the sign-up's session (signed in on the other client)");
    assert_eq!(stored_secret(&server, "shared.json").len(), 43, "ada's session is still in the file");
}
