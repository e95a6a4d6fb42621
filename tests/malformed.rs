//! The server re-validates everything: raw malformed sign-ups get 400 with the right name and write
//! nothing; concurrent sign-ups of one username yield exactly one account.

mod common;

use common::{valid_body, TestServer};
use serde_json::{json, Value};

/// Posts a raw body.
async fn post(server: &TestServer, body: reqwest::Body) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(server.sign_up_url())
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("request");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn edited(edit: impl FnOnce(&mut Value)) -> reqwest::Body {
    let mut body = valid_body("mallory");
    edit(&mut body);
    body.to_string().into()
}

/// Sets (or adds) the field at a dotted path.
fn set(path: &'static str, value: Value) -> impl FnOnce(&mut Value) {
    move |body| parent(body, path).insert(parent_key(path).to_owned(), value).map_or((), drop)
}

/// Removes the field at a dotted path.
fn remove(path: &'static str) -> impl FnOnce(&mut Value) {
    move |body| parent(body, path).remove(parent_key(path)).map_or((), drop)
}

fn parent_key(path: &str) -> &str {
    path.rsplit('.').next().unwrap_or(path)
}

fn parent<'a>(body: &'a mut Value, path: &str) -> &'a mut serde_json::Map<String, Value> {
    let target = match path.rsplit_once('.') {
        Some((parent, _)) => body.pointer_mut(&format!("/{}", parent.replace('.', "/"))).expect(path),
        None => body,
    };
    target.as_object_mut().expect(path)
}

