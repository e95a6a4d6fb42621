//! Property tests of every request parser and validator, through the real router in process: any
//! JSON body (arbitrary, or a valid request with one field replaced by anything) on any route gets a
//! JSON answer that is never a 5xx.

mod common;

use axum::body::Body;
use axum::http::{header, Method, Request};
use common::{valid_body, TestServer};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{json, Map, Value};
use tower::ServiceExt;

/// Field names the parsers look for, so generated objects reach past "unknown field" refusals.
const FIELDS: &[&str] = &[
    "username",
    "password",
    "email",
    "profile",
    "rememberMe",
    "sessionLength",
    "kdf",
    "algorithm",
    "logN",
    "r",
    "p",
    "salt",
    "loginPublicKey",
    "seedBackup",
    "nonce",
    "ciphertext",
    "identity",
    "signing",
    "exchange",
    "challenge",
    "signature",
    "passwordChange",
    "claims",
    "metadata",
    "name",
    "given_name",
    "birthdate",
    "addresses",
    "hash_fn",
    "hash_iterations",
    "hash_digest",
    "identities",
    "provider",
    "connection",
    "id",
    "type",
    "details",
    "blocked",
    "email_verified",
    "verify_email",
    "login_attempts",
    "phone_number",
    "picture",
    "appId",
    "appSecret",
    "firstName",
    "lastName",
    "token",
    "code",
    "keys",
    "legacyHash",
    "password_verifier",
];

