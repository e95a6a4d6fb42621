//! Seed 001's sign-up body (`POST /v1/admin/apps/{appId}/users`), on the backend this run selects:
//! users imported with password hashes made by reference implementations sign in through the Rust SDK;
//! the whole record round-trips; every rule the seed states has its refusal, and a refusal stores
//! nothing.

mod common;

use common::TestServer;
use sealbase::SignIn;
use serde_json::{json, Value};

async fn app_secret(server: &TestServer) -> String {
    server.server.create_app_secret(&server.app_id, "backend").await.expect("secret").app_secret
}

async fn import(server: &TestServer, secret: &str, body: &Value) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(format!("{}/v1/admin/apps/{}/users", server.url, server.app_id))
        .bearer_auth(secret)
        .json(body)
        .send()
        .await
        .expect("request");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|window| window == needle)
}

/// Hashes made by Python's bcrypt, argon2-cffi and hashlib (tests/fixtures/imported_hashes.py, which
/// `cargo xtask test` also checks against those libraries).
fn fixtures() -> Vec<Value> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/imported_hashes.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("fixtures")).expect("fixtures parse")
}

#[tokio::test]
async fn users_imported_with_bcrypt_argon2_and_pbkdf2_hashes_sign_in_to_a_seed_made_on_the_device() {
    let server = TestServer::start().await;
    let secret = app_secret(&server).await;
    let fixtures = fixtures();
    assert!(fixtures.len() >= 9, "every algorithm and form");
    for (index, fixture) in fixtures.iter().enumerate() {
        let mut body =
            json!({"username": format!("user{index}"), "hash_fn": fixture["hash_fn"], "password": fixture["hash"]});
        for extra in ["salt", "hash_iterations", "hash_digest"] {
            if let Some(value) = fixture.get(extra) {
                body[extra] = value.clone();
            }
        }
        let (status, user) = import(&server, &secret, &body).await;
        assert_eq!(status, 201, "{}: {user}", fixture["description"]);
        assert_eq!(
            (user["pending_keys"].as_bool(), user["password_seen_by_server"].as_bool()),
            (Some(true), Some(false))
        );
        assert_eq!(user.get("password"), None);
    }

    // The database holds neither a hash as given nor its hash output.
    let everything = server.db.everything_stored().await;
    for fixture in &fixtures {
        let hash = fixture["hash"].as_str().unwrap();
        assert!(!contains(&everything, hash.as_bytes()), "{hash} is stored");
        let output = hash.rsplit('$').next().unwrap();
        assert!(!contains(&everything, output.as_bytes()), "the output of {hash} is stored");
    }

    for (index, fixture) in fixtures.iter().enumerate() {
        let description = fixture["description"].as_str().unwrap();
        let password = fixture["password"].as_str().unwrap();
        let username = format!("user{index}");
        let client = server.client_with_store(&format!("device{index}.json"));
        let wrong = SignIn { username: username.clone(), password: format!("{password}!"), ..Default::default() };
        assert_eq!(client.sign_in(wrong).await.unwrap_err().name(), "UsernameOrPasswordMismatch", "{description}");
        let sign_in = || SignIn { username: username.clone(), password: password.into(), ..Default::default() };
        let user = client.sign_in(sign_in()).await.unwrap_or_else(|e| panic!("{description}: {e:?}"));
        assert!(!user.password_seen_by_server);
        let fingerprint = client.key_fingerprint().expect("a seed");
        client.sign_out().await.expect("signed out");
        client.sign_in(sign_in()).await.unwrap_or_else(|e| panic!("{description}, again: {e:?}"));
        assert_eq!(client.key_fingerprint().unwrap(), fingerprint, "{description}: the same seed");
    }
    assert_eq!(server.count("SELECT COUNT(*) FROM pending_logins").await, 0);
    assert_eq!(server.count("SELECT COUNT(*) FROM users WHERE kdf_log_n IS NULL").await, 0);
}

