//! authTokens as app servers see them: offline verification with the JWKS, every rejection with its own
//! error, key rotation, the online admin check, the SDK's refreshing `auth_token`, and the example app
//! server's routes.

mod common;

#[allow(dead_code)]
#[path = "../examples/app_server.rs"]
mod app_server;

use sealbase_server::store::SecretKind;
use std::sync::Arc;
use std::time::Duration;

use common::TestServer;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use sealbase::token::{AuthTokenClaims, Jwks, Verifier, VerifyError};
use sealbase::{RememberMe, SignUp, UpdateUser};
use sealbase_server::NewApp;
use serde_json::{json, Value};

const PASSWORD: &str = "correct horse battery staple";

fn sign_up(username: &str) -> SignUp {
    SignUp { username: username.into(), password: PASSWORD.into(), remember_me: RememberMe::None, ..Default::default() }
}

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

/// The server's current signing key, read from its database, to forge tokens with chosen claims.
async fn server_key(server: &TestServer) -> (String, EncodingKey) {
    let key = server.row("SELECT kid, private_key FROM signing_keys WHERE retired_at IS NULL").await;
    let kid = key.text("kid");
    let der = server.kek.open(SecretKind::SigningKey, &kid, &key.bytes("private_key")).expect("sealed with the KEK");
    (kid, EncodingKey::from_ed_der(&der))
}

fn sign(kid: &str, key: &EncodingKey, claims: &AuthTokenClaims) -> String {
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some(kid.to_owned());
    jsonwebtoken::encode(&header, claims, key).unwrap()
}

fn claims_of(token: &str) -> AuthTokenClaims {
    jsonwebtoken::dangerous::insecure_decode::<AuthTokenClaims>(token).unwrap().claims
}

fn b64(bytes: &[u8]) -> String {
    sealbase::protocol::b64::encode(bytes)
}

