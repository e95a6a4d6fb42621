//! A real sealbase-server on loopback, with its SQLite file in a temporary directory.
#![allow(dead_code)]

use sealbase_server::{Config, NewApp, Server};
use sqlx::SqlitePool;

pub struct TestServer {
    pub server: Server,
    pub url: String,
    pub app_id: String,
    pub admin_access_token: String,
    pub dir: tempfile::TempDir,
}

impl TestServer {
    pub async fn start() -> Self {
        Self::with_app(NewApp::default()).await
    }

    pub async fn with_app(app: NewApp) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("sealbase.db").display());
        let server = Server::open(Config::new(url)).await.expect("server opens");
        let created = server.create_app(&app).await.expect("app created");
        let address = server
            .clone()
            .spawn("127.0.0.1:0")
            .await
            .expect("server binds");
        Self {
            server,
            url: format!("http://{address}"),
            app_id: created.app_id,
            admin_access_token: created.admin_access_token,
            dir,
        }
    }

    pub fn pool(&self) -> &SqlitePool {
        self.server.pool()
    }

    pub fn client(&self) -> sealbase::Client {
        sealbase::Client::new(&self.app_id, &self.url).expect("client")
    }

    pub fn sign_up_url(&self) -> String {
        format!("{}/v1/apps/{}/users", self.url, self.app_id)
    }

    pub async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sql)
            .fetch_one(self.pool())
            .await
            .expect("count query")
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
    assert_eq!(
        (error.name(), error.status(), error.to_string().as_str()),
        (name, status, message)
    );
}
