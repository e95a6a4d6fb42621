//! What the PostgreSQL suites share: the cluster of the run, `sealbase-server` processes on a database
//! of the test's own, and raw protocol steps with a login key of the test's own.
#![allow(dead_code)]

#[path = "../../../tests/common/db.rs"]
pub mod db;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use ed25519_dalek::{Signer, SigningKey};
use sealbase::protocol::b64::{self, Bytes};
use sealbase::protocol::{challenge_message, ChallengePurpose};
use serde_json::{json, Value};

pub const SERVER: &str = env!("CARGO_BIN_EXE_sealbase-server");

/// The cluster of this run; these tests are not meant to run without one.
pub fn cluster() -> String {
    match db::Backend::of_this_run() {
        db::Backend::Postgres(url) => url,
        db::Backend::Sqlite => panic!("needs PostgreSQL: set SEALBASE_TEST_POSTGRES to a cluster's superuser URL"),
    }
}

/// A `sealbase-server serve` process.
pub struct Replica {
    child: Child,
    pub url: String,
}

impl Replica {
    /// A server on `database`, its secrets sealed under the key-encryption key in `kek`.
    pub fn start(database: &str, kek: &Path) -> Self {
        let mut child = Command::new(SERVER)
            .args(["serve", "--database", database, "--bind", "127.0.0.1:0", "--address-budget-per-minute", "1000000"])
            .env("RUST_LOG", "warn")
            .env("SEALBASE_KEY_ENCRYPTION_KEY_FILE", kek)
            .stdout(Stdio::piped())
            .spawn()
            .expect("server starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line).expect("server reports its address");
        let url = line.trim().strip_prefix("listening on ").unwrap_or_else(|| panic!("not an address: {line}"));
        Self { url: url.to_owned(), child }
    }

    /// `kill -9`.
    pub fn kill(&mut self) {
        self.child.kill().expect("killed");
        self.child.wait().expect("reaped");
    }

    pub fn app_url(&self, app_id: &str, route: &str) -> String {
        format!("{}/v1/apps/{app_id}/{route}", self.url)
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A database of the test's own on the cluster, with one app made by the CLI.
pub struct Deployment {
    pub db: db::TestDatabase,
    pub app_id: String,
    pub admin_access_token: String,
    /// The key-encryption key file every server of the deployment uses.
    pub kek: PathBuf,
    _dir: tempfile::TempDir,
}

impl Deployment {
    pub async fn new(app_options: &[&str]) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = db::TestDatabase::create(dir.path()).await;
        let created = Command::new(SERVER)
            .args([&["app", "create", "--name", "replicas", "--database", db.url()][..], app_options].concat())
            .output()
            .expect("app create runs");
        assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
        let app: Value = serde_json::from_slice(&created.stdout).expect("app create prints JSON");
        let kek = key_encryption_key_file(dir.path());
        Self {
            kek,
            app_id: app["appId"].as_str().expect("appId").to_owned(),
            admin_access_token: app["adminAccessToken"].as_str().expect("token").to_owned(),
            db,
            _dir: dir,
        }
    }

    pub fn replicas(&self, count: usize) -> Vec<Replica> {
        (0..count).map(|_| Replica::start(self.db.url(), &self.kek)).collect()
    }
}

/// A new key-encryption key file in `dir`.
pub fn key_encryption_key_file(dir: &Path) -> PathBuf {
    let file = dir.join(format!("kek-{}", uuid::Uuid::new_v4().simple()));
    sealbase_server::KeyEncryptionKey::create(&file).expect("KEK file created");
    file
}

/// A login key of the test's own: the server only ever sees its public half, so it need not come
/// from a password here.
pub fn login_key() -> SigningKey {
    SigningKey::from_bytes(&sealbase::crypto::random::array())
}

pub fn sign_up_body(username: &str, key: &SigningKey) -> Value {
    let random = |n: usize| b64::encode(&(0..n).map(|_| rand::random::<u8>()).collect::<Vec<u8>>());
    json!({
        "username": username,
        "rememberMe": "none",
        "sessionLength": 24,
        "kdf": { "algorithm": "scrypt", "logN": 15, "r": 8, "p": 1, "salt": random(16) },
        "loginPublicKey": b64::encode(key.verifying_key().as_bytes()),
        "seedBackup": { "nonce": random(12), "ciphertext": random(48) },
        "identity": { "signing": random(32), "exchange": random(32) }
    })
}

pub async fn send(request: reqwest::RequestBuilder) -> (u16, Value) {
    match request.timeout(Duration::from_secs(30)).send().await {
        Ok(response) => {
            let status = response.status().as_u16();
            (status, response.json().await.unwrap_or(Value::Null))
        }
        // The replica is gone (killed): no answer, so nothing was acknowledged.
        Err(_) => (0, Value::Null),
    }
}

pub async fn post(url: &str, body: &Value) -> (u16, Value) {
    send(reqwest::Client::new().post(url).json(body)).await
}

/// Pre-login and a signature of its challenge: the body of a sign-in.
pub async fn signed_challenge(replica: &Replica, app_id: &str, username: &str, key: &SigningKey) -> Value {
    let (status, pre_login) = post(&replica.app_url(app_id, "pre-login"), &json!({ "username": username })).await;
    assert_eq!(status, 200, "{pre_login}");
    let challenge = Bytes::<{ sealbase::protocol::CHALLENGE_LEN }>::decode(pre_login["challenge"].as_str().unwrap())
        .expect("challenge");
    let audience = pre_login["audience"].as_str().unwrap();
    let message = challenge_message(ChallengePurpose::SignIn, app_id, username, &challenge.0, audience);
    let signature = b64::encode(&key.sign(&message).to_bytes());
    json!({ "username": username, "challenge": pre_login["challenge"], "signature": signature })
}
