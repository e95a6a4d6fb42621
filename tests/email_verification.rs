//! Email verification by mail (docs/protocol.md §3.16) on the backend this run selects: mails with a
//! single-use, expiring link and code, through a real SMTP server (`cargo xtask test` starts one:
//! `SEALBASE_TEST_SMTP_URL` and its Maildir `SEALBASE_TEST_MAILDIR`) or into an outbox directory; an app
//! that requires a verified email; both SDK paths (the code, the link).

mod common;

use std::path::Path;

use common::{assert_error, TestServer};
use sealbase::admin::client::AdminClient;
use sealbase::admin::{AdminError, NewUserRequest, UserChange};
use sealbase::{SignIn, SignUp, UpdateUser};
use sealbase_server::clock::now_ms;
use sealbase_server::{Config, MailConfig, MailTransport, NewApp};
use serde_json::{json, Value};

const PASSWORD: &str = "correct horse battery staple";

/// Every message in a Maildir's or an outbox's files sent to `to`, with quoted-printable undone.
fn mails_to(dir: &Path, to: &str) -> Vec<String> {
    let mut files = Vec::new();
    for sub in [dir.to_path_buf(), dir.join("new"), dir.join("cur")] {
        if let Ok(entries) = std::fs::read_dir(&sub) {
            files.extend(entries.flatten().map(|entry| entry.path()).filter(|path| path.is_file()));
        }
    }
    files.sort_by_key(|path| std::fs::metadata(path).and_then(|m| m.modified()).ok());
    files
        .iter()
        .filter_map(|path| std::fs::read_to_string(path).ok())
        .map(|raw| quoted_printable(&raw))
        .filter(|mail| mail.lines().any(|line| line.eq_ignore_ascii_case(&format!("To: {to}"))))
        .collect()
}

fn quoted_printable(raw: &str) -> String {
    let joined = raw.replace("=\r\n", "").replace("=\n", "");
    let mut out = Vec::new();
    let bytes = joined.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' && i + 2 < bytes.len() {
            if let Ok(byte) = u8::from_str_radix(&joined[i + 1..i + 3], 16) {
                out.push(byte);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The link and the code of a verification mail.
fn link_and_code(mail: &str) -> (String, String) {
    let link = mail.split_whitespace().find(|word| word.contains("#token=")).expect("a link").to_owned();
    let code = mail
        .lines()
        .map(str::trim)
        .find(|line| line.len() == 8 && line.bytes().all(|b| b.is_ascii_digit()))
        .expect("a code")
        .to_owned();
    (link, code)
}

/// What the page at the link does: post the fragment's token to the link's path.
async fn follow(link: &str) -> (u16, Value) {
    let (url, fragment) = link.split_once('#').expect("a fragment");
    let http = reqwest::Client::new();
    let page = http.get(url).send().await.expect("the page");
    assert_eq!(page.status().as_u16(), 200);
    let policy = page.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(policy.starts_with("default-src 'none'; script-src 'sha256-"), "{policy}");
    assert!(page.text().await.unwrap().contains("location.hash"));
    let token = fragment.strip_prefix("token=").expect("token=…");
    let answer = http.post(url).json(&json!({ "token": token })).send().await.expect("confirmation");
    (answer.status().as_u16(), answer.json().await.unwrap_or(Value::Null))
}

async fn admin(server: &TestServer) -> AdminClient {
    let name = format!("backend-{}", rand::random::<u32>());
    let secret = server.server.create_app_secret(&server.app_id, &name).await.expect("secret").app_secret;
    AdminClient::new(&server.app_id, &server.url, secret).expect("admin client")
}

fn with_mail(transport: MailTransport) -> impl FnOnce(Config) -> Config {
    move |config| Config { mail: MailConfig { transport, ..MailConfig::default() }, ..config }
}

#[tokio::test]
async fn without_a_mail_transport_verify_email_is_refused_and_nothing_is_stored() {
    let server = TestServer::start().await;
    let admin = admin(&server).await;
    let request = NewUserRequest::from_json(&json!({
        "email": "ada@example.com", "password": PASSWORD, "verify_email": true
    }))
    .unwrap();
    assert_eq!(
        admin.import_user(request).await.unwrap_err(),
        AdminError::not_valid("verify_email", "needs a mail transport on the server (--smtp-url or --mail-outbox)")
    );
    assert_eq!(server.count("SELECT COUNT(*) FROM users").await, 0);
}

#[tokio::test]
async fn an_outbox_receives_the_mail_and_its_link_verifies_once() {
    let outbox = tempfile::tempdir().unwrap();
    let server = TestServer::with(with_mail(MailTransport::Outbox(outbox.path().into())), NewApp::default()).await;
    let admin = admin(&server).await;
    let request = NewUserRequest::from_json(&json!({
        "email": "Ada@Example.com", "password": PASSWORD, "verify_email": true
    }))
    .unwrap();
    let user = admin.import_user(request).await.expect("imported");
    assert!(user.details.verify_email && !user.details.email_verified);
    let mails = mails_to(outbox.path(), "ada@example.com");
    assert_eq!(mails.len(), 1, "one message");
    let (link, code) = link_and_code(&mails[0]);
    assert!(link.starts_with(&format!("http://127.0.0.1:8080/v1/apps/{}/verify-email#token=", server.app_id)));
    // The server keeps hashes: neither the token nor the code is in the database.
    let stored = server.db.everything_stored().await;
    let token = link.split("#token=").nth(1).unwrap();
    for secret in [token.as_bytes(), code.as_bytes()] {
        assert!(!stored.windows(secret.len()).any(|w| w == secret), "a secret at rest");
    }
    // The link works once (the test server's own URL: the configured public URL is the default's).
    let link = link.replace("http://127.0.0.1:8080", &server.url);
    assert_eq!(follow(&link).await, (200, json!({ "emailVerified": true })));
    let verified = admin.user(&user.id).await.unwrap();
    assert!(verified.details.email_verified && !verified.details.verify_email);
    let (status, body) = follow(&link).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("EmailVerificationNotValid")));
}