async fn admin_check(server: &TestServer, token: &str, authorization: Option<&str>) -> (u16, Value) {
    let mut request = reqwest::Client::new().get(format!("{}/v1/admin/auth-tokens/{token}", server.url));
    if let Some(value) = authorization {
        request = request.header("authorization", value);
    }
    let response = request.send().await.unwrap();
    (response.status().as_u16(), response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn offline_verification_accepts_real_tokens_and_refuses_each_forgery_with_its_own_error() {
    let server = TestServer::start().await;
    let client = server.client();
    let user = client.sign_up(sign_up("ada")).await.unwrap();
    let verifier = Verifier::new(&server.url, &server.app_id).await.unwrap();

    let verified = verifier.verify(&user.auth_token).await.unwrap();
    assert_eq!(verified.user_id, user.user_id);
    assert_eq!(verified.session_id, claims_of(&user.auth_token).sid);

    let real = claims_of(&user.auth_token);
    let (kid, key) = server_key(&server).await;
    let parts: Vec<&str> = user.auth_token.split('.').collect();
    let jwks: Jwks = reqwest::get(format!("{}/v1/apps/{}/jwks.json", server.url, server.app_id))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let public_key = sealbase::protocol::b64::Bytes::<32>::decode(&jwks.keys[0].x).unwrap().0;

    let mut bad_signature: Vec<char> = parts[2].chars().collect();
    bad_signature[10] = if bad_signature[10] == 'A' { 'B' } else { 'A' };
    let alg_none = format!("{}.{}.", b64(br#"{"alg":"none","typ":"JWT"}"#), parts[1]);
    let mut hs_header = Header::new(Algorithm::HS256);
    hs_header.kid = Some(kid.clone());
    let hs256 = jsonwebtoken::encode(&hs_header, &real, &EncodingKey::from_secret(&public_key)).unwrap();
    let other_app = server.server.create_app(&NewApp::default()).await.unwrap();
    let other_user =
        sealbase::Client::new(&other_app.app_id, &server.url).unwrap().sign_up(sign_up("bob")).await.unwrap();
    let stranger = ed25519_dalek::SigningKey::from_bytes(&[9; 32]);
    let stranger_key =
        EncodingKey::from_ed_der(ed25519_dalek::pkcs8::EncodePrivateKey::to_pkcs8_der(&stranger).unwrap().as_bytes());

    let cases: Vec<(&str, String, VerifyError)> = vec![
        (
            "bad signature",
            format!("{}.{}.{}", parts[0], parts[1], bad_signature.iter().collect::<String>()),
            VerifyError::SignatureInvalid,
        ),
        ("alg none", alg_none, VerifyError::AlgorithmNotAllowed { alg: "none".into() }),
        ("HS256 keyed with the public key", hs256, VerifyError::AlgorithmNotAllowed { alg: "HS256".into() }),
        ("another app's token", other_user.auth_token.clone(), VerifyError::AudienceMismatch),
        (
            "wrong issuer",
            sign(&kid, &key, &AuthTokenClaims { iss: "https://evil.example".into(), ..real.clone() }),
            VerifyError::IssuerMismatch,
        ),
        (
            "expired",
            sign(&kid, &key, &AuthTokenClaims { iat: now() - 7200, exp: now() - 120, ..real.clone() }),
            VerifyError::Expired,
        ),
        (
            "not yet valid",
            sign(&kid, &key, &AuthTokenClaims { nbf: Some(now() + 600), ..real.clone() }),
            VerifyError::NotYetValid,
        ),
        ("unknown kid", sign("not-a-published-kid", &stranger_key, &real), VerifyError::UnknownKey),
        ("empty", String::new(), VerifyError::Malformed),
        ("two segments", format!("{}.{}", parts[0], parts[1]), VerifyError::Malformed),
        ("bad base64", "!!!.@@@.###".into(), VerifyError::Malformed),
        ("huge", format!("{}.{}.{}", parts[0], "a".repeat(10_000), parts[2]), VerifyError::Malformed),
    ];
    for (case, token, expected) in cases {
        assert_eq!(verifier.verify(&token).await.unwrap_err(), expected, "{case}");
        // The server's online check refuses the same forgeries.
        if !token.is_empty() && token.len() < 4000 && !token.contains(['!', '@', '#']) {
            let (status, body) =
                admin_check(&server, &token, Some(&format!("Bearer {}", server.admin_access_token))).await;
            assert_eq!((status, body["message"].as_str()), (401, Some("Auth token invalid.")), "{case}");
        }
    }
}

#[tokio::test]
async fn the_jwks_is_public_cacheable_and_holds_no_private_material() {
    let server = TestServer::start().await;
    let response = reqwest::get(format!("{}/v1/apps/{}/jwks.json", server.url, server.app_id)).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "public, max-age=300");
    let body: Value = response.json().await.unwrap();
    let key = &body["keys"][0];
    assert_eq!(
        (key["kty"].as_str(), key["crv"].as_str(), key["alg"].as_str(), key["use"].as_str()),
        (Some("OKP"), Some("Ed25519"), Some("EdDSA"), Some("sig"))
    );
    assert_eq!(key.as_object().unwrap().len(), 6, "no `d` or anything else: {key}");
    let settings = server.client().client_settings().await.unwrap();
    assert_eq!(settings.jwks_url, format!("/v1/apps/{}/jwks.json", server.app_id));
    assert_eq!(reqwest::get(format!("{}/v1/apps/nope/jwks.json", server.url)).await.unwrap().status(), 401);
}

#[tokio::test]
async fn key_rotation_keeps_old_tokens_valid_until_they_expire() {
    let server = TestServer::start().await;
    let before = server.client().sign_up(sign_up("ada")).await.unwrap();
    let old_kid = server_key(&server).await.0;
    let verifier = Verifier::new(&server.url, &server.app_id).await.unwrap().with_refetch_interval(Duration::ZERO);

    let new_kid = server.server.rotate_signing_key().await.unwrap();
    assert_ne!(new_kid, old_kid);
    let after = server.client().sign_up(sign_up("bob")).await.unwrap();
    assert_eq!(jsonwebtoken::decode_header(&after.auth_token).unwrap().kid.as_deref(), Some(new_kid.as_str()));
    assert!(verifier.verify(&before.auth_token).await.is_ok(), "old key still published");
    assert!(verifier.verify(&after.auth_token).await.is_ok(), "new key learnt by refetching on an unknown kid");
    assert_eq!(
        Verifier::new(&server.url, &server.app_id).await.unwrap().verify(&before.auth_token).await.map(|v| v.user_id),
        Ok(before.user_id.clone())
    );

    // Once every token the old key signed has expired, the key leaves the JWKS.
    server.execute(&format!("UPDATE signing_keys SET publish_until = 0 WHERE kid = '{old_kid}'")).await;
    let fresh = Verifier::new(&server.url, &server.app_id).await.unwrap();
    assert_eq!(fresh.verify(&before.auth_token).await.unwrap_err(), VerifyError::UnknownKey);
    assert!(fresh.verify(&after.auth_token).await.is_ok());
}

#[tokio::test]
async fn the_online_check_follows_sign_out_password_change_and_delete() {
    let server = TestServer::start().await;
    let admin = format!("Bearer {}", server.admin_access_token);
    let verifier = Verifier::new(&server.url, &server.app_id).await.unwrap();

    // Sign-out: online turns 401 at once, offline keeps passing until exp (the documented trade-off).
    let client = server.client();
    let user = client.sign_up(sign_up("ada")).await.unwrap();
    let status = verifier.online(&user.auth_token, &server.admin_access_token).await.unwrap();
    assert_eq!(
        (status.user_id.as_str(), status.session_id.as_str()),
        (user.user_id.as_str(), claims_of(&user.auth_token).sid.as_str())
    );
    let (code, body) = admin_check(&server, &user.auth_token, Some(&admin)).await;
    assert_eq!(code, 200);
    assert_eq!(body.as_object().unwrap().keys().collect::<Vec<_>>(), ["expirationDate", "sessionId", "userId"]);
    client.sign_out().await.unwrap();
    assert_eq!(verifier.online(&user.auth_token, &server.admin_access_token).await.unwrap_err(), VerifyError::Revoked);
    assert_eq!(
        admin_check(&server, &user.auth_token, Some(&admin)).await,
        (401, json!({ "error": "AuthTokenInvalid", "message": "Auth token invalid." }))
    );
    assert!(verifier.verify(&user.auth_token).await.is_ok(), "offline verification cannot see a sign-out");

    // Password change: the other sessions' tokens turn 401.
    let laptop = server.client_with_store("laptop.json");
    let phone = server.client_with_store("phone.json");
    laptop
        .sign_in(sealbase::SignIn { username: "ada".into(), password: PASSWORD.into(), ..Default::default() })
        .await
        .unwrap();
    phone
        .sign_in(sealbase::SignIn { username: "ada".into(), password: PASSWORD.into(), ..Default::default() })
        .await
        .unwrap();
    let phone_token = phone.auth_token().await.unwrap();
    laptop
        .update_user(UpdateUser {
            current_password: Some(PASSWORD.into()),
            new_password: Some("another password".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(verifier.online(&phone_token, &server.admin_access_token).await.unwrap_err(), VerifyError::Revoked);

    // Delete: 404 User not found.
    let laptop_token = laptop.auth_token().await.unwrap();
    assert!(verifier.online(&laptop_token, &server.admin_access_token).await.is_ok());
    laptop.delete_user().await.unwrap();
    assert_eq!(
        admin_check(&server, &laptop_token, Some(&admin)).await,
        (404, json!({ "error": "UserNotFound", "message": "User not found." }))
    );
    assert_eq!(
        verifier.online(&laptop_token, &server.admin_access_token).await.unwrap_err(),
        VerifyError::UserNotFound
    );
}

#[tokio::test]
async fn the_admin_check_rejects_bad_credentials_with_userbase_messages() {
    let server = TestServer::start().await;
    let user = server.client().sign_up(sign_up("ada")).await.unwrap();
    let token = &user.auth_token;
    let cases = [
        (None, 400, "AuthorizationHeaderMissing", "Authorization header missing."),
        (
            Some("Basic abc".to_owned()),
            400,
            "AuthorizationSchemeNotBearer",
            "Authorization scheme must be of type Bearer.",
        ),
        (Some("Bearer ".to_owned()), 400, "AccessTokenMissing", "Access token missing."),
        (Some("Bearer not-the-token".to_owned()), 401, "AccessTokenInvalid", "Access token invalid."),
    ];
    for (authorization, status, name, message) in cases {
        assert_eq!(
            admin_check(&server, token, authorization.as_deref()).await,
            (status, json!({ "error": name, "message": message })),
            "{authorization:?}"
        );
    }
    // Another app's admin token cannot vouch for this app's users.
    let other = server.server.create_app(&NewApp::default()).await.unwrap();
    let other_admin = format!("Bearer {}", other.admin_access_token);
    assert_eq!(
        admin_check(&server, token, Some(&other_admin)).await,
        (401, json!({ "error": "AuthTokenInvalid", "message": "Auth token invalid." }))
    );
    // A new admin token replaces the old one.
    let replacement = server.server.new_admin_token(&server.app_id).await.unwrap();
    assert_eq!(admin_check(&server, token, Some(&format!("Bearer {}", server.admin_access_token))).await.0, 401);
    assert_eq!(admin_check(&server, token, Some(&format!("Bearer {replacement}"))).await.0, 200);
}

#[tokio::test]
async fn token_lifetime_is_capped_per_app() {
    let server = TestServer::with_app(NewApp { token_lifetime_secs: 600, ..Default::default() }).await;
    let user = server.client().sign_up(sign_up("ada")).await.unwrap();
    let claims = claims_of(&user.auth_token);
    assert_eq!(claims.exp - claims.iat, 600);
}

#[tokio::test]
async fn the_sdk_refreshes_tokens_that_run_low_with_one_shared_refresh() {
    let server = TestServer::start().await;
    let client = server.client();
    let user = client.sign_up(sign_up("ada")).await.unwrap();
    assert_eq!(client.auth_token().await.unwrap(), user.auth_token, "an hour left: no refresh");

    // Tokens of at most 2 minutes are always "low": every call needs a refresh, so concurrent callers
    // either share one or each make their own.
    let short = TestServer::with_app(NewApp { token_lifetime_secs: 120, ..Default::default() }).await;
    let client = Arc::new(short.client());
    let user = client.sign_up(sign_up("bob")).await.unwrap();
    let calls = (0..5).map(|_| {
        let client = client.clone();
        async move { client.auth_token().await.unwrap() }
    });
    let tokens = futures::future::join_all(calls).await;
    assert!(tokens.iter().all(|token| token == &tokens[0]), "one refresh shared by all callers");
    assert_ne!(tokens[0], user.auth_token);
    let verifier = Verifier::new(&short.url, &short.app_id).await.unwrap();
    assert_eq!(verifier.verify(&tokens[0]).await.unwrap().user_id, user.user_id);
    assert_eq!(client.current_user().unwrap().auth_token, tokens[0]);
    let signed_out = short.client();
    assert_eq!(signed_out.auth_token().await.unwrap_err(), sealbase::Error::UserNotSignedIn);
}

#[tokio::test]
async fn the_example_app_server_verifies_offline_and_checks_online() {
    let server = TestServer::start().await;
    let client = server.client();
    let user = client.sign_up(sign_up("ada")).await.unwrap();
    let verifier = Verifier::new(&server.url, &server.app_id).await.unwrap();
    let state = app_server::AppServer {
        verifier: Arc::new(verifier),
        admin_access_token: server.admin_access_token.clone().into(),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app_server::router(state)).await.unwrap() });
    let http = reqwest::Client::new();
    let call = |method: reqwest::Method, path: &str, token: Option<&str>| {
        let mut request = http.request(method, format!("{url}{path}"));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        async move {
            let response = request.send().await.unwrap();
            (response.status().as_u16(), response.json::<Value>().await.unwrap())
        }
    };

    let (status, me) = call(reqwest::Method::GET, "/me", Some(&user.auth_token)).await;
    assert_eq!((status, me["userId"].as_str()), (200, Some(user.user_id.as_str())));
    let (status, body) = call(reqwest::Method::GET, "/me", None).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("Malformed")));
    let (status, body) = call(reqwest::Method::GET, "/me", Some("a.b.c")).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("Malformed")));
    let (status, body) = call(reqwest::Method::POST, "/account/export", Some(&user.auth_token)).await;
    assert_eq!((status, body["export"].as_str()), (200, Some("started")));

    client.sign_out().await.unwrap();
    let (status, body) = call(reqwest::Method::POST, "/account/export", Some(&user.auth_token)).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("Revoked")));
    let (status, _) = call(reqwest::Method::GET, "/me", Some(&user.auth_token)).await;
    assert_eq!(status, 200, "offline routes accept the token until it expires");
}