fn arbitrary_json() -> impl Strategy<Value = Value> + Clone {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
        ".{0,40}".prop_map(Value::String),
        "[A-Za-z0-9_-]{0,64}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 8, |inner| {
        let key = prop_oneof![3 => proptest::sample::select(FIELDS).prop_map(str::to_owned), 1 => ".{0,12}"];
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::vec((key, inner), 0..8)
                .prop_map(|entries| Value::Object(entries.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// Every JSON path of `value` (objects and arrays), root included.
fn paths(value: &Value, prefix: String, out: &mut Vec<String>) {
    out.push(prefix.clone());
    match value {
        Value::Object(map) => map.iter().for_each(|(k, v)| paths(v, format!("{prefix}/{k}"), out)),
        Value::Array(items) => items.iter().enumerate().for_each(|(i, v)| paths(v, format!("{prefix}/{i}"), out)),
        _ => {}
    }
}

struct Routes {
    server: TestServer,
    session_secret: String,
    app_secret: String,
    user_id: String,
}

impl Routes {
    async fn new() -> Self {
        let server = TestServer::start().await;
        let password = "correct horse battery";
        let user = server
            .client()
            .sign_up(sealbase::SignUp { username: "ada".into(), password: password.into(), ..Default::default() })
            .await
            .unwrap();
        let (_, pre) = common::raw::pre_login(&server, "ada").await;
        let signature = common::raw::sign(&server, "ada", password, &pre);
        let (_, signed_in) = common::raw::sign_in(&server, "ada", &pre["challenge"], &signature).await;
        let session_secret = signed_in["session"]["secret"].as_str().unwrap().to_owned();
        let app_secret = server.server.create_app_secret(&server.app_id, "fuzz").await.unwrap().app_secret;
        Self { session_secret, app_secret, user_id: user.user_id, server }
    }

    /// (method, path, bearer) of every route that reads a JSON body.
    fn targets(&self) -> Vec<(Method, String, Option<String>)> {
        let app = |route: &str| route.replace("{app_id}", &self.server.app_id);
        let session = Some(self.session_secret.clone());
        let secret = Some(self.app_secret.clone());
        use sealbase::admin::routes as admin;
        use sealbase::protocol::routes;
        vec![
            (Method::POST, app(routes::SIGN_UP), None),
            (Method::POST, app(routes::PRE_LOGIN), None),
            (Method::POST, app(routes::SIGN_IN), None),
            (Method::POST, app(routes::FIRST_SIGN_IN), None),
            (Method::POST, app(routes::SESSION), session.clone()),
            (Method::PATCH, app(routes::USER), session.clone()),
            (Method::POST, app(routes::AUTH_TOKEN), session.clone()),
            (Method::POST, app(routes::VERIFY_EMAIL), None),
            (Method::POST, app(routes::USER_VERIFY_EMAIL), session),
            (Method::POST, admin::CREATE_USER.to_owned(), None),
            (Method::POST, app(admin::USERS), secret.clone()),
            (Method::POST, app(admin::USER_LOOKUP), secret.clone()),
            (Method::PATCH, app(admin::USER).replace("{user_id}", &self.user_id), secret),
        ]
    }

    /// Sends `body` and checks the answer: never a 5xx, and a JSON body on every refusal.
    async fn check(&self, method: &Method, path: &str, bearer: Option<&str>, body: Vec<u8>) -> Result<(), String> {
        let mut request = Request::builder().method(method).uri(path).header(header::CONTENT_TYPE, "application/json");
        if let Some(bearer) = bearer {
            request = request.header(header::AUTHORIZATION, format!("Bearer {bearer}"));
        }
        let request = request.body(Body::from(body.clone())).unwrap();
        let response = self.server.server.router().oneshot(request).await.unwrap();
        let status = response.status();
        let content_type =
            response.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20).await.unwrap();
        let shown = || {
            format!("{method} {path} {} → {status} {}", String::from_utf8_lossy(&body), String::from_utf8_lossy(&bytes))
        };
        if status.is_server_error() {
            return Err(format!("server error: {}", shown()));
        }
        if status.is_client_error() {
            if content_type != "application/json" {
                return Err(format!("content type {content_type:?}: {}", shown()));
            }
            let answer: Value = serde_json::from_slice(&bytes).map_err(|_| format!("not JSON: {}", shown()))?;
            if !answer["message"].is_string() {
                return Err(format!("no message: {}", shown()));
            }
        }
        Ok(())
    }
}

/// Runs `cases` generated bodies against every route, on one runtime (the router is called in process).
fn run(cases: u32, strategy: impl Strategy<Value = Value> + Clone) {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let routes = runtime.block_on(Routes::new());
    for (method, path, bearer) in routes.targets() {
        let mut runner = TestRunner::new(Config { cases, failure_persistence: None, ..Config::default() });
        let outcome = runner.run(&strategy, |value| {
            let body = serde_json::to_vec(&value).unwrap();
            runtime.block_on(routes.check(&method, &path, bearer.as_deref(), body)).map_err(TestCaseError::fail)
        });
        if let Err(failure) = outcome {
            panic!("{method} {path}: {failure}");
        }
    }
}

#[test]
fn arbitrary_json_never_gets_a_server_error() {
    run(256, arbitrary_json());
}

#[test]
fn a_valid_request_with_any_one_field_replaced_never_gets_a_server_error() {
    // Valid-looking requests of each kind, so the mutation reaches the deep checks.
    let bases = vec![
        valid_body("mallory"),
        json!({ "username": "ada", "challenge": "AAAA", "signature": "AAAA", "rememberMe": "none" }),
        json!({ "appId": "x", "appSecret": "y", "email": "a@example.com", "firstName": "A", "lastName": "B",
                "password": "correct horse battery" }),
        json!({ "username": "grace", "email": "g@example.com", "password": "correct horse battery",
                "profile": { "given_name": "Grace", "birthdate": "1906-12-09",
                             "addresses": [{ "country": "US", "locality": "NYC" }] },
                "metadata": { "k": "v" }, "identities": [{ "provider": "github", "id": "1", "connection": "github",
                "type": "social", "details": {} }], "blocked": false, "login_attempts": 3 }),
        json!({ "email": null, "profile": { "plan": "pro" },
                "claims": { "given_name": "Ada", "address": { "country": "UK" } }, "metadata": { "n": 1 } }),
        json!({ "token": "AAAA", "code": "12345678" }),
    ];
    let strategy = (proptest::sample::select(bases), any::<prop::sample::Index>(), arbitrary_json()).prop_map(
        |(mut base, index, replacement)| {
            let mut all = Vec::new();
            paths(&base, String::new(), &mut all);
            let path = index.get(&all).clone();
            match base.pointer_mut(&path) {
                Some(target) => *target = replacement,
                None => base = replacement,
            }
            base
        },
    );
    run(512, strategy);
}

#[test]
fn bytes_that_are_not_json_never_get_a_server_error() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let routes = runtime.block_on(Routes::new());
    let mut runner = TestRunner::new(Config { cases: 512, failure_persistence: None, ..Config::default() });
    let targets = routes.targets();
    runner
        .run(
            &(proptest::sample::select(targets), proptest::collection::vec(any::<u8>(), 0..256)),
            |((m, p, b), bytes)| {
                runtime.block_on(routes.check(&m, &p, b.as_deref(), bytes)).map_err(TestCaseError::fail)
            },
        )
        .unwrap();
}

proptest! {
    #![proptest_config(Config { cases: 2048, failure_persistence: None, ..Config::default() })]

    /// A stored username is its own stored form, so whatever a user typed, the name given back signs in.
    #[test]
    fn a_username_canonical_form_is_a_fixed_point(raw in "\\PC{0,24}|[\\u{0}-\\u{3ff}\\u{200b}-\\u{206f}]{0,12}") {
        if let Ok(stored) = sealbase::validate::username(&raw) {
            prop_assert_eq!(sealbase::validate::username(&stored), Ok(stored.clone()));
            prop_assert!(!stored.starts_with(char::is_whitespace) && !stored.ends_with(char::is_whitespace));
        }
    }

    /// The same for emails: the stored form validates to itself.
    #[test]
    fn an_email_stored_form_is_a_fixed_point(raw in "\\PC{0,30}|[a-zA-Z0-9.+ -]{1,10}@[a-zA-Z0-9.-]{1,12}") {
        if let Ok(stored) = sealbase::validate::email(&raw) {
            prop_assert_eq!(sealbase::validate::email(&stored), Ok(stored.clone()));
        }
    }

    /// Claims and metadata validators take any JSON without panicking, and what they accept they
    /// accept again once written back.
    #[test]
    fn claims_and_metadata_validators_take_any_json(value in arbitrary_json()) {
        if let Ok(claims) = sealbase::admin::record::user_claims(&value) {
            let again = serde_json::to_value(&claims).unwrap();
            prop_assert!(sealbase::admin::record::user_claims(&again).is_ok(), "{again}");
        }
        if let Ok(metadata) = sealbase::admin::record::user_metadata(&value) {
            let again = serde_json::to_value(&metadata).unwrap();
            prop_assert!(sealbase::admin::record::user_metadata(&again).is_ok(), "{again}");
        }
    }
}
