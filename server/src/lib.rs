//! # sealbase-server
//!
//! The companion server of sealbase: it stores only what clients may reveal (public keys, the
//! encrypted seed backup, KDF parameters, profile data), issues sessions and EdDSA-signed authTokens.
//! SQLite is the embedded default; PostgreSQL serves several stateless servers on one database.
//!
//! Layers, each in its own directory: `http` (routes and extractors: parse, call the domain and the
//! store, respond), `auth` (the rules: challenges, proofs, throttling, sessions, tokens; no SQL, no
//! HTTP) and `store` (the one storage seam, [`store::Store`], and its backends).
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
pub mod auth;
pub mod clock;
pub mod error;
mod http;
pub mod mail;
pub mod store;
mod users;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

pub use apps::{AppSecretInfo, AppSettings, CreatedApp, CreatedAppSecret, NewApp};
use auth::budget::AddressBudget;
use auth::challenge::ServerSecret;
pub use auth::sealing::KeyEncryptionKey;
use auth::tokens::{self, TokenSigner};
pub use ipnet::IpNet;
pub use mail::{MailConfig, MailTransport};
pub use store::AppChange;
use store::Store;

/// Server configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// `sqlite://path` (created if missing; a file, not `:memory:`) or `postgres://user@host:port/db`.
    pub database_url: String,
    /// `iss` of issued authTokens.
    pub issuer: String,
    /// Requests that test a password or username one client address may make per minute (per server).
    pub address_budget_per_minute: u32,
    /// Reverse proxies whose `X-Forwarded-For` names the client (empty: the TCP peer is the client).
    pub trusted_proxies: Vec<IpNet>,
    /// Where the key-encryption key that seals the server's own secrets at rest comes from.
    pub key_encryption_key: KeySource,
    /// Verification mail.
    pub mail: MailConfig,
}

/// Where a server's key-encryption key comes from (docs/protocol.md §5.3).
#[derive(Debug, Clone, Default)]
pub enum KeySource {
    /// A file of 32 random bytes, base64url, readable by its owner only.
    File(PathBuf),
    /// A key at hand (an embedding application's, a test's).
    Key(Arc<KeyEncryptionKey>),
    /// On SQLite, the file `<database file>.kek` beside the database, created (0600) when missing; on
    /// PostgreSQL none: a server there refuses to start without a key.
    #[default]
    BesideSqliteDatabase,
}

impl KeySource {
    fn missing_on_postgres() -> anyhow::Error {
        anyhow::anyhow!(
            "a server on PostgreSQL needs a key-encryption key: --key-encryption-key-file (or \
             SEALBASE_KEY_ENCRYPTION_KEY_FILE) naming a file of 32 random bytes, base64url"
        )
    }

    /// The key, for a server on `database_url`.
    fn resolve(&self, database_url: &str) -> anyhow::Result<Arc<KeyEncryptionKey>> {
        match self {
            Self::File(path) => Ok(Arc::new(KeyEncryptionKey::read(path)?)),
            Self::Key(key) => Ok(key.clone()),
            Self::BesideSqliteDatabase => {
                let Some(path) = store::sqlite::file_path(database_url) else {
                    return Err(Self::missing_on_postgres());
                };
                let file = PathBuf::from(format!("{}.kek", path.display()));
                if file.exists() {
                    return Ok(Arc::new(KeyEncryptionKey::read(&file)?));
                }
                tracing::info!(file = %file.display(), "created a key-encryption key beside the database");
                Ok(Arc::new(KeyEncryptionKey::create(&file)?))
            }
        }
    }
}

impl Config {
    /// Defaults for a database URL.
    pub fn new(database_url: impl Into<String>) -> Self {
        Self {
            database_url: database_url.into(),
            issuer: "sealbase".into(),
            address_budget_per_minute: 300,
            trusted_proxies: Vec::new(),
            key_encryption_key: KeySource::default(),
            mail: MailConfig::default(),
        }
    }
}

/// Shared state of the handlers.
#[derive(Debug, Clone)]
pub(crate) struct AppState {
    /// The database.
    pub store: Arc<dyn Store>,
    /// The authToken signer.
    pub tokens: Arc<TokenSigner>,
    /// MAC key of challenges and fake salts.
    pub secret: Arc<ServerSecret>,
    /// Per-address budget of password and username tests.
    pub address_budget: AddressBudget,
    /// Proxies trusted to name the client.
    pub trusted_proxies: Arc<[IpNet]>,
    /// `iss` of authTokens, also the audience bound into signed challenges.
    pub issuer: String,
    /// Recently used apps.
    pub apps: Arc<apps::AppCache>,
    /// Verification mail, when the server has a transport.
    pub mail: Option<Arc<mail::Mailer>>,
}

impl AppState {
    /// The app named in a request (cached briefly), or `AppIdNotValid`.
    pub async fn app(&self, app_id: &str) -> error::ApiResult<store::AppRecord> {
        self.apps.get(self.store.as_ref(), app_id).await
    }
}

/// A server ready to serve.
#[derive(Debug, Clone)]
pub struct Server {
    state: AppState,
    kek: Arc<KeyEncryptionKey>,
}