/// The SMTP sink of the run, or `None` outside `cargo xtask test`.
fn smtp() -> Option<(String, std::path::PathBuf)> {
    let url = std::env::var("SEALBASE_TEST_SMTP_URL").ok()?;
    Some((url, std::env::var("SEALBASE_TEST_MAILDIR").ok()?.into()))
}

#[tokio::test]
#[ignore = "needs an SMTP sink (SEALBASE_TEST_SMTP_URL); cargo xtask test runs it"]
async fn an_app_that_requires_a_verified_email_mails_a_code_and_a_link_and_signs_in_only_verified_users() {
    let (url, maildir) = smtp().expect("SEALBASE_TEST_SMTP_URL and SEALBASE_TEST_MAILDIR");
    let app = NewApp { require_verified_email: true, ..NewApp::default() };
    let server = TestServer::with(with_mail(MailTransport::Smtp(url)), app).await;
    let run = rand::random::<u32>();
    let (ada, grace) = (format!("ada-{run}@example.com"), format!("grace-{run}@example.com"));
    let sign_up = |email: &str| SignUp {
        username: email.into(),
        password: PASSWORD.into(),
        email: Some(email.into()),
        ..Default::default()
    };
    let sign_in = |email: &str| SignIn { username: email.into(), password: PASSWORD.into(), ..Default::default() };

    // The code, typed into the app by the signed-in user.
    let client = server.client();
    let user = client.sign_up(sign_up(&ada)).await.expect("signed up");
    assert!(!user.email_verified);
    let mails = mails_to(&maildir, &ada);
    assert_eq!(mails.len(), 1, "one verification mail, through SMTP");
    let (_, code) = link_and_code(&mails[0]);
    let wrong = if code == "00000000" { "11111111" } else { "00000000" };
    assert_error(
        &client.verify_email(wrong).await.unwrap_err(),
        "EmailVerificationNotValid",
        400,
        "Email verification not valid. The link or code may be wrong, expired or used.",
    );
    let verified = client.verify_email(&code).await.expect("verified");
    assert!(verified.email_verified);
    assert!(client.current_user().expect("user").email_verified);
    assert!(client.verify_email(&code).await.is_err(), "a code works once");
    client.sign_out().await.expect("signed out");
    client.sign_in(sign_in(&ada)).await.expect("a verified user signs in");

    // A user who never verified: refused after a right proof (a wrong one learns nothing), then the link.
    let other = server.client_with_store("other.json");
    other.sign_up(sign_up(&grace)).await.expect("signed up");
    other.sign_out().await.expect("signed out");
    let refused = other.sign_in(sign_in(&grace)).await.unwrap_err();
    assert_error(
        &refused,
        "EmailNotVerified",
        403,
        "Email not verified. Follow the link or enter the code from the verification email.",
    );
    let wrong_password = SignIn { password: "not the password".into(), ..sign_in(&grace) };
    assert_eq!(other.sign_in(wrong_password).await.unwrap_err().name(), "UsernameOrPasswordMismatch");
    assert_eq!(mails_to(&maildir, &grace).len(), 1, "no second mail within a minute");
    let (link, _) = link_and_code(&mails_to(&maildir, &grace)[0]);
    let link = link.replace("http://127.0.0.1:8080", &server.url);
    assert_eq!(follow(&link).await, (200, json!({ "emailVerified": true })));
    let signed_in = other.sign_in(sign_in(&grace)).await.expect("verified by the link");
    assert!(signed_in.email_verified);

    // A changed email is unverified and gets its own mail; the old one's link is void.
    let changed = format!("grace2-{run}@example.com");
    other.update_user(UpdateUser { email: Some(Some(changed.clone())), ..UpdateUser::default() }).await.unwrap();
    assert!(!other.current_user().unwrap().email_verified);
    assert_eq!(mails_to(&maildir, &changed).len(), 1);
    assert_eq!(follow(&link).await.0, 400);

    // The app's backend asks for a verification of a user's email: mailed at once.
    let admin = admin(&server).await;
    let imported = admin
        .import_user(
            NewUserRequest::from_json(&json!({"email": format!("h-{run}@example.com"), "password": PASSWORD})).unwrap(),
        )
        .await
        .unwrap();
    assert!(mails_to(&maildir, &format!("h-{run}@example.com")).is_empty());
    let ask = UserChange { verify_email: Some(true), ..UserChange::default() };
    assert!(admin.update_user(&imported.id, &ask).await.unwrap().details.verify_email);
    assert_eq!(mails_to(&maildir, &format!("h-{run}@example.com")).len(), 1);
}

