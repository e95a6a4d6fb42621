//! # sealbase-server
//!
//! The companion server of [sealbase](../sealbase): it stores only what clients may reveal (public keys,
//! the encrypted seed backup, KDF parameters, profile data), issues sessions and EdDSA-signed authTokens.
//! SQLite (WAL) is the embedded default.
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! let server = sealbase_server::Server::open(sealbase_server::Config::new("sqlite://sealbase.db")).await?;
//! let app = server.create_app(&Default::default()).await?;
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! println!("appId {}", app.app_id);
//! server.serve(listener).await?;
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod apps;
pub mod clock;
pub mod db;
pub mod error;
mod routes;
pub mod tokens;

use std::net::SocketAddr;
use std::sync::Arc;

pub use apps::{CreatedApp, NewApp};
use sqlx::SqlitePool;
use tokens::TokenSigner;

/// Server configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// `sqlite://path` (created if missing) or `sqlite::memory:`.
    pub database_url: String,
    /// `iss` of issued authTokens.
    pub issuer: String,
    /// Longest authToken lifetime, in seconds.
    pub token_lifetime_secs: i64,
}

impl Config {
    /// Defaults for a database URL.
    pub fn new(database_url: impl Into<String>) -> Self {
        Self {
            database_url: database_url.into(),
            issuer: "sealbase".into(),
            token_lifetime_secs: 3600,
        }
    }
}

/// Shared state of the handlers.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The database pool.
    pub db: SqlitePool,
    /// The authToken signer.
    pub tokens: Arc<TokenSigner>,
}

/// A server ready to serve.
#[derive(Debug, Clone)]
pub struct Server {
    state: AppState,
}

impl Server {
    /// Opens the database, runs migrations, and loads (or creates) the token-signing key.
    pub async fn open(config: Config) -> anyhow::Result<Self> {
        let db = db::connect(&config.database_url).await?;
        let tokens = Arc::new(
            TokenSigner::load_or_create(&db, config.issuer, config.token_lifetime_secs).await?,
        );
        Ok(Self {
            state: AppState { db, tokens },
        })
    }

    /// The database pool (for operators' tooling and tests).
    pub fn pool(&self) -> &SqlitePool {
        &self.state.db
    }

    /// Creates an app.
    pub async fn create_app(&self, app: &NewApp) -> anyhow::Result<CreatedApp> {
        apps::create(&self.state.db, app).await
    }

    /// The HTTP API as an axum router.
    pub fn router(&self) -> axum::Router {
        routes::router(self.state.clone())
    }

    /// Serves until the future is dropped or the process gets Ctrl-C.
    pub async fn serve(self, listener: tokio::net::TcpListener) -> anyhow::Result<()> {
        let router = self
            .router()
            .into_make_service_with_connect_info::<SocketAddr>();
        axum::serve(listener, router)
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await?;
        Ok(())
    }

    /// Binds `addr` and serves in a background task; returns the bound address (use port 0 in tests).
    pub async fn spawn(self, addr: &str) -> anyhow::Result<SocketAddr> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let local = listener.local_addr()?;
        tokio::spawn(async move {
            if let Err(error) = self.serve(listener).await {
                tracing::error!(%error, "server stopped");
            }
        });
        Ok(local)
    }
}
