//! A real sealbase-server on loopback, on the backend the run selects: SQLite in a temporary directory
//! (the default), or, with `SEALBASE_TEST_POSTGRES` set to a superuser URL of a PostgreSQL cluster, a
//! fresh database of its own on that cluster (`cargo xtask test` runs every suite both ways).
#![allow(dead_code)]

pub mod db;

use std::sync::Arc;

use sealbase_server::store::testing::PausingStore;
use sealbase_server::{Config, KeyEncryptionKey, KeySource, NewApp, Server};

pub use db::Row;

pub struct TestServer {
    pub server: Server,
    pub url: String,
    pub app_id: String,
    pub admin_access_token: String,
    pub dir: tempfile::TempDir,
    /// The store the server runs on, to hold chosen calls at a pause (races staged on any backend).
    pub store: Arc<PausingStore>,
    /// The database, for what the tests read and change behind the server's back.
    pub db: db::TestDatabase,
    /// The key-encryption key the server seals its own secrets with.
    pub kek: Arc<KeyEncryptionKey>,
}

impl TestServer {
    pub async fn start() -> Self {
        Self::with_app(NewApp::default()).await
    }

    pub async fn with_app(app: NewApp) -> Self {
        Self::with(|config| config, app).await
    }

    /// A server whose per-address budget is `per_minute` requests.
    pub async fn with_address_budget(per_minute: u32) -> Self {
        Self::with(|config| Config { address_budget_per_minute: per_minute, ..config }, NewApp::default()).await
    }

    pub async fn with(configure: impl FnOnce(Config) -> Config, app: NewApp) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = db::TestDatabase::create(dir.path()).await;
        let store = Arc::new(PausingStore::new(sealbase_server::store::open(db.url()).await.expect("store opens")));
        let kek = Arc::new(KeyEncryptionKey::generate().0);
        let config = Config { key_encryption_key: KeySource::Key(kek.clone()), ..Config::new(db.url()) };
        let server = Server::with_store(configure(config), store.clone()).await.expect("server opens");
        let created = server.create_app(&app).await.expect("app created");
        let address = server.clone().spawn("127.0.0.1:0").await.expect("server binds");
        Self {
            server,
            url: format!("http://{address}"),
            app_id: created.app_id,
            admin_access_token: created.admin_access_token,
            dir,
            store,
            db,
            kek,
        }
    }

    /// The first column of the first row of `sql` as a number (`COUNT(*)`, `SUM(…)`, a column).
    pub async fn count(&self, sql: &str) -> i64 {
        self.db.count(sql).await
    }

    /// The first row of `sql`, by column name.
    pub async fn row(&self, sql: &str) -> Row {
        self.db.rows(sql).await.into_iter().next().unwrap_or_else(|| panic!("no row: {sql}"))
    }

    /// Runs a statement behind the server's back; the rows it changed.
    pub async fn execute(&self, sql: &str) -> u64 {
        self.db.execute(sql).await
    }

    /// A client whose `Local` store is a file in this test's directory.
    pub fn client(&self) -> sealbase::Client {
        self.client_with_store("local-store.json")
    }

    /// A client whose `Local` store is the named file in this test's directory (same name = same
    /// device across "restarts").
    pub fn client_with_store(&self, file: &str) -> sealbase::Client {
        sealbase::Client::new(&self.app_id, &self.url)
            .expect("client")
            .with_local_store(sealbase::store::FileStore::new(self.dir.path().join(file)))
    }

    pub fn sign_up_url(&self) -> String {
        format!("{}/v1/apps/{}/users", self.url, self.app_id)
    }

    /// (users, sessions, apps.user_count): everything a sign-up writes.
    pub async fn written(&self) -> (i64, i64, i64) {
        (
            self.count("SELECT COUNT(*) FROM users").await,
            self.count("SELECT COUNT(*) FROM sessions").await,
            self.count("SELECT SUM(user_count) FROM apps").await,
        )
    }
}

/// A well-formed sign-up body with random key material (the server cannot and need not tell it from
/// real keys), so raw-request tests cost no scrypt.
pub fn valid_body(username: &str) -> serde_json::Value {
    use sealbase::protocol::b64;
    let random = |n: usize| b64::encode(&(0..n).map(|_| rand::random::<u8>()).collect::<Vec<u8>>());
    serde_json::json!({
        "username": username,
        "rememberMe": "session",
        "sessionLength": 24,
        "kdf": { "algorithm": "scrypt", "logN": 15, "r": 8, "p": 1, "salt": random(16) },
        "loginPublicKey": random(32),
        "seedBackup": { "nonce": random(12), "ciphertext": random(48) },
        "identity": { "signing": random(32), "exchange": random(32) }
    })
}

/// Asserts an error's public name, status and message together.
#[track_caller]
pub fn assert_error(error: &sealbase::Error, name: &str, status: u16, message: &str) {
    assert_eq!((error.name(), error.status(), error.to_string().as_str()), (name, status, message));
}

/// Raw protocol steps, for tests that need to see or tamper with what crosses the wire.
pub mod raw {
    use sealbase::crypto::PasswordKey;
    use sealbase::protocol::b64::Bytes;
    use sealbase::protocol::{challenge_message, ChallengePurpose, PreLoginResponse};
    use sealbase::validate::normalize_password;
    use serde_json::{json, Value};

    pub async fn post(url: &str, body: &Value) -> (u16, Value) {
        let response = reqwest::Client::new().post(url).json(body).send().await.expect("request");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    pub async fn pre_login(server: &super::TestServer, username: &str) -> (u16, Value) {
        post(&format!("{}/v1/apps/{}/pre-login", server.url, server.app_id), &json!({ "username": username })).await
    }

    /// The signature a client with `password` would send for this pre-login answer.
    pub fn sign(server: &super::TestServer, username: &str, password: &str, pre_login: &Value) -> String {
        let pre_login: PreLoginResponse = serde_json::from_value(pre_login.clone()).expect("pre-login shape");
        let kdf = pre_login.kdf.expect("an account with keys");
        let key = PasswordKey::derive(normalize_password(password).as_bytes(), &kdf).expect("kdf");
        let message = challenge_message(
            ChallengePurpose::SignIn,
            &server.app_id,
            username,
            &pre_login.challenge.0,
            &pre_login.audience,
        );
        Bytes(key.login_key().sign(&message).to_bytes()).encode()
    }

    pub async fn sign_in(
        server: &super::TestServer,
        username: &str,
        challenge: &Value,
        signature: &str,
    ) -> (u16, Value) {
        let body = json!({ "username": username, "challenge": challenge, "signature": signature });
        post(&format!("{}/v1/apps/{}/sign-in", server.url, server.app_id), &body).await
    }

    /// Resumes with a raw session secret.
    pub async fn resume(server: &super::TestServer, secret: &str) -> (u16, Value) {
        let response = reqwest::Client::new()
            .post(format!("{}/v1/apps/{}/session", server.url, server.app_id))
            .bearer_auth(secret)
            .send()
            .await
            .expect("request");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }
}
