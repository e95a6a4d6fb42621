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
pub mod challenges;
pub mod clock;
pub mod db;
pub mod error;
mod routes;
pub mod sessions;
pub mod throttle;
pub mod tokens;
pub mod users;

use std::net::SocketAddr;
use std::sync::Arc;

pub use apps::{CreatedApp, NewApp};
use challenges::ServerSecret;
use db::Database;
use throttle::AddressBudget;
use tokens::TokenSigner;

/// Server configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// `sqlite://path` (created if missing; a file, not `:memory:`).
    pub database_url: String,
    /// `iss` of issued authTokens.
    pub issuer: String,
    /// Pre-login and sign-in requests a client address may make per minute.
    pub address_budget_per_minute: u32,
}

impl Config {
    /// Defaults for a database URL.
    pub fn new(database_url: impl Into<String>) -> Self {
        Self { database_url: database_url.into(), issuer: "sealbase".into(), address_budget_per_minute: 300 }
    }
}

/// Shared state of the handlers.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The database.
    pub db: Arc<Database>,
    /// The authToken signer.
    pub tokens: Arc<TokenSigner>,
    /// MAC key of challenges and fake salts.
    pub secret: Arc<ServerSecret>,
    /// Per-address budget of password attempts.
    pub address_budget: AddressBudget,
    /// `iss` of authTokens, also the audience bound into signed challenges.
    pub issuer: String,
    /// Recently used apps.
    pub apps: Arc<apps::AppCache>,
}

impl AppState {
    /// The app named in a request (cached briefly), or `AppIdNotValid`.
    pub fn app(&self, app_id: &str) -> error::ApiResult<apps::App> {
        self.apps.get(&self.db, app_id)
    }
}

/// A server ready to serve.
#[derive(Debug, Clone)]
pub struct Server {
    state: AppState,
}

impl Server {
    /// Opens the database, runs migrations, and loads (or creates) the token-signing key.
    pub async fn open(config: Config) -> anyhow::Result<Self> {
        let db = Arc::new(Database::open(&config.database_url)?);
        let tokens = Arc::new(TokenSigner::load_or_create(&db, config.issuer.clone()).await?);
        let secret = Arc::new(ServerSecret::load_or_create(&db).await?);
        let address_budget = AddressBudget::per_minute(config.address_budget_per_minute);
        Ok(Self {
            state: AppState { db, tokens, secret, address_budget, issuer: config.issuer, apps: Default::default() },
        })
    }

    /// The database (for operators' tooling).
    pub fn database(&self) -> &Database {
        &self.state.db
    }

    /// Creates an app.
    pub async fn create_app(&self, app: &NewApp) -> anyhow::Result<CreatedApp> {
        apps::create(&self.state.db, app).await
    }

    /// Replaces an app's admin access token (the old one stops working); returns the new one.
    pub async fn new_admin_token(&self, app_id: &str) -> anyhow::Result<String> {
        apps::new_admin_token(&self.state.db, app_id).await
    }

    /// Rotates the token-signing key (see [`tokens::rotate`]); this server signs with the new key at once,
    /// other processes on the same database within a minute.
    pub async fn rotate_signing_key(&self) -> anyhow::Result<String> {
        let kid = tokens::rotate(&self.state.db).await?;
        self.state.tokens.reload(&self.state.db)?;
        Ok(kid)
    }

    /// The HTTP API as an axum router.
    pub fn router(&self) -> axum::Router {
        routes::router(self.state.clone())
    }

    /// Serves until the future is dropped or the process gets Ctrl-C.
    pub async fn serve(self, listener: tokio::net::TcpListener) -> anyhow::Result<()> {
        let housekeeping = tokio::spawn(housekeeping(self.state.clone()));
        let checkpoints = tokio::spawn(checkpoints(self.state.db.clone()));
        let router = self.router().into_make_service_with_connect_info::<SocketAddr>();
        axum::serve(listener, router)
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await?;
        housekeeping.abort();
        checkpoints.abort();
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

/// Every second, a checkpoint of the WAL on a blocking thread (see [`Database::checkpoint`]).
async fn checkpoints(db: Arc<Database>) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let db = db.clone();
        if let Ok(Err(error)) = tokio::task::spawn_blocking(move || db.checkpoint()).await {
            tracing::warn!(%error, "checkpoint failed");
        }
    }
}

/// Once a minute: forget spent challenges past expiry, idle failure counts and full address budgets;
/// pick up a signing key rotated by another process.
async fn housekeeping(state: AppState) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
    loop {
        tick.tick().await;
        // Off the runtime's workers: a purge may delete many rows while holding the write lock.
        let state = state.clone();
        let chores = tokio::task::spawn_blocking(move || {
            if let Err(error) = throttle::purge(&state.db, clock::now_ms()) {
                tracing::warn!(%error, "housekeeping failed");
            }
            state.address_budget.shrink();
            if let Err(error) = state.tokens.reload(&state.db) {
                tracing::warn!(%error, "reloading the signing key failed");
            }
        });
        let _ = chores.await;
    }
}