fn full_body() -> Value {
    json!({
        "username": "Ada",
        "email": "Ada@Example.com",
        "email_verified": true,
        "verify_email": false,
        "name": "Ada King, Countess of Lovelace",
        "password": "correct horse battery staple",
        "blocked": false,
        "login_attempts": 3,
        "phone_number": "+44 (20) 7946-0958",
        "phone_number_verified": true,
        "picture": "https://example.com/ada.png",
        "metadata": {"plan": "pro", "seats": 3, "beta": true, "legacy_id": null},
        "identities": [
            {"connection": "github-main", "provider": "github", "type": "social", "id": "1815", "details": {"login": "ada"}},
            {"connection": "sms", "provider": "twilio", "type": "sms", "details": {}}
        ],
        "profile": {
            "addresses": [
                {"id": "Home", "is_primary": true, "first_name": "Ada", "last_name": "King", "street_address": "12 St James's Square\nFlat 2", "street_address_2": "Westminster", "city": "London", "state": "Greater London", "zip_code": "SW1Y 4JH", "country": "United Kingdom"},
                {"id": "Work", "city": "London"}
            ],
            "birthdate": "1815-12-10",
            "family_name": "King",
            "gender": "female",
            "given_name": "Ada",
            "locale": "en-GB",
            "middle_name": "Augusta",
            "nickname": "Ada",
            "profile_page": "https://example.com/ada",
            "website": "https://example.com",
            "zoneinfo": "Europe/London"
        }
    })
}

#[tokio::test]
async fn the_whole_record_is_stored_and_answered_and_never_a_password() {
    let server = TestServer::start().await;
    let secret = app_secret(&server).await;
    let (status, user) = import(&server, &secret, &full_body()).await;
    assert_eq!(status, 201, "{user}");
    let mut expected = full_body();
    let fields = expected.as_object_mut().unwrap();
    fields.remove("password");
    fields.insert("username".into(), "ada".into());
    fields.insert("email".into(), "ada@example.com".into());
    fields.insert("phone_number".into(), "+442079460958".into());
    fields.insert("id".into(), user["id"].clone());
    fields.insert("created_at".into(), user["created_at"].clone());
    fields.insert("pending_keys".into(), true.into());
    fields.insert("password_seen_by_server".into(), true.into());
    assert_eq!(user, expected);
    assert!(user["created_at"].as_str().unwrap().ends_with('Z'));

    let row = server.row("SELECT * FROM users").await;
    assert_eq!((row.int("login_attempts"), row.int("email_verified"), row.int("blocked")), (3, 1, 0));
    assert_eq!(row.text("phone_number"), "+442079460958");
    assert_eq!(server.count("SELECT COUNT(*) FROM identities").await, 2);
    assert!(!contains(&server.db.everything_stored().await, b"correct horse battery staple"));

    // An identity (provider, id) belongs to one user of the app.
    let mut second = json!({"username": "babbage", "password": "difference engine 2", "identities": [full_body()["identities"][0].clone()]});
    let (status, error) = import(&server, &secret, &second).await;
    assert_eq!(
        (status, error),
        (
            400,
            json!({"error": "IDENTITY_ALREADY_LINKED", "field": "identities[0]", "message": "Identity already linked to another user."})
        )
    );
    second["identities"][0]["provider"] = "gitlab".into();
    let (status, error) = import(&server, &secret, &second).await;
    assert_eq!(
        (status, error["field"].as_str()),
        (400, Some("identities[0].provider")),
        "not one of the seed's providers"
    );
    second["identities"][0]["provider"] = "google".into();
    assert_eq!(import(&server, &secret, &second).await.0, 201, "another provider, the same id");
    assert_eq!(server.count("SELECT COUNT(*) FROM users").await, 2);
}

