//! The users API of an app's backend (docs/protocol.md §3.15) and seed 001's `blocked` and
//! `login_attempts` made live, on the backend this run selects: blocking shuts every door at once and
//! unblocking opens them to the same seed; failed sign-ins are counted on the user; users are found,
//! changed, listed page by page and deleted, and a refused change writes nothing.

mod common;

use std::collections::{BTreeSet, HashMap};

use common::{assert_error, raw, valid_body, TestServer};
use sealbase::admin::client::AdminClient;
use sealbase::admin::{AdminError, AdminUser, ListUsers, UserChange, UserLookup};
use sealbase::{Init, SignIn, SignUp};
use serde_json::{json, Value};

const PASSWORD: &str = "correct horse battery staple";

async fn admin(server: &TestServer) -> AdminClient {
    let name = format!("backend-{}", rand::random::<u32>());
    let secret = server.server.create_app_secret(&server.app_id, &name).await.expect("secret").app_secret;
    AdminClient::new(&server.app_id, &server.url, secret).expect("admin client")
}

fn sign_up(username: &str) -> SignUp {
    SignUp { username: username.into(), password: PASSWORD.into(), ..Default::default() }
}

fn sign_in(username: &str, password: &str) -> SignIn {
    SignIn { username: username.into(), password: password.into(), ..Default::default() }
}