impl Server {
    /// Opens the database named by the configuration (running its migrations), seals what it keeps
    /// plain of the server's own secrets, and loads (or creates) the token-signing key and the server
    /// secret.
    pub async fn open(config: Config) -> anyhow::Result<Self> {
        // The store first (it checks the URL), but a server that cannot have a key does not touch it.
        if matches!(config.key_encryption_key, KeySource::BesideSqliteDatabase) {
            store::sqlite::file_path(&config.database_url).ok_or_else(KeySource::missing_on_postgres)?;
        }
        let store = store::open(&config.database_url).await?;
        let kek = config.key_encryption_key.resolve(&config.database_url)?;
        Self::with_store(Config { key_encryption_key: KeySource::Key(kek), ..config }, store).await
    }

    /// A server on a store opened beforehand (`config.database_url` names the database for
    /// [`KeySource::BesideSqliteDatabase`] only).
    pub async fn with_store(config: Config, store: Arc<dyn Store>) -> anyhow::Result<Self> {
        let kek = config.key_encryption_key.resolve(&config.database_url)?;
        auth::sealing::seal_what_is_plain(store.as_ref(), &kek).await?;
        let tokens = Arc::new(TokenSigner::load_or_create(store.as_ref(), config.issuer.clone(), kek.clone()).await?);
        let secret = Arc::new(ServerSecret::load_or_create(store.as_ref(), &kek).await?);
        let mail = mail::Mailer::new(&config.mail)?.map(Arc::new);
        let state = AppState {
            store,
            tokens,
            secret,
            address_budget: AddressBudget::per_minute(config.address_budget_per_minute),
            trusted_proxies: config.trusted_proxies.into(),
            issuer: config.issuer,
            apps: Default::default(),
            mail,
        };
        Ok(Self { state, kek })
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.state.store
    }

    /// Creates an app.
    pub async fn create_app(&self, app: &NewApp) -> anyhow::Result<CreatedApp> {
        apps::create(self.state.store.as_ref(), app).await
    }

    /// Replaces an app's admin access token (the old one stops working); returns the new one.
    pub async fn new_admin_token(&self, app_id: &str) -> anyhow::Result<String> {
        apps::new_admin_token(self.state.store.as_ref(), app_id).await
    }

    /// Changes an app's settings (its password policy).
    pub async fn update_app(&self, app_id: &str, change: &AppChange) -> anyhow::Result<AppSettings> {
        apps::update(self.state.store.as_ref(), app_id, change).await
    }

    /// Creates a named secret for an app's backend (the secret is in the answer, and nowhere else).
    pub async fn create_app_secret(&self, app_id: &str, name: &str) -> anyhow::Result<CreatedAppSecret> {
        apps::create_secret(self.state.store.as_ref(), app_id, name).await
    }

    /// The app's live secrets: names, creation and last use.
    pub async fn app_secrets(&self, app_id: &str) -> anyhow::Result<Vec<AppSecretInfo>> {
        apps::secrets(self.state.store.as_ref(), app_id).await
    }

    /// Revokes an app's secret by name.
    pub async fn revoke_app_secret(&self, app_id: &str, name: &str) -> anyhow::Result<()> {
        apps::revoke_secret(self.state.store.as_ref(), app_id, name).await
    }

    /// Rotates the token-signing key (see [`tokens::rotate`]); this server signs with the new key at once,
    /// other servers on the same database within [`tokens::RELOAD_INTERVAL`].
    pub async fn rotate_signing_key(&self) -> anyhow::Result<String> {
        let kid = tokens::rotate(self.state.store.as_ref(), &self.kek).await?;
        self.state.tokens.reload(self.state.store.as_ref()).await?;
        Ok(kid)
    }

    /// The `kid` of the key this server signs authTokens with.
    pub fn signing_kid(&self) -> String {
        self.state.tokens.kid()
    }

    /// The HTTP API as an axum router.
    pub fn router(&self) -> axum::Router {
        http::router(self.state.clone())
    }

    /// Serves until the future is dropped or the process gets Ctrl-C (or SIGTERM).
    pub async fn serve(self, listener: tokio::net::TcpListener) -> anyhow::Result<()> {
        let housekeeping = tokio::spawn(housekeeping(self.state.clone()));
        let router = self.router().into_make_service_with_connect_info::<SocketAddr>();
        let served = axum::serve(listener, router).with_graceful_shutdown(shutdown_signal()).await;
        housekeeping.abort();
        Ok(served?)
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

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut terminate = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(signal) => signal,
            Err(_) => return std::future::pending().await,
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}

/// How often the store's purge runs (on one server at a time).
const PURGE_EVERY: Duration = Duration::from_secs(60);

/// Background upkeep while serving: the store's own upkeep every second (SQLite's WAL checkpoint); a key
/// rotated by another process picked up within [`tokens::RELOAD_INTERVAL`]; once a minute (and at
/// start) the purge of what has outlived its use and the address budgets that are full again.
async fn housekeeping(state: AppState) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let (mut last_reload, mut last_purge) = (tokio::time::Instant::now(), None::<tokio::time::Instant>);
    loop {
        let now = tick.tick().await;
        if let Err(error) = state.store.maintain().await {
            tracing::warn!(%error, "store upkeep failed");
        }
        if now.duration_since(last_reload) >= tokens::RELOAD_INTERVAL {
            last_reload = now;
            if let Err(error) = state.tokens.reload(state.store.as_ref()).await {
                tracing::warn!(%error, "reloading the signing key failed");
            }
        }
        if last_purge.is_none_or(|last| now.duration_since(last) >= PURGE_EVERY) {
            last_purge = Some(now);
            if let Err(error) = state.store.purge(clock::now_ms()).await {
                tracing::warn!(%error, "purge failed");
            }
            state.address_budget.shrink();
        }
    }
}