#[tokio::test]
async fn the_api_wants_a_live_secret_of_the_app_in_the_header() {
    let server = TestServer::start().await;
    let secret = app_secret(&server).await;
    let other = server.server.create_app(&Default::default()).await.expect("another app");
    let other_secret = server.server.create_app_secret(&other.app_id, "backend").await.expect("secret").app_secret;
    let url = format!("{}/v1/admin/apps/{}/users", server.url, server.app_id);
    let body = json!({"username": "ada", "password": "correct horse battery"});
    let unauthorized = json!({"error": "UNAUTHORIZED", "message": "App ID or app secret not valid."});
    for authorization in
        [None, Some("Basic abc".to_owned()), Some(format!("Bearer {other_secret}")), Some(format!("bearer {secret}"))]
    {
        let mut request = reqwest::Client::new().post(&url).json(&body);
        if let Some(value) = &authorization {
            request = request.header("authorization", value);
        }
        let response = request.send().await.expect("request");
        assert_eq!(response.status().as_u16(), 401, "{authorization:?}");
        assert_eq!(response.json::<Value>().await.unwrap(), unauthorized);
    }
    // The secret in the body is not read here.
    let (status, _) =
        common::raw::post(&url, &json!({"username": "ada", "password": "correct horse battery", "appSecret": secret}))
            .await;
    assert_eq!(status, 401);
    assert_eq!(server.count("SELECT COUNT(*) FROM users").await, 0);
}