#[tokio::test]
async fn malformed_sign_ups_get_400_with_their_own_name_and_write_nothing() {
    let server = TestServer::start().await;
    let b64 = |n: usize| sealbase::protocol::b64::encode(&vec![7u8; n]);
    let cases: Vec<(&str, reqwest::Body, Value)> = vec![
        ("not json", "{username:".into(), json!({ "error": "RequestBodyNotValid" })),
        ("empty body", "".into(), json!({ "error": "RequestBodyNotValid" })),
        (
            // Parsers disagree on which copy of a repeated key counts: refused, whichever it is.
            "repeated key",
            format!(r#"{{"username":"eve",{}"#, &valid_body("mallory").to_string()[1..]).into(),
            json!({ "error": "RequestBodyNotValid" }),
        ),
        (
            "repeated key deeper",
            valid_body("mallory").to_string().replacen(r#""logN":"#, r#""logN":15,"logN":"#, 1).into(),
            json!({ "error": "RequestBodyNotValid" }),
        ),
        ("array body", "[1,2]".into(), json!({ "error": "ParamsMustBeObject" })),
        ("missing username", edited(remove("username")), json!({ "error": "UsernameMissing" })),
        ("username number", edited(set("username", json!(5))), json!({ "error": "UsernameMustBeString" })),
        ("blank username", edited(set("username", json!(" "))), json!({ "error": "UsernameCannotBeBlank" })),
        (
            "long username",
            edited(set("username", json!("a".repeat(101)))),
            json!({ "error": "UsernameTooLong", "maxLen": 100 }),
        ),
        (
            "username with a leading space",
            edited(set("username", json!(" mallory"))),
            json!({ "error": "UsernameNotValid", "reason": "starts or ends with white space" }),
        ),
        (
            "username with a zero width space",
            edited(set("username", json!("mallory\u{200b}"))),
            json!({ "error": "UsernameNotValid", "reason": "contains a control or invisible formatting character" }),
        ),
        (
            "username with NUL",
            edited(set("username", json!("mallory\u{0}"))),
            json!({ "error": "UsernameNotValid", "reason": "contains a control or invisible formatting character" }),
        ),
        (
            "username with a bidi override",
            edited(set("username", json!("\u{202e}mallory"))),
            json!({ "error": "UsernameNotValid", "reason": "contains a control or invisible formatting character" }),
        ),
        ("rememberMe", edited(set("rememberMe", json!("forever"))), json!({ "error": "RememberMeValueNotValid" })),
        (
            "sessionLength type",
            edited(set("sessionLength", json!("24"))),
            json!({ "error": "SessionLengthMustBeNumber" }),
        ),
        ("sessionLength short", edited(set("sessionLength", json!(0.01))), json!({ "error": "SessionLengthTooShort" })),
        ("profile type", edited(set("profile", json!("x"))), json!({ "error": "ProfileMustBeObject" })),
        (
            "profile value type",
            edited(set("profile", json!({ "age": 3 }))),
            json!({ "error": "ProfileValueMustBeString", "key": "age", "value": 3 }),
        ),
        ("email type", edited(set("email", json!(5))), json!({ "error": "EmailNotValid" })),
        ("email shape", edited(set("email", json!("a@b"))), json!({ "error": "EmailNotValid" })),
        ("missing kdf", edited(remove("kdf")), json!({ "error": "KdfParamsNotValid" })),
        ("kdf algorithm", edited(set("kdf.algorithm", json!("argon2id"))), json!({ "error": "KdfParamsNotValid" })),
        ("logN too low", edited(set("kdf.logN", json!(13))), json!({ "error": "KdfParamsNotValid" })),
        ("logN too high", edited(set("kdf.logN", json!(21))), json!({ "error": "KdfParamsNotValid" })),
        ("logN huge", edited(set("kdf.logN", json!(1u64 << 40))), json!({ "error": "KdfParamsNotValid" })),
        ("logN string", edited(set("kdf.logN", json!("15"))), json!({ "error": "KdfParamsNotValid" })),
        ("r too high", edited(set("kdf.r", json!(17))), json!({ "error": "KdfParamsNotValid" })),
        ("p zero", edited(set("kdf.p", json!(0))), json!({ "error": "KdfParamsNotValid" })),
        ("p too high", edited(set("kdf.p", json!(5))), json!({ "error": "KdfParamsNotValid" })),
        (
            "salt bad base64",
            edited(set("kdf.salt", json!("!!!!!!!!!!!!!!!!!!!!!!"))),
            json!({ "error": "KeyMaterialNotValid", "key": "kdf.salt" }),
        ),
        (
            "salt short",
            edited(set("kdf.salt", json!(b64(15)))),
            json!({ "error": "KeyMaterialNotValid", "key": "kdf.salt" }),
        ),
        (
            "login key missing",
            edited(remove("loginPublicKey")),
            json!({ "error": "KeyMaterialNotValid", "key": "loginPublicKey" }),
        ),
        (
            "login key 31 bytes",
            edited(set("loginPublicKey", json!(b64(31)))),
            json!({ "error": "KeyMaterialNotValid", "key": "loginPublicKey" }),
        ),
        (
            "login key 33 bytes",
            edited(set("loginPublicKey", json!(b64(33)))),
            json!({ "error": "KeyMaterialNotValid", "key": "loginPublicKey" }),
        ),
        (
            "login key padded",
            edited(set("loginPublicKey", json!(format!("{}=", b64(32))))),
            json!({ "error": "KeyMaterialNotValid", "key": "loginPublicKey" }),
        ),
        (
            "login key standard base64",
            edited(set("loginPublicKey", json!(format!("+{}", &b64(32)[1..])))),
            json!({ "error": "KeyMaterialNotValid", "key": "loginPublicKey" }),
        ),
        (
            "login key number",
            edited(set("loginPublicKey", json!(1))),
            json!({ "error": "KeyMaterialNotValid", "key": "loginPublicKey" }),
        ),
        (
            "nonce size",
            edited(set("seedBackup.nonce", json!(b64(16)))),
            json!({ "error": "KeyMaterialNotValid", "key": "seedBackup.nonce" }),
        ),
        (
            "ciphertext size",
            edited(set("seedBackup.ciphertext", json!(b64(47)))),
            json!({ "error": "KeyMaterialNotValid", "key": "seedBackup.ciphertext" }),
        ),
        (
            "seed backup type",
            edited(set("seedBackup", json!("x"))),
            json!({ "error": "KeyMaterialNotValid", "key": "seedBackup" }),
        ),
        ("identity missing", edited(remove("identity")), json!({ "error": "KeyMaterialNotValid", "key": "identity" })),
        (
            "identity exchange",
            edited(remove("identity.exchange")),
            json!({ "error": "KeyMaterialNotValid", "key": "identity.exchange" }),
        ),
        (
            "oversize body",
            edited(set("profile", json!({ "pad": "x".repeat(70 * 1024) }))),
            json!({ "error": "RequestBodyTooLarge", "maxLen": 65536 }),
        ),
    ];
    for (case, body, expected) in cases {
        let (status, answer) = post(&server, body).await;
        assert_eq!(status, 400, "{case}: {answer}");
        for (key, value) in expected.as_object().unwrap() {
            assert_eq!(&answer[key], value, "{case}: {answer}");
        }
        assert!(answer["message"].as_str().is_some_and(|m| !m.is_empty()), "{case}: {answer}");
        assert_eq!(server.written().await, (0, 0, 0), "{case} wrote something");
    }
}

#[tokio::test]
async fn a_hundred_concurrent_sign_ups_of_one_username_make_one_account() {
    let server = TestServer::start().await;
    let http = reqwest::Client::new();
    let attempts = (0..100).map(|_| {
        let request = http.post(server.sign_up_url()).json(&valid_body("Contested"));
        async move {
            let response = request.send().await.expect("request");
            let status = response.status().as_u16();
            let body: Value = response.json().await.expect("json body");
            (status, body["error"].as_str().map(str::to_owned))
        }
    });
    let results = futures::future::join_all(attempts).await;
    let created = results.iter().filter(|(status, _)| *status == 201).count();
    let conflicts = results
        .iter()
        .filter(|(status, error)| *status == 409 && error.as_deref() == Some("UsernameAlreadyExists"))
        .count();
    assert_eq!((created, conflicts), (1, 99), "{results:?}");
    assert_eq!(server.written().await, (1, 1, 1));
}

#[tokio::test]
async fn session_endpoints_reject_missing_credentials_and_malformed_updates() {
    let server = TestServer::start().await;
    let client = server.client();
    client
        .sign_up(sealbase::SignUp {
            username: "ada".into(),
            password: "correct horse battery".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    let http = reqwest::Client::new();
    let user_url = format!("{}/v1/apps/{}/user", server.url, server.app_id);

    for (authorization, case) in
        [(None, "no header"), (Some("Basic abc"), "other scheme"), (Some("Bearer short"), "bad secret")]
    {
        let mut request = http.patch(&user_url).json(&json!({ "email": null }));
        if let Some(value) = authorization {
            request = request.header("authorization", value);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 401, "{case}");
        assert_eq!(response.json::<Value>().await.unwrap()["error"], "SessionNotValid", "{case}");
    }

    // A valid session with malformed update bodies: 400s, nothing changes.
    let secret = {
        let (_, pre) = common::raw::pre_login(&server, "ada").await;
        let signature = common::raw::sign(&server, "ada", "correct horse battery", &pre);
        let (_, signed_in) = common::raw::sign_in(&server, "ada", &pre["challenge"], &signature).await;
        signed_in["session"]["secret"].as_str().unwrap().to_owned()
    };
    let cases = [
        (json!({}), json!({ "error": "ParamsMissing" })),
        (json!([]), json!({ "error": "ParamsMustBeObject" })),
        (json!({ "username": "" }), json!({ "error": "UsernameCannotBeBlank" })),
        (json!({ "profile": {} }), json!({ "error": "ProfileCannotBeEmpty" })),
        (
            json!({ "passwordChange": { "challenge": "x" } }),
            json!({ "error": "KeyMaterialNotValid", "key": "passwordChange.challenge" }),
        ),
    ];
    for (body, expected) in cases {
        let response = http.patch(&user_url).bearer_auth(&secret).json(&body).send().await.unwrap();
        assert_eq!(response.status(), 400, "{body}");
        let answer: Value = response.json().await.unwrap();
        for (key, value) in expected.as_object().unwrap() {
            assert_eq!(&answer[key], value, "{body}: {answer}");
        }
    }
    let row = server.row("SELECT username, profile FROM users").await;
    assert_eq!((row.text("username"), row.opt_text("profile")), ("ada".into(), None));
}

#[tokio::test]
async fn a_path_segment_that_does_not_decode_gets_the_routes_own_error() {
    let server = TestServer::start().await;
    let http = reqwest::Client::new();
    let answer = |request: reqwest::RequestBuilder| async move {
        let response = request.send().await.expect("request");
        (response.status().as_u16(), response.json::<Value>().await.unwrap_or(Value::Null))
    };
    // %FF is not UTF-8: no app can have that id.
    let apps = format!("{}/v1/apps/%FF", server.url);
    let (status, body) = answer(http.get(format!("{apps}/settings"))).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("AppIdNotValid")), "{body}");
    let (status, body) = answer(http.post(format!("{apps}/pre-login")).json(&json!({ "username": "ada" }))).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("AppIdNotValid")), "{body}");
    let (status, body) = answer(http.get(format!("{apps}/jwks.json"))).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("AppIdNotValid")), "{body}");
    // Authenticated routes answer SessionNotValid for anything wrong (protocol §3.5).
    let (status, body) = answer(http.post(format!("{apps}/session")).bearer_auth("A".repeat(43))).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("SessionNotValid")), "{body}");
    // The admin check: a token that does not decode is as invalid as a forged one.
    let (status, body) =
        answer(http.get(format!("{}/v1/admin/auth-tokens/%FF", server.url)).bearer_auth(&server.admin_access_token))
            .await;
    assert_eq!((status, body), (401, json!({ "error": "AuthTokenInvalid", "message": "Auth token invalid." })));
    // An empty one too, after the same checks of the caller's credentials.
    let empty = format!("{}/v1/admin/auth-tokens/", server.url);
    let (status, body) = answer(http.get(&empty).bearer_auth(&server.admin_access_token)).await;
    assert_eq!((status, body), (401, json!({ "error": "AuthTokenInvalid", "message": "Auth token invalid." })));
    let (status, body) = answer(http.get(&empty)).await;
    assert_eq!(
        (status, body),
        (400, json!({ "error": "AuthorizationHeaderMissing", "message": "Authorization header missing." }))
    );
    // Sign-up checks the body before the app (protocol §3.3), whatever the path segment.
    let (status, body) = answer(http.post(format!("{apps}/users")).json(&json!({}))).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("UsernameMissing")), "{body}");
    let (status, body) = answer(http.post(format!("{apps}/users")).json(&valid_body("eve"))).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("AppIdNotValid")), "{body}");
    assert_eq!(server.written().await, (0, 0, 0));
}

