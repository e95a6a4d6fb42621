//! The OpenAPI document at `/openapi.json` against the live server, on the backend this run selects:
//! schemathesis (PyPI) generates valid and invalid requests for every operation the document describes
//! and fails on any server error, any answer whose body does not match its schema, and any answer of
//! another content type than documented. Requests carry real credentials (a session, an app secret,
//! the admin access token, an authToken) so the fuzzing reaches past authentication.

mod common;

use std::process::Command;

use common::{raw, valid_body, TestServer};
use sealbase_server::NewApp;
use serde_json::Value;

/// Test cases per operation and phase: enough to reach every refusal a body can earn, few enough to
/// keep the run to a couple of minutes per backend.
const MAX_EXAMPLES: &str = "100";

#[tokio::test]
#[ignore = "needs schemathesis (SEALBASE_TEST_SCHEMATHESIS); cargo xtask test runs it"]
async fn schemathesis_finds_no_server_error_and_no_schema_mismatch() {
    let st = std::env::var("SEALBASE_TEST_SCHEMATHESIS").expect("SEALBASE_TEST_SCHEMATHESIS names schemathesis' `st`");
    // Fuzzed sign-ups and sign-ins must not run into the per-address budget, or most answers would
    // be TooManyRequests.
    let server = TestServer::with(
        |config| sealbase_server::Config { address_budget_per_minute: 1_000_000, ..config },
        NewApp::default(),
    )
    .await;
    let app_secret = server.server.create_app_secret(&server.app_id, "fuzzing").await.expect("secret").app_secret;
    let document: Value =
        reqwest::get(format!("{}/openapi.json", server.url)).await.expect("request").json().await.expect("json");
    assert_eq!(document["openapi"], "3.1.0");
    let config_file = server.dir.path().join("schemathesis.toml");

    let run = |methods: &[&str]| {
        let mut command = Command::new(&st);
        command
            .arg("--config-file")
            .arg(&config_file)
            .args(["run", &format!("{}/openapi.json", server.url)])
            .args(["--checks", "not_a_server_error,response_schema_conformance,content_type_conformance"])
            .args(["--phases", "examples,coverage,fuzzing", "--max-examples", MAX_EXAMPLES])
            .args(["--workers", "1", "--request-timeout", "10", "--suppress-health-check", "all"])
            .current_dir(server.dir.path())
            .env("NO_COLOR", "1");
        for method in methods {
            command.args(["--include-method", method]);
        }
        command
    };
    // Everything but deletions first, then the deletions, each with a user of its own: a fuzzed
    // request may block, rename or sign out the user whose credentials the run carries.
    for (round, methods) in [&["GET", "POST", "PATCH"][..], &["DELETE"]].into_iter().enumerate() {
        let config = credentials(&server, &format!("fuzzed-user-{round}"), &app_secret).await;
        std::fs::write(&config_file, config).expect("config written");
        let status = tokio::task::spawn_blocking({
            let mut command = run(methods);
            move || command.status()
        })
        .await
        .expect("joined")
        .expect("schemathesis runs");
        assert!(status.success(), "schemathesis found failures in {methods:?} operations (see its report above)");
    }
}

/// A schemathesis configuration for two new users: one signed in (the session and authToken), one
/// the users API works on (deleting the first would end the session the others need). Each
/// credential goes to the operations that take it, and the path parameters name real things.
async fn credentials(server: &TestServer, username: &str, app_secret: &str) -> String {
    let (status, signed_up) = raw::post(&server.sign_up_url(), &valid_body(username)).await;
    assert_eq!(status, 201, "{signed_up}");
    let session = signed_up["session"]["secret"].as_str().expect("session secret");
    let auth_token = signed_up["user"]["authToken"].as_str().expect("authToken");
    let (status, managed) = raw::post(&server.sign_up_url(), &valid_body(&format!("{username}-managed"))).await;
    assert_eq!(status, 201, "{managed}");
    let user_id = managed["user"]["userId"].as_str().expect("userId");
    format!(
        r#"
[parameters]
"path.app_id" = "{app_id}"
"path.user_id" = "{user_id}"
"path.auth_token" = "{auth_token}"

[[operations]]
include-path-regex = "^/v1/apps/[^/]+/userinfo$"
headers = {{ Authorization = "Bearer {auth_token}" }}

[[operations]]
include-path-regex = "^/v1/apps/[^/]+/(?!userinfo$)"
headers = {{ Authorization = "Bearer {session}" }}

[[operations]]
include-path-regex = "^/v1/admin/apps/"
headers = {{ Authorization = "Bearer {app_secret}" }}

[[operations]]
include-path-regex = "^/v1/admin/auth-tokens/"
headers = {{ Authorization = "Bearer {admin_token}" }}
"#,
        app_id = server.app_id,
        admin_token = server.admin_access_token,
    )
}