#[tokio::test]
async fn every_rule_of_the_seed_has_its_refusal_and_a_refusal_stores_nothing() {
    let server = TestServer::start().await;
    let secret = app_secret(&server).await;
    let base = json!({"username": "ada", "email": "ada@example.com", "password": "correct horse battery"});
    // (what, the change to `base`, the error, the field)
    let set = |path: &[&str], value: Value| {
        let mut body = base.clone();
        let mut target = &mut body;
        for key in &path[..path.len() - 1] {
            target = &mut target[*key];
        }
        target[path[path.len() - 1]] = value;
        body
    };
    let long = |n: usize| Value::from("x".repeat(n));
    let metadata = |n: usize| Value::Object((0..n).map(|i| (format!("k{i}"), Value::from(i))).collect());
    let identity = json!({"connection": "main", "provider": "github", "type": "social", "id": "1", "details": {}});
    let with_identity = |key: &str, value: Value| {
        let mut item = identity.clone();
        item[key] = value;
        set(&["identities"], json!([item]))
    };
    let address = |key: &str, value: Value| set(&["profile"], json!({"addresses": [{ key: value }]}));
    let cases: Vec<(&str, Value, &str, &str)> = vec![
        ("unknown field", set(&["nickname"], json!("ada")), "UNKNOWN_FIELD", "nickname"),
        ("no username or email", json!({"password": "correct horse battery"}), "FIELD_MISSING", "username"),
        ("username a number", set(&["username"], json!(1)), "FIELD_NOT_VALID", "username"),
        ("username over 100", set(&["username"], long(101)), "FIELD_TOO_LONG", "username"),
        ("email not an address", set(&["email"], json!("ada")), "FIELD_NOT_VALID", "email"),
        ("no password", json!({"username": "ada"}), "FIELD_MISSING", "password"),
        ("password over 1000", set(&["password"], long(1001)), "FIELD_TOO_LONG", "password"),
        ("blocked not a boolean", set(&["blocked"], json!("no")), "FIELD_NOT_VALID", "blocked"),
        ("email_verified not a boolean", set(&["email_verified"], json!(1)), "FIELD_NOT_VALID", "email_verified"),
        (
            "email_verified without email",
            json!({"username": "ada", "password": "correct horse battery", "email_verified": true}),
            "FIELD_NOT_VALID",
            "email_verified",
        ),
        (
            "verify_email without email",
            json!({"username": "ada", "password": "correct horse battery", "verify_email": true}),
            "FIELD_NOT_VALID",
            "verify_email",
        ),
        ("hash_fn unknown", set(&["hash_fn"], json!("md5")), "FIELD_NOT_VALID", "hash_fn"),
        ("a bcrypt hash that is not one", set(&["hash_fn"], json!("bcrypt")), "FIELD_NOT_VALID", "password"),
        (
            "an argon2 hash with keyid",
            json!({"username": "ada", "hash_fn": "argon2", "password": "$argon2id$v=19$m=64,t=1,p=1,keyid=AAAA$c29tZXNhbHQ$aGFzaGhhc2hoYXNo"}),
            "FIELD_NOT_VALID",
            "password",
        ),
        (
            "a bcrypt cost over 16",
            json!({"username": "ada", "hash_fn": "bcrypt", "password": "$2b$17$8wWeAKzJpqr39LrkFzUGhuVpAByToGsR79dOoVkMCSvIU1bx5CRSy"}),
            "FIELD_NOT_VALID",
            "password",
        ),
        (
            "a salt other than the hash's",
            json!({"username": "ada", "hash_fn": "bcrypt", "password": "$2b$04$8wWeAKzJpqr39LrkFzUGhuVpAByToGsR79dOoVkMCSvIU1bx5CRSy", "salt": "AAAAAAAAAAAAAAAAAAAAAA"}),
            "FIELD_NOT_VALID",
            "salt",
        ),
        ("salt without hash_fn", set(&["salt"], json!("pepper")), "FIELD_NOT_VALID", "salt"),
        (
            "plain pbkdf2 without iterations",
            json!({"username": "ada", "hash_fn": "pbkdf2", "password": "00112233445566778899aabbccddeeff", "salt": "s"}),
            "FIELD_NOT_VALID",
            "hash_iterations",
        ),
        (
            "plain pbkdf2 without salt",
            json!({"username": "ada", "hash_fn": "pbkdf2", "password": "00112233445566778899aabbccddeeff", "hash_iterations": 1000}),
            "FIELD_NOT_VALID",
            "salt",
        ),
        ("login_attempts -1", set(&["login_attempts"], json!(-1)), "FIELD_NOT_VALID", "login_attempts"),
        ("login_attempts 20001", set(&["login_attempts"], json!(20001)), "FIELD_NOT_VALID", "login_attempts"),
        ("login_attempts 1.5", set(&["login_attempts"], json!(1.5)), "FIELD_NOT_VALID", "login_attempts"),
        ("name over 300", set(&["name"], long(301)), "FIELD_TOO_LONG", "name"),
        ("phone without +", set(&["phone_number"], json!("2079460958")), "FIELD_NOT_VALID", "phone_number"),
        ("phone of 16 digits", set(&["phone_number"], json!("+1234567890123456")), "FIELD_NOT_VALID", "phone_number"),
        ("phone starting with 0", set(&["phone_number"], json!("+02079460958")), "FIELD_NOT_VALID", "phone_number"),
        ("phone with letters", set(&["phone_number"], json!("+44 20 CALL ADA")), "FIELD_NOT_VALID", "phone_number"),
        (
            "phone_number_verified without phone",
            set(&["phone_number_verified"], json!(true)),
            "FIELD_NOT_VALID",
            "phone_number_verified",
        ),
        ("picture not a URL", set(&["picture"], json!("ada.png")), "FIELD_NOT_VALID", "picture"),
        ("picture a javascript: URL", set(&["picture"], json!("javascript:alert(1)")), "FIELD_NOT_VALID", "picture"),
        ("metadata not an object", set(&["metadata"], json!([1])), "FIELD_NOT_VALID", "metadata"),
        ("metadata of 11 fields", set(&["metadata"], metadata(11)), "FIELD_NOT_VALID", "metadata"),
        ("a metadata key over 1024", set(&["metadata"], json!({ "k".repeat(1025): 1 })), "FIELD_NOT_VALID", "metadata"),
        (
            "a metadata value over 1024",
            set(&["metadata"], json!({"bio": "x".repeat(1025)})),
            "FIELD_TOO_LONG",
            "metadata.bio",
        ),
        ("a metadata value an object", set(&["metadata"], json!({"nested": {}})), "FIELD_NOT_VALID", "metadata.nested"),
        ("a metadata value an array", set(&["metadata"], json!({"list": []})), "FIELD_NOT_VALID", "metadata.list"),
        ("identities not an array", set(&["identities"], json!({})), "FIELD_NOT_VALID", "identities"),
        (
            "21 identities",
            set(&["identities"], Value::Array(vec![identity.clone(); 21])),
            "FIELD_NOT_VALID",
            "identities",
        ),
        (
            "identity without connection",
            with_identity("connection", Value::Null),
            "FIELD_MISSING",
            "identities[0].connection",
        ),
        (
            "identity without provider",
            with_identity("provider", Value::Null),
            "FIELD_MISSING",
            "identities[0].provider",
        ),
        (
            "identity provider not in the list",
            with_identity("provider", json!("myspace")),
            "FIELD_NOT_VALID",
            "identities[0].provider",
        ),
        (
            "identity type not in the list",
            with_identity("type", json!("carrier-pigeon")),
            "FIELD_NOT_VALID",
            "identities[0].type",
        ),
        ("identity without details", with_identity("details", Value::Null), "FIELD_MISSING", "identities[0].details"),
        (
            "identity details not an object",
            with_identity("details", json!("raw")),
            "FIELD_NOT_VALID",
            "identities[0].details",
        ),
        ("identity id a number", with_identity("id", json!(1)), "FIELD_NOT_VALID", "identities[0].id"),
        ("identity unknown field", with_identity("user_id", json!("1")), "UNKNOWN_FIELD", "identities[0].user_id"),
        (
            "an identity twice",
            set(&["identities"], json!([identity.clone(), identity.clone()])),
            "FIELD_NOT_VALID",
            "identities[1]",
        ),
        ("profile not an object", set(&["profile"], json!("ada")), "FIELD_NOT_VALID", "profile"),
        ("profile unknown field", set(&["profile", "shoe_size"], json!(9)), "UNKNOWN_FIELD", "profile.shoe_size"),
        (
            "birthdate as DD/MM/YYYY",
            set(&["profile", "birthdate"], json!("10/12/1815")),
            "FIELD_NOT_VALID",
            "profile.birthdate",
        ),
        (
            "birthdate 30 February",
            set(&["profile", "birthdate"], json!("1815-02-30")),
            "FIELD_NOT_VALID",
            "profile.birthdate",
        ),
        (
            "birthdate 29 February of 1815",
            set(&["profile", "birthdate"], json!("1815-02-29")),
            "FIELD_NOT_VALID",
            "profile.birthdate",
        ),
        (
            "birthdate month 13",
            set(&["profile", "birthdate"], json!("0000-13-01")),
            "FIELD_NOT_VALID",
            "profile.birthdate",
        ),
        (
            "birthdate year 0000 alone",
            set(&["profile", "birthdate"], json!("0000")),
            "FIELD_NOT_VALID",
            "profile.birthdate",
        ),
        ("gender 11", set(&["profile", "gender"], json!(11)), "FIELD_NOT_VALID", "profile.gender"),
        ("gender -11", set(&["profile", "gender"], json!(-11)), "FIELD_NOT_VALID", "profile.gender"),
        ("gender of 11 characters", set(&["profile", "gender"], long(11)), "FIELD_TOO_LONG", "profile.gender"),
        ("gender a boolean", set(&["profile", "gender"], json!(true)), "FIELD_NOT_VALID", "profile.gender"),
        (
            "locale not a language tag",
            set(&["profile", "locale"], json!("english please")),
            "FIELD_NOT_VALID",
            "profile.locale",
        ),
        (
            "zoneinfo not a time zone",
            set(&["profile", "zoneinfo"], json!("Europe/Atlantis")),
            "FIELD_NOT_VALID",
            "profile.zoneinfo",
        ),
        (
            "website not http",
            set(&["profile", "website"], json!("ftp://example.com")),
            "FIELD_NOT_VALID",
            "profile.website",
        ),
        (
            "profile_page not a URL",
            set(&["profile", "profile_page"], json!("example.com/ada")),
            "FIELD_NOT_VALID",
            "profile.profile_page",
        ),
        ("given_name over 150", set(&["profile", "given_name"], long(151)), "FIELD_TOO_LONG", "profile.given_name"),
        ("family_name blank", set(&["profile", "family_name"], json!(" ")), "FIELD_NOT_VALID", "profile.family_name"),
        (
            "middle_name with a control character",
            set(&["profile", "middle_name"], json!("A\u{7}")),
            "FIELD_NOT_VALID",
            "profile.middle_name",
        ),
        ("nickname over 300", set(&["profile", "nickname"], long(301)), "FIELD_TOO_LONG", "profile.nickname"),
        ("addresses not an array", set(&["profile", "addresses"], json!({})), "FIELD_NOT_VALID", "profile.addresses"),
        (
            "11 addresses",
            set(&["profile"], json!({"addresses": vec![json!({"city": "London"}); 11]})),
            "FIELD_NOT_VALID",
            "profile.addresses",
        ),
        ("address unknown field", address("postcode", json!("SW1")), "UNKNOWN_FIELD", "profile.addresses[0].postcode"),
        ("address city over 255", address("city", long(256)), "FIELD_TOO_LONG", "profile.addresses[0].city"),
        (
            "address is_primary not a boolean",
            address("is_primary", json!("yes")),
            "FIELD_NOT_VALID",
            "profile.addresses[0].is_primary",
        ),
        (
            "street over 1024",
            address("street_address", long(1025)),
            "FIELD_TOO_LONG",
            "profile.addresses[0].street_address",
        ),
        (
            "two primary addresses",
            set(&["profile"], json!({"addresses": [{"is_primary": true}, {"is_primary": true}]})),
            "FIELD_NOT_VALID",
            "profile.addresses[1].is_primary",
        ),
        (
            "two addresses of one id",
            set(&["profile"], json!({"addresses": [{"id": "Home"}, {"id": "Home"}]})),
            "FIELD_NOT_VALID",
            "profile.addresses[1].id",
        ),
    ];
    for (case, body, error, field) in &cases {
        let (status, answer) = import(&server, &secret, body).await;
        assert_eq!(
            (status, answer["error"].as_str(), answer["field"].as_str()),
            (400, Some(*error), Some(*field)),
            "{case}: {answer}"
        );
        assert!(answer["message"].as_str().is_some_and(|message| message.starts_with(field)), "{case}: {answer}");
    }
    assert_eq!(
        (server.count("SELECT COUNT(*) FROM users").await, server.count("SELECT SUM(user_count) FROM apps").await),
        (0, 0),
        "no refusal stored anything"
    );

    // The edges that are allowed.
    let allowed: Vec<(&str, Value)> = vec![
        ("login_attempts 20000", set(&["login_attempts"], json!(20000))),
        ("metadata of 10 fields", set(&["metadata"], metadata(10))),
        ("metadata key and value of 1024", set(&["metadata"], json!({ "k".repeat(1024): "v".repeat(1024) }))),
        ("birthdate YYYY", set(&["profile", "birthdate"], json!("1815"))),
        ("birthdate without its year", set(&["profile", "birthdate"], json!("0000-02-29"))),
        ("birthdate 29 February 2000", set(&["profile", "birthdate"], json!("2000-02-29"))),
        ("gender -10", set(&["profile", "gender"], json!(-10))),
        ("gender of 10 characters", set(&["profile", "gender"], long(10))),
        ("locale with _", set(&["profile", "locale"], json!("fr_CA"))),
        ("phone with 15 digits", set(&["phone_number"], json!("+123456789012345"))),
        ("no email, username given", json!({"username": "ada", "password": "correct horse battery"})),
    ];
    for (index, (case, mut body)) in allowed.into_iter().enumerate() {
        body["username"] = format!("allowed{index}").into();
        if body.get("email").is_some() {
            body["email"] = format!("allowed{index}@example.com").into();
        }
        let (status, answer) = import(&server, &secret, &body).await;
        assert_eq!(status, 201, "{case}: {answer}");
    }
    // Without a username, the email is the username.
    let (status, answer) =
        import(&server, &secret, &json!({"email": "Grace@Example.com", "password": "correct horse battery"})).await;
    assert_eq!((status, answer["username"].as_str()), (201, Some("grace@example.com")));
}