/// How many messages went to `to` (mail goes out before the answer, so no waiting).
fn count_to(outbox: &Path, to: &str) -> usize {
    mails_to(outbox, to).len()
}

#[tokio::test]
async fn where_a_verified_email_is_required_every_user_has_one_and_the_refusal_comes_only_after_throttle_and_block() {
    let outbox = tempfile::tempdir().unwrap();
    let app = NewApp { require_verified_email: true, ..NewApp::default() };
    let server = TestServer::with(with_mail(MailTransport::Outbox(outbox.path().into())), app).await;
    let client = server.client();
    assert!(client.client_settings().await.unwrap().require_verified_email, "published to clients");

    // No email, no way to verify one: refused at sign-up and when removed, nothing written.
    let no_email = SignUp { username: "nobody".into(), password: PASSWORD.into(), ..Default::default() };
    let refused = client.sign_up(no_email).await.unwrap_err();
    assert_error(&refused, "EmailRequired", 400, "Email required. This app requires a verified email to sign in.");
    assert_eq!(server.count("SELECT COUNT(*) FROM users").await, 0);
    let sign_up = |email: &str| SignUp {
        username: email.into(),
        password: PASSWORD.into(),
        email: Some(email.into()),
        ..Default::default()
    };
    let ada = "ada@example.com";
    client.sign_up(sign_up(ada)).await.expect("signed up");
    let removal = UpdateUser { email: Some(None), ..UpdateUser::default() };
    assert_eq!(client.update_user(removal).await.unwrap_err().name(), "EmailRequired");
    assert_eq!(server.count("SELECT COUNT(*) FROM users WHERE email IS NOT NULL").await, 1, "kept");

    // The same email again is no change: still verified once verified, and nothing more is mailed.
    assert_eq!(count_to(outbox.path(), ada), 1);
    let (_, code) = link_and_code(&mails_to(outbox.path(), ada)[0]);
    assert!(client.verify_email(&code).await.expect("verified").email_verified);
    let same = UpdateUser { email: Some(Some(ada.into())), ..UpdateUser::default() };
    client.update_user(same).await.expect("updated");
    assert!(client.current_user().expect("signed in").email_verified, "still verified");
    assert_eq!(count_to(outbox.path(), ada), 1, "no second mail");
    client.sign_out().await.unwrap();

    // An unverified user: during a throttle delay, a right password is told exactly as a wrong one.
    let grace = "grace@example.com";
    let other = server.client_with_store("other.json");
    let grace_id = other.sign_up(sign_up(grace)).await.expect("signed up").user_id;
    other.sign_out().await.unwrap();
    let sign_in = |password: &str| SignIn { username: grace.into(), password: password.into(), ..Default::default() };
    assert_eq!(other.sign_in(sign_in("not the password")).await.unwrap_err().name(), "UsernameOrPasswordMismatch");
    server.execute(&format!("UPDATE sign_in_failures SET locked_until = {}", now_ms() + 600_000)).await;
    let right = other.sign_in(sign_in(PASSWORD)).await.unwrap_err();
    let wrong = other.sign_in(sign_in("not the password")).await.unwrap_err();
    assert_eq!(right.name(), "PasswordAttemptLimitExceeded", "{right:?}");
    assert_eq!((right.name(), right.status()), (wrong.name(), wrong.status()));

    // Blocked and unverified: the block is what the user is told.
    server.execute("DELETE FROM sign_in_failures").await;
    let admin = admin(&server).await;
    admin.block(&grace_id).await.unwrap();
    assert_eq!(other.sign_in(sign_in(PASSWORD)).await.unwrap_err().name(), "UserBlocked");
    admin.unblock(&grace_id).await.unwrap();
    let (sessions, used) = (
        server.count("SELECT COUNT(*) FROM sessions").await,
        server.count("SELECT COUNT(*) FROM used_challenges").await,
    );
    assert_eq!(other.sign_in(sign_in(PASSWORD)).await.unwrap_err().name(), "EmailNotVerified");
    assert_eq!(server.count("SELECT COUNT(*) FROM sessions").await, sessions, "no session opened");
    assert_eq!(server.count("SELECT COUNT(*) FROM used_challenges").await, used, "nor a challenge spent");

    // The link works only at its own app's path.
    let (link, _) = link_and_code(&mails_to(outbox.path(), grace)[0]);
    let link = link.replace("http://127.0.0.1:8080", &server.url);
    let another_app = server.server.create_app(&NewApp::default()).await.unwrap().app_id;
    let elsewhere = link.replace(&server.app_id, &another_app);
    assert_ne!(elsewhere, link);
    let (status, body) = follow(&elsewhere).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("EmailVerificationNotValid")));
    assert_eq!(server.count("SELECT COUNT(*) FROM users WHERE email_verified").await, 1, "only ada's");
    assert_eq!(follow(&link).await, (200, json!({ "emailVerified": true })));
    assert!(other.sign_in(sign_in(PASSWORD)).await.expect("verified by the link").email_verified);
}