#[tokio::test]
async fn a_body_declared_over_the_limit_is_refused_without_waiting_for_it() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let server = TestServer::start().await;
    let address = server.url.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&address).await.expect("connect");
    let head = format!(
        "POST /v1/apps/{}/users HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\n\
         Content-Length: 10000000\r\n\r\n{{",
        server.app_id
    );
    stream.write_all(head.as_bytes()).await.expect("write");
    // The rest of the body never comes: the answer must not wait for it.
    let mut answer = Vec::new();
    let read = tokio::time::timeout(std::time::Duration::from_secs(20), async {
        let mut buffer = [0u8; 4096];
        while !String::from_utf8_lossy(&answer).contains("}") {
            let read = stream.read(&mut buffer).await.expect("read");
            if read == 0 {
                break;
            }
            answer.extend_from_slice(&buffer[..read]);
        }
    })
    .await;
    assert!(read.is_ok(), "no answer while the body was missing");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 400 "), "{answer}");
    assert!(answer.contains(r#""error":"RequestBodyTooLarge""#) && answer.contains(r#""maxLen":65536"#), "{answer}");
    assert_eq!(server.written().await, (0, 0, 0));
}

/// The server-side API reads bodies as strictly as the client API, in its own error style: a repeated
/// key is BODY_NOT_VALID (never its last value), a declared oversize body BODY_TOO_LARGE at once.
#[tokio::test]
async fn the_server_side_api_refuses_repeated_keys_and_declared_oversize_bodies_in_its_style() {
    let server = TestServer::start().await;
    let url = format!("{}/api/v1/server/createUser", server.url);
    let body = format!(
        r#"{{"appId":"{}","appSecret":"x","email":"a@example.com","email":"b@example.com","firstName":"A","lastName":"B","password":"Secret-123!"}}"#,
        server.app_id
    );
    let response = reqwest::Client::new().post(&url).body(body).send().await.expect("request");
    assert_eq!(response.status().as_u16(), 400);
    let answer: serde_json::Value = response.json().await.expect("json");
    assert_eq!(answer["error"], "BODY_NOT_VALID", "{answer}");

    let oversize = vec![b' '; sealbase::protocol::MAX_BODY_BYTES + 1];
    let users = format!("{}/v1/admin/apps/{}/users", server.url, server.app_id);
    let response = reqwest::Client::new().post(&users).body(oversize).send().await.expect("request");
    assert_eq!(response.status().as_u16(), 413);
    let answer: serde_json::Value = response.json().await.expect("json");
    assert_eq!(answer["error"], "BODY_TOO_LARGE", "{answer}");
    assert_eq!(server.count("SELECT COUNT(*) FROM users").await, 0);
}