/// The online check of an authToken: (status, body).
async fn online_check(server: &TestServer, auth_token: &str) -> (u16, Value) {
    let response = reqwest::Client::new()
        .get(format!("{}/v1/admin/auth-tokens/{auth_token}", server.url))
        .bearer_auth(&server.admin_access_token)
        .send()
        .await
        .expect("request");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn live_sessions(server: &TestServer, user_id: &str) -> i64 {
    server.count(&format!("SELECT COUNT(*) FROM sessions WHERE user_id = '{user_id}' AND revoked_at IS NULL")).await
}

async fn login_attempts(server: &TestServer, user_id: &str) -> i64 {
    server.count(&format!("SELECT login_attempts FROM users WHERE id = '{user_id}'")).await
}

#[tokio::test]
async fn a_blocked_user_is_shut_out_everywhere_at_once_and_unblocked_signs_in_to_the_same_seed() {
    // authTokens shorter-lived than the client's refresh margin: every auth_token() asks the server.
    let server = TestServer::with_app(sealbase_server::NewApp { token_lifetime_secs: 120, ..Default::default() }).await;
    let admin = admin(&server).await;
    let laptop = server.client_with_store("laptop.json");
    let user =
        laptop.sign_up(SignUp { remember_me: sealbase::RememberMe::Local, ..sign_up("ada") }).await.expect("signed up");
    let seed = laptop.key_fingerprint().expect("a seed");
    let phone = server.client_with_store("phone.json");
    phone.sign_in(sign_in("ada", PASSWORD)).await.expect("signed in on a second device");
    assert_eq!(live_sessions(&server, &user.user_id).await, 2);
    assert_eq!(online_check(&server, &user.auth_token).await.0, 200);

    let blocked = admin.block(&user.user_id).await.expect("blocked");
    assert!(blocked.details.blocked);
    assert_eq!(live_sessions(&server, &user.user_id).await, 0, "blocking revokes every live session");

    // The online check, a fresh authToken, a resume (init) and a sign-in: each says why.
    assert_eq!(
        online_check(&server, &user.auth_token).await,
        (403, json!({ "error": "UserBlocked", "message": "User is blocked." }))
    );
    let refused = phone.auth_token().await.unwrap_err();
    assert_error(&refused, "UserBlocked", 403, "User is blocked.");
    assert!(phone.current_user().is_none(), "the client dropped the dead session");
    let restarted = server.client_with_store("laptop.json");
    assert_error(&restarted.init(Init::default()).await.unwrap_err(), "UserBlocked", 403, "User is blocked.");
    let after = server.client_with_store("laptop.json").init(Init::default()).await.expect("init");
    assert_eq!((after.user, after.last_used_username.as_deref()), (None, Some("ada")));
    let sessions_before = server.count("SELECT COUNT(*) FROM sessions").await;
    let desk = server.client_with_store("desk.json");
    assert_error(&desk.sign_in(sign_in("ada", PASSWORD)).await.unwrap_err(), "UserBlocked", 403, "User is blocked.");
    // Without the password, a blocked user looks like any other: no enumeration of who is blocked.
    assert_error(
        &desk.sign_in(sign_in("ada", "not the password")).await.unwrap_err(),
        "UsernameOrPasswordMismatch",
        401,
        "Username or password mismatch.",
    );
    assert_eq!(server.count("SELECT COUNT(*) FROM sessions").await, sessions_before, "no session opened");
    let (status, body) = raw::resume(&server, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA").await;
    assert_eq!((status, body["error"].as_str()), (401, Some("SessionNotValid")), "an unknown secret stays unknown");

    let unblocked = admin.unblock(&user.user_id).await.expect("unblocked");
    assert!(!unblocked.details.blocked);
    let back = server.client_with_store("desk.json");
    back.sign_in(sign_in("ada", PASSWORD)).await.expect("signs in again");
    assert_eq!(back.key_fingerprint().expect("a seed"), seed, "the same seed: nothing was lost");
    assert_eq!(online_check(&server, &back.current_user().expect("user").auth_token).await.0, 200);
    // The sessions the block revoked stay dead.
    assert_eq!(online_check(&server, &user.auth_token).await.0, 401);
}

#[tokio::test]
async fn login_attempts_count_failed_sign_ins_reset_on_success_and_never_lock_out_for_good() {
    let server = TestServer::start().await;
    let admin = admin(&server).await;
    let client = server.client();
    let user = client.sign_up(sign_up("grace")).await.expect("signed up");
    client.sign_out().await.expect("signed out");
    assert_eq!(login_attempts(&server, &user.user_id).await, 0);

    for expected in 1..=2 {
        client.sign_in(sign_in("grace", "wrong password")).await.unwrap_err();
        assert_eq!(login_attempts(&server, &user.user_id).await, expected);
    }
    assert_eq!(admin.user(&user.user_id).await.expect("user").details.login_attempts, 2, "visible to the backend");
    client.sign_in(sign_in("grace", PASSWORD)).await.expect("signed in");
    assert_eq!(login_attempts(&server, &user.user_id).await, 0, "a success resets the count");
    client.sign_out().await.expect("signed out");

    // An imported count at the seed's maximum stays there on failure, and locks no one out.
    let change = UserChange { login_attempts: Some(20_000), ..UserChange::default() };
    assert_eq!(admin.update_user(&user.user_id, &change).await.expect("changed").details.login_attempts, 20_000);
    client.sign_in(sign_in("grace", "wrong password")).await.unwrap_err();
    assert_eq!(login_attempts(&server, &user.user_id).await, 20_000);
    client.sign_in(sign_in("grace", PASSWORD)).await.expect("the throttle's policy decides, not the count");
    assert_eq!(login_attempts(&server, &user.user_id).await, 0);
}

/// Every user, record, identity and session, to compare before and after a refused change.
async fn snapshot(server: &TestServer) -> String {
    let mut tables = String::new();
    for sql in [
        "SELECT * FROM users ORDER BY id",
        "SELECT * FROM identities ORDER BY user_id, position",
        "SELECT * FROM sessions ORDER BY id",
        "SELECT id, user_count FROM apps ORDER BY id",
    ] {
        tables.push_str(&format!("{:?}\n", server.db.rows(sql).await));
    }
    tables
}

#[tokio::test]
async fn the_users_api_finds_changes_and_deletes_users_and_a_refused_change_writes_nothing() {
    let server = TestServer::start().await;
    let admin = admin(&server).await;
    let secret = server.server.create_app_secret(&server.app_id, "raw").await.expect("secret").app_secret;
    let import = |body: Value| {
        let (url, secret) = (format!("{}/v1/admin/apps/{}/users", server.url, server.app_id), secret.clone());
        async move {
            let response = reqwest::Client::new().post(url).bearer_auth(secret).json(&body).send().await.unwrap();
            assert_eq!(response.status().as_u16(), 201);
            response.json::<AdminUser>().await.unwrap()
        }
    };
    let identity =
        |id: &str| json!({"connection": "github", "provider": "github", "type": "social", "id": id, "details": {}});
    let ada = import(json!({
        "email": "ada@example.com", "email_verified": true, "password": PASSWORD,
        "identities": [identity("42")], "metadata": {"plan": "pro"}
    }))
    .await;
    let bob = import(json!({"email": "bob@example.com", "password": PASSWORD, "identities": [identity("7")]})).await;

    // Found by id, username, email in any case, and identity; an unknown one is USER_NOT_FOUND.
    assert_eq!(admin.user(&ada.id).await.expect("by id"), ada);
    for lookup in [
        UserLookup::Username("ADA@example.com".into()),
        UserLookup::Email("Ada@Example.COM".into()),
        UserLookup::Identity { provider: "github".into(), id: "42".into() },
    ] {
        let lookup = UserLookup::from_json(&lookup.to_json()).expect("checked as the server checks it");
        assert_eq!(admin.find_user(&lookup).await.expect("found").id, ada.id, "{lookup:?}");
    }
    let missing = UserLookup::Identity { provider: "github".into(), id: "43".into() };
    assert_eq!(admin.find_user(&missing).await.unwrap_err(), AdminError::UserNotFound);
    assert_eq!(admin.user("no-such-user").await.unwrap_err(), AdminError::UserNotFound);

    // Refusals: each names its field, and nothing is written.
    let before = snapshot(&server).await;
    let patch = |user_id: &str, body: Value| {
        let url = format!("{}/v1/admin/apps/{}/users/{user_id}", server.url, server.app_id);
        let secret = secret.clone();
        async move {
            let response = reqwest::Client::new().patch(url).bearer_auth(secret).json(&body).send().await.unwrap();
            (response.status().as_u16(), response.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let refusals = [
        (json!({"email": "BOB@example.com"}), 400, json!({"error": "USER_ALREADY_EXISTS", "field": "email"})),
        (json!({"username": "bob@example.com"}), 400, json!({"error": "USER_ALREADY_EXISTS", "field": "username"})),
        (
            json!({"identities": [identity("1"), identity("7")]}),
            400,
            json!({"error": "IDENTITY_ALREADY_LINKED", "field": "identities[1]"}),
        ),
        (
            json!({"email": null, "email_verified": true}),
            400,
            json!({"error": "FIELD_NOT_VALID", "field": "email_verified"}),
        ),
        (json!({"blocked": "yes"}), 400, json!({"error": "FIELD_NOT_VALID", "field": "blocked"})),
        (json!({"login_attempts": -1}), 400, json!({"error": "FIELD_NOT_VALID", "field": "login_attempts"})),
        (json!({"picture": "javascript:alert(1)"}), 400, json!({"error": "FIELD_NOT_VALID", "field": "picture"})),
        (json!({"verify_email": true}), 400, json!({"error": "FIELD_NOT_VALID", "field": "verify_email"})),
        (json!({"metadata": {"a": [1]}}), 400, json!({"error": "FIELD_NOT_VALID", "field": "metadata.a"})),
    ];
    for (body, status, expected) in refusals {
        let (got_status, got) = patch(&ada.id, body.clone()).await;
        assert_eq!(got_status, status, "{body}: {got}");
        assert_eq!((&got["error"], &got["field"]), (&expected["error"], &expected["field"]), "{body}: {got}");
        assert!(got["message"].is_string());
    }
    assert_eq!(patch("no-such-user", json!({"name": "x"})).await.1["error"], "USER_NOT_FOUND");
    assert!(snapshot(&server).await == before, "no refusal wrote anything");

    // Changes: fields left out stay, null removes, a new email is unverified, identities are replaced.
    let change = UserChange::from_json(&json!({
        "email": "Ada.Lovelace@Example.com", "name": "Ada Lovelace", "metadata": null,
        "identities": [identity("42"), identity("43")], "profile": {"given_name": "Ada", "locale": "en-GB"}
    }))
    .expect("a valid change");
    let changed = admin.update_user(&ada.id, &change).await.expect("changed");
    assert_eq!(changed.email.as_deref(), Some("ada.lovelace@example.com"));
    assert!(!changed.details.email_verified, "a changed email is not verified");
    assert_eq!(changed.details.name.as_deref(), Some("Ada Lovelace"));
    assert_eq!(changed.details.metadata, None);
    assert_eq!(changed.details.identities.len(), 2);
    assert_eq!(changed.details.profile.as_ref().and_then(|p| p.locale.as_deref()), Some("en-GB"));
    assert_eq!(changed.username, ada.username, "the username was left out");
    assert_eq!(admin.user(&ada.id).await.expect("read back"), changed);
    let by_new_identity = UserLookup::Identity { provider: "github".into(), id: "43".into() };
    assert_eq!(admin.find_user(&by_new_identity).await.expect("found").id, ada.id);
    // The old email is free again, for bob.
    let bob_change = UserChange { email: Some(Some("ada@example.com".into())), ..UserChange::default() };
    assert_eq!(admin.update_user(&bob.id, &bob_change).await.expect("free").email.as_deref(), Some("ada@example.com"));

    // Deletion: 204, then gone; the count of users follows.
    let users_before = server.count("SELECT SUM(user_count) FROM apps").await;
    admin.delete_user(&bob.id).await.expect("deleted");
    assert_eq!(admin.user(&bob.id).await.unwrap_err(), AdminError::UserNotFound);
    assert_eq!(admin.delete_user(&bob.id).await.unwrap_err(), AdminError::UserNotFound);
    assert_eq!(server.count("SELECT SUM(user_count) FROM apps").await, users_before - 1);
    assert_eq!(server.count(&format!("SELECT COUNT(*) FROM identities WHERE user_id = '{}'", bob.id)).await, 0);

    // Another app's secret reaches none of this app's users; a wrong secret nothing at all.
    let other = server.server.create_app(&sealbase_server::NewApp::default()).await.expect("other app");
    let other_secret = server.server.create_app_secret(&other.app_id, "b").await.expect("secret").app_secret;
    let other_admin = AdminClient::new(&other.app_id, &server.url, other_secret).expect("client");
    assert_eq!(other_admin.user(&ada.id).await.unwrap_err(), AdminError::UserNotFound);
    let wrong = AdminClient::new(&server.app_id, &server.url, "sbs.wrong").expect("client");
    assert_eq!(wrong.user(&ada.id).await.unwrap_err(), AdminError::Unauthorized);
    assert_eq!(wrong.list_users(&ListUsers::default()).await.unwrap_err(), AdminError::Unauthorized);
}

/// Signs up `count` users by raw requests (no scrypt), `width` at a time; their ids.
async fn sign_up_many(server: &TestServer, prefix: &str, count: usize, width: usize) -> Vec<String> {
    let mut ids = Vec::with_capacity(count);
    let http = reqwest::Client::new();
    for chunk in (0..count).collect::<Vec<_>>().chunks(width) {
        let requests = chunk.iter().map(|n| {
            let request = http.post(server.sign_up_url()).json(&valid_body(&format!("{prefix}{n}")));
            async move { request.send().await.expect("request").json::<Value>().await.expect("json") }
        });
        for answer in futures::future::join_all(requests).await {
            ids.push(answer["user"]["userId"].as_str().unwrap_or_else(|| panic!("signed up: {answer}")).to_owned());
        }
    }
    ids
}

#[tokio::test]
async fn listing_a_thousand_users_page_by_page_returns_each_once_while_others_come_and_go() {
    let server = TestServer::with_address_budget(1_000_000).await;
    let admin = admin(&server).await;
    let stable: BTreeSet<String> = sign_up_many(&server, "stable", 1000, 16).await.into_iter().collect();
    let doomed = sign_up_many(&server, "doomed", 100, 16).await;

    // Meanwhile: users created and deleted (bounded: 100 each), until the walk is done.
    let (done, mut stop) = tokio::sync::oneshot::channel::<()>();
    let churn = {
        let (url, app_id, admin) = (server.url.clone(), server.app_id.clone(), self::admin(&server).await);
        tokio::spawn(async move {
            let churn_server = (url, app_id);
            let http = reqwest::Client::new();
            let mut n = 0;
            for id in doomed {
                if stop.try_recv().is_ok() {
                    break;
                }
                admin.delete_user(&id).await.expect("deleted");
                let url = format!("{}/v1/apps/{}/users", churn_server.0, churn_server.1);
                let answer = http.post(url).json(&valid_body(&format!("newcomer{n}"))).send().await.expect("sign-up");
                assert!(answer.status().is_success());
                n += 1;
            }
            n
        })
    };
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut query = ListUsers { limit: 37, ..ListUsers::default() };
    let mut pages = 0;
    loop {
        let page = admin.list_users(&query).await.expect("a page");
        pages += 1;
        assert!(page.users.len() <= 37);
        let ids: Vec<&String> = page.users.iter().map(|user| &user.id).collect();
        assert!(ids.windows(2).all(|pair| pair[0] < pair[1]), "in id order");
        for user in &page.users {
            *seen.entry(user.id.clone()).or_default() += 1;
        }
        match page.next_cursor {
            Some(cursor) => query.cursor = Some(cursor),
            None => break,
        }
        assert!(pages < 100, "the walk ends");
    }
    let _ = done.send(());
    let churned = churn.await.expect("churn task");
    assert!(churned > 0, "users came and went during the walk");
    for id in &stable {
        assert_eq!(seen.get(id), Some(&1), "user {id} listed exactly once");
    }
    assert!(seen.values().all(|&times| times == 1), "no user listed twice");

    // Filters, on the same pages.
    let blocked: BTreeSet<String> = stable.iter().take(3).cloned().collect();
    for id in &blocked {
        admin.block(id).await.expect("blocked");
    }
    let verified: Vec<&String> = stable.iter().skip(10).take(2).collect();
    for (n, id) in verified.iter().enumerate() {
        let change = UserChange {
            email: Some(Some(format!("verified{n}@example.com"))),
            email_verified: Some(true),
            ..UserChange::default()
        };
        admin.update_user(id, &change).await.expect("verified");
    }
    let only_blocked = admin.list_users(&ListUsers { blocked: Some(true), ..ListUsers::default() }).await.unwrap();
    assert_eq!(only_blocked.users.iter().map(|u| u.id.clone()).collect::<BTreeSet<_>>(), blocked);
    assert_eq!(only_blocked.next_cursor, None);
    let only_verified =
        admin.list_users(&ListUsers { email_verified: Some(true), ..ListUsers::default() }).await.unwrap();
    assert_eq!(only_verified.users.iter().map(|u| &u.id).collect::<Vec<_>>(), verified);
    let unblocked_verified = ListUsers { blocked: Some(false), email_verified: Some(true), ..ListUsers::default() };
    assert_eq!(admin.list_users(&unblocked_verified).await.unwrap().users.len(), 2);

    // A bad query is refused by name.
    let response = reqwest::Client::new()
        .get(format!("{}/v1/admin/apps/{}/users?limit=0", server.url, server.app_id))
        .bearer_auth(server.server.create_app_secret(&server.app_id, "raw").await.unwrap().app_secret)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!((body["error"].as_str(), body["field"].as_str()), (Some("FIELD_NOT_VALID"), Some("limit")));
}

#[tokio::test]
async fn a_block_that_lands_while_a_sign_in_is_checked_wins_and_a_blocked_pending_account_makes_no_keys() {
    let server = std::sync::Arc::new(TestServer::start().await);
    let admin = admin(&server).await;
    let user = server.client().sign_up(sign_up("ada")).await.expect("signed up");
    let (_, pre_login) = raw::pre_login(&server, "ada").await;
    let signature = raw::sign(&server, "ada", PASSWORD, &pre_login);

    // The sign-in has checked its signature and is held before the store spends it; the block commits.
    let pause = server.store.pause_next(sealbase_server::store::testing::Operation::SpendProof);
    let racing = tokio::spawn({
        let server = server.clone();
        async move { raw::sign_in(&server, "ada", &pre_login["challenge"], &signature).await }
    });
    let held = pause.reached().await;
    admin.block(&user.user_id).await.expect("blocked");
    held.release();
    let (status, body) = racing.await.unwrap();
    assert_eq!((status, body["error"].as_str()), (403, Some("UserBlocked")), "{body}");
    assert_eq!(live_sessions(&server, &user.user_id).await, 0, "no session outlives the block");

    // A pending account imported blocked: its first sign-in, with the right password, makes nothing.
    let imported = admin
        .import_user(
            sealbase::admin::NewUserRequest::from_json(&json!({
                "email": "grace@example.com", "password": PASSWORD, "blocked": true
            }))
            .expect("body"),
        )
        .await
        .expect("imported");
    assert!(imported.pending_keys && imported.details.blocked);
    let client = server.client_with_store("grace.json");
    let refused = client.sign_in(sign_in("grace@example.com", PASSWORD)).await.unwrap_err();
    assert_error(&refused, "UserBlocked", 403, "User is blocked.");
    assert_eq!(server.count("SELECT COUNT(*) FROM pending_logins").await, 1, "the verifier stays");
    assert!(admin.user(&imported.id).await.expect("user").pending_keys, "no keys were stored");
    admin.unblock(&imported.id).await.expect("unblocked");
    client.sign_in(sign_in("grace@example.com", PASSWORD)).await.expect("first sign-in once unblocked");
    assert!(!admin.user(&imported.id).await.expect("user").pending_keys);
}

fn token_claims(token: &str) -> Value {
    use base64::Engine;
    let payload = token.split('.').nth(1).expect("a JWT");
    serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

async fn userinfo(server: &TestServer, token: &str, post: bool) -> (u16, Option<String>, Value) {
    let url = format!("{}/v1/apps/{}/userinfo", server.url, server.app_id);
    let http = reqwest::Client::new();
    let request = if post { http.post(url) } else { http.get(url) };
    let response = request.bearer_auth(token).send().await.expect("request");
    let status = response.status().as_u16();
    let challenge = response.headers().get("www-authenticate").map(|v| v.to_str().unwrap().to_owned());
    (status, challenge, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn tokens_carry_the_email_and_its_verification_and_userinfo_answers_openid_connect_claims() {
    let server = TestServer::with_app(sealbase_server::NewApp { token_lifetime_secs: 120, ..Default::default() }).await;
    let admin = admin(&server).await;
    let imported = admin
        .import_user(
            sealbase::admin::NewUserRequest::from_json(&json!({
                "username": "ada", "email": "Ada@Example.com", "email_verified": true, "password": PASSWORD,
                "name": "Ada Lovelace", "picture": "https://example.com/ada.png",
                "profile": {"given_name": "Ada", "family_name": "Lovelace", "zoneinfo": "Europe/London",
                            "addresses": [{"city": "London", "country": "GB"}]}
            }))
            .expect("body"),
        )
        .await
        .expect("imported");
    let client = server.client();
    let user = client.sign_in(sign_in("ada", PASSWORD)).await.expect("first sign-in");
    assert!(user.email_verified, "the user object says so too");
    let claims = token_claims(&user.auth_token);
    assert_eq!((&claims["email"], &claims["email_verified"]), (&json!("ada@example.com"), &json!(true)));

    let expected = json!({
        "sub": imported.id, "preferred_username": "ada", "name": "Ada Lovelace", "given_name": "Ada",
        "family_name": "Lovelace", "picture": "https://example.com/ada.png", "email": "ada@example.com",
        "email_verified": true, "zoneinfo": "Europe/London",
        "address": {"formatted": "London\nGB", "locality": "London", "country": "GB"}
    });
    for post in [false, true] {
        assert_eq!(userinfo(&server, &user.auth_token, post).await, (200, None, expected.clone()));
    }

    // The backend unverifies the email: the next authToken says so.
    let change = UserChange { email_verified: Some(false), ..UserChange::default() };
    admin.update_user(&imported.id, &change).await.expect("changed");
    let refreshed = client.auth_token().await.expect("a fresh token");
    assert_eq!(token_claims(&refreshed)["email_verified"], json!(false));

    // Refusals in RFC 6750's style.
    let (status, challenge, body) = userinfo(&server, "not.a.token", false).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("invalid_token")));
    assert!(challenge.expect("a challenge").starts_with("Bearer error=\"invalid_token\""));
    client.sign_out().await.expect("signed out");
    assert_eq!(userinfo(&server, &refreshed, false).await.2["error"], "invalid_token", "the session ended");

    // A user without an email gets neither claim.
    let other = server.client_with_store("other.json").sign_up(sign_up("grace")).await.expect("signed up");
    let claims = token_claims(&other.auth_token);
    assert!(claims.get("email").is_none() && claims.get("email_verified").is_none(), "{claims}");
    let (status, _, info) = userinfo(&server, &other.auth_token, false).await;
    assert_eq!((status, info), (200, json!({"sub": other.user_id, "preferred_username": "grace"})));
}

#[tokio::test]
async fn users_set_their_claims_and_metadata_by_the_admin_apis_rules_and_every_user_object_carries_them() {
    use sealbase::protocol::UserClaims;
    use sealbase::UpdateUser;
    let server = TestServer::start().await;
    let admin = admin(&server).await;
    let client = server.client();
    let claims: UserClaims = serde_json::from_value(json!({
        "name": "Ada Lovelace", "given_name": "Ada", "phone_number": "+44 20 7946 0958", "locale": "en-GB",
        "addresses": [{"city": "London", "is_primary": true}]
    }))
    .unwrap();
    let metadata = serde_json::Map::from_iter([("plan".to_owned(), json!("pro")), ("seats".to_owned(), json!(3))]);

    // Refused before anything is written, each naming the claim and the rule.
    let refusals = [
        (json!({"website": "ftp://example.com"}), "ClaimsNotValid", "website"),
        (json!({"zoneinfo": "Mars/Olympus"}), "ClaimsNotValid", "zoneinfo"),
        (json!({"birthdate": "2001-02-29"}), "ClaimsNotValid", "birthdate"),
        (
            json!({"addresses": [{"is_primary": true}, {"is_primary": true}]}),
            "ClaimsNotValid",
            "addresses[1].is_primary",
        ),
        (json!({"email_verified": true}), "ClaimsNotValid", "email_verified"),
        (json!({"nickname": "x".repeat(301)}), "ClaimsNotValid", "nickname"),
    ];
    for (bad, name, key) in refusals {
        // Raw, as a JS app may send anything; then typed through the Rust SDK where the type allows.
        let mut body = valid_body("raw");
        body["claims"] = bad.clone();
        let (status, answer) = raw::post(&server.sign_up_url(), &body).await;
        assert_eq!((status, answer["error"].as_str(), answer["key"].as_str()), (400, Some(name), Some(key)), "{bad}");
        if bad.get("email_verified").is_some() {
            continue; // read-only: not a field of UserClaims
        }
        let typed: UserClaims = serde_json::from_value(bad.clone()).expect("a UserClaims");
        let refused = client.sign_up(SignUp { claims: Some(typed), ..sign_up("ada") }).await.expect_err("refused");
        assert_eq!((refused.name(), refused.status()), (name, 400), "{refused}");
        assert_eq!(refused.to_body()["key"], json!(key), "{refused}");
    }
    let too_much = serde_json::Map::from_iter((0..11).map(|n| (format!("k{n}"), json!(n))));
    let refused = client.sign_up(SignUp { metadata: Some(too_much), ..sign_up("ada") }).await.unwrap_err();
    assert_error(&refused, "MetadataNotValid", 400, "Metadata not valid: 'metadata' must have at most 10 fields.");
    assert_eq!(server.count("SELECT COUNT(*) FROM users").await, 0, "nothing written");

    let user = client
        .sign_up(SignUp { claims: Some(claims.clone()), metadata: Some(metadata.clone()), ..sign_up("ada") })
        .await
        .expect("signed up");
    let stored = UserClaims { phone_number: Some("+442079460958".into()), ..claims.clone() };
    assert_eq!((user.claims.as_ref(), user.metadata.as_ref()), (Some(&stored), Some(&metadata)));
    // The same record the app's backend reads and sets.
    let record = admin.user(&user.user_id).await.expect("user");
    assert_eq!(record.details.name.as_deref(), Some("Ada Lovelace"));
    assert_eq!(record.details.profile.as_ref().and_then(|p| p.given_name.as_deref()), Some("Ada"));
    let verified = UserChange { phone_number_verified: Some(true), ..UserChange::default() };
    admin.update_user(&user.user_id, &verified).await.expect("verified");

    // A fresh session sees it; updates replace claims and metadata, and a new phone number is unverified.
    let other = server.client_with_store("other.json");
    let signed_in = other.sign_in(sign_in("ada", PASSWORD)).await.expect("signed in");
    assert!(signed_in.phone_number_verified);
    assert_eq!(signed_in.claims.as_ref(), Some(&stored));
    let new_claims = UserClaims { phone_number: Some("+14155550100".into()), ..stored.clone() };
    other
        .update_user(UpdateUser {
            claims: Some(Some(new_claims.clone())),
            metadata: Some(None),
            ..UpdateUser::default()
        })
        .await
        .expect("updated");
    let now = other.current_user().expect("user");
    assert_eq!(
        (now.claims.as_ref(), now.metadata.as_ref(), now.phone_number_verified),
        (Some(&new_claims), None, false)
    );
    let refused = other
        .update_user(UpdateUser {
            claims: Some(Some(UserClaims { locale: Some("not a tag!".into()), ..UserClaims::default() })),
            ..UpdateUser::default()
        })
        .await
        .unwrap_err();
    assert_eq!((refused.name(), refused.to_body()["key"].clone()), ("ClaimsNotValid", json!("locale")));
    assert_eq!(admin.user(&user.user_id).await.unwrap().details.profile.unwrap().locale.as_deref(), Some("en-GB"));
    other.update_user(UpdateUser { claims: Some(None), ..UpdateUser::default() }).await.expect("removed");
    assert_eq!(other.current_user().expect("user").claims, None);
    assert_eq!(server.count("SELECT COUNT(claims) + COUNT(name) + COUNT(phone_number) FROM users").await, 0);
}