#[tokio::test]
async fn the_app_backend_mails_only_unverified_emails_and_a_failed_mail_leaves_the_change_and_the_request() {
    let outbox = tempfile::tempdir().unwrap();
    let server = TestServer::with(with_mail(MailTransport::Outbox(outbox.path().into())), NewApp::default()).await;
    let admin = admin(&server).await;

    // Verified already: no verification pending, nothing mailed.
    let verified = NewUserRequest::from_json(&json!({
        "email": "ada@example.com", "password": PASSWORD, "email_verified": true, "verify_email": true
    }))
    .unwrap();
    let ada = admin.import_user(verified).await.expect("imported");
    assert!(ada.details.email_verified && !ada.details.verify_email);
    assert_eq!(server.count("SELECT COUNT(*) FROM users WHERE verify_email").await, 0);
    assert_eq!(count_to(outbox.path(), "ada@example.com"), 0);

    // The mail cannot go out: the change is made and answered, and the request stays for a retry.
    std::fs::remove_dir_all(outbox.path()).unwrap();
    let change =
        UserChange { email: Some(Some("ada2@example.com".into())), verify_email: Some(true), ..UserChange::default() };
    let changed = admin.update_user(&ada.id, &change).await.expect("the change stands");
    assert_eq!(changed.email.as_deref(), Some("ada2@example.com"));
    assert!(changed.details.verify_email && !changed.details.email_verified);
    let stored = admin.user(&ada.id).await.unwrap();
    assert_eq!((stored.email.as_deref(), stored.details.verify_email), (Some("ada2@example.com"), true));

    // The transport back, the retry mails it.
    std::fs::create_dir_all(outbox.path()).unwrap();
    let retry = UserChange { verify_email: Some(true), ..UserChange::default() };
    admin.update_user(&ada.id, &retry).await.expect("retried");
    assert_eq!(count_to(outbox.path(), "ada2@example.com"), 1);
}
