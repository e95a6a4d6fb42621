//! The PostgreSQL store, for several stateless servers on one database: connections, TLS, migrations
//! and how driver errors become [`StoreError`]s. The use cases are in `use_cases.rs`, the writes on an
//! account (proofs, updates) in `accounts.rs`.
//!
//! The driver is tokio-postgres with a deadpool pool: a native async client with no worker-thread hop
//! per statement (the cost that made the embedded store leave sqlx), which pipelines the statements of
//! one transaction over one round trip, and binary parameters with types checked against the schema.
//!
//! Transactions run at READ COMMITTED. What SQLite's single writer gave for free is spelled out here:
//! uniqueness by constraints; the re-check of a login key by a row lock; proofs of one username
//! serialised by an advisory lock; a serialization failure or deadlock retried, and after the last retry
//! a typed [`StoreError::Contended`].

mod accounts;
mod email;
mod use_cases;
mod users_api;

use std::future::Future;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use tokio_postgres::config::SslMode;
use tokio_postgres::error::SqlState;

use super::{StoreError, StoreResult};

/// Schema changes, applied in order; the table `schema_migrations` records those applied.
const MIGRATIONS: [&str; 10] = [
    include_str!("../../../migrations/postgres/0001_init.sql"),
    include_str!("../../../migrations/postgres/0002_spend_sign_in.sql"),
    include_str!("../../../migrations/postgres/0003_app_secrets.sql"),
    include_str!("../../../migrations/postgres/0004_password_complexity.sql"),
    include_str!("../../../migrations/postgres/0005_sealed_secrets.sql"),
    include_str!("../../../migrations/postgres/0006_pending_accounts.sql"),
    include_str!("../../../migrations/postgres/0007_users_api.sql"),
    include_str!("../../../migrations/postgres/0008_email_verification.sql"),
    include_str!("../../../migrations/postgres/0009_email_after_proof.sql"),
    include_str!("../../../migrations/postgres/0010_recovery_keys.sql"),
];

/// Advisory lock keys (one namespace per database). [`proof_lock_key`] could in principle yield one of
/// these too; a collision would merely serialise two unrelated transactions.
const MIGRATION_LOCK: i64 = 0x5ea1_ba5e_0000_0001;
const PURGE_LOCK: i64 = 0x5ea1_ba5e_0000_0002;
const ROTATION_LOCK: i64 = 0x5ea1_ba5e_0000_0003;

/// Connections per server unless the URL says otherwise (`pool_size`). PostgreSQL does best with about
/// two to four active connections per core of its machine in all: with several servers, lower it.
const DEFAULT_POOL_SIZE: usize = 8;
/// How long a connection attempt may take; a request waits twice that for a free connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Attempts of a transaction that hits a serialization failure or deadlock.
const ATTEMPTS: u32 = 5;

/// The PostgreSQL store.
#[derive(Clone)]
pub struct PostgresStore {
    pool: Pool,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore").field("pool", &self.pool.status()).finish()
    }
}

impl PostgresStore {
    /// Connects to `url` (`postgres://user[:password]@host[:port]/database[?options]`) and migrates the
    /// database. Fails, without naming the URL (it may hold a password), when the database cannot be
    /// reached.
    pub async fn open(url: &str) -> anyhow::Result<Self> {
        let settings = ConnectionSettings::parse(url)?;
        let manager_config = ManagerConfig { recycling_method: RecyclingMethod::Fast };
        let manager = match settings.tls {
            Some(tls) => Manager::from_config(settings.config, tls, manager_config),
            None => Manager::from_config(settings.config, tokio_postgres::NoTls, manager_config),
        };
        let pool = Pool::builder(manager)
            .max_size(settings.pool_size)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(CONNECT_TIMEOUT * 2))
            .create_timeout(Some(CONNECT_TIMEOUT))
            .recycle_timeout(Some(CONNECT_TIMEOUT))
            .build()?;
        let store = Self { pool };
        store.migrate().await.map_err(|error| anyhow::anyhow!("PostgreSQL: {error}"))?;
        Ok(store)
    }

    /// Applies the migrations not yet applied, in one transaction under an advisory lock, so servers
    /// starting together apply each once (the others wait, then find them applied).
    async fn migrate(&self) -> StoreResult<()> {
        let mut client = self.pool.get().await.map_err(pool_error)?;
        let tx = client.transaction().await.map_err(db_error)?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK]).await.map_err(db_error)?;
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)",
        )
        .await
        .map_err(db_error)?;
        let applied: i32 = tx
            .query_one("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", &[])
            .await
            .map_err(db_error)?
            .get(0);
        let applied = usize::try_from(applied).unwrap_or(usize::MAX);
        if applied > MIGRATIONS.len() {
            return Err(StoreError::Malformed(format!("the database is newer than this server (schema {applied})")));
        }
        for (version, migration) in MIGRATIONS.iter().enumerate().skip(applied) {
            tx.batch_execute(migration).await.map_err(db_error)?;
            tx.execute(
                "INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)",
                &[&(version as i32 + 1), &crate::clock::now_ms()],
            )
            .await
            .map_err(db_error)?;
        }
        tx.commit().await.map_err(db_error)
    }
}

/// A database URL taken apart: the driver's settings, TLS, and the options that are ours.
struct ConnectionSettings {
    config: tokio_postgres::Config,
    tls: Option<tokio_postgres_rustls::MakeRustlsConnect>,
    pool_size: usize,
}

impl ConnectionSettings {
    /// Reads the URL. TLS is used when it asks for it: `sslmode=require`, `verify-ca` or `verify-full`,
    /// all three with the server's certificate verified (rustls does not connect unverified), against
    /// `sslrootcert` (a PEM file) when given, else the Mozilla roots. Without `sslmode`, or with
    /// `disable`, the connection is plain. `pool_size` sets the connections per server.
    fn parse(url: &str) -> anyhow::Result<Self> {
        let mut parsed = url::Url::parse(url).map_err(|_| anyhow::anyhow!("the PostgreSQL URL does not parse"))?;
        let (mut ssl_mode, mut root_cert, mut pool_size) = (None, None, DEFAULT_POOL_SIZE);
        let mut passed_on = Vec::new();
        for (key, value) in parsed.query_pairs() {
            match key.as_ref() {
                "sslmode" => ssl_mode = Some(value.into_owned()),
                "sslrootcert" => root_cert = Some(value.into_owned()),
                "pool_size" => {
                    pool_size = value
                        .parse()
                        .ok()
                        .filter(|size| *size > 0)
                        .ok_or_else(|| anyhow::anyhow!("pool_size must be a positive number"))?;
                }
                _ => passed_on.push((key.into_owned(), value.into_owned())),
            }
        }
        parsed.query_pairs_mut().clear().extend_pairs(&passed_on);
        let url = parsed.as_str().trim_end_matches('?');
        let mut config: tokio_postgres::Config =
            url.parse().map_err(|error| anyhow::anyhow!("the PostgreSQL URL is not valid: {error}"))?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        config.application_name("sealbase-server");
        // Every transaction at READ COMMITTED whatever the database's or role's default (the startup
        // option outranks both): each statement, a function's included, must see what committed before
        // it, after a lock it waited for, say.
        let options = config.get_options().map(|options| format!("{options} ")).unwrap_or_default();
        config.options(format!("{options}-c default_transaction_isolation=read\\ committed"));
        let tls = match ssl_mode.as_deref() {
            None | Some("disable") => {
                anyhow::ensure!(root_cert.is_none(), "sslrootcert needs sslmode=require, verify-ca or verify-full");
                config.ssl_mode(SslMode::Disable);
                None
            }
            Some("require" | "verify-ca" | "verify-full") => {
                config.ssl_mode(SslMode::Require);
                Some(tokio_postgres_rustls::MakeRustlsConnect::new(tls_config(root_cert.as_deref())?))
            }
            Some(other) => {
                anyhow::bail!("sslmode {other:?} is not supported: use disable, require, verify-ca or verify-full")
            }
        };
        Ok(Self { config, tls, pool_size })
    }
}

/// A rustls client configuration trusting `root_cert` (PEM) or, without one, the Mozilla roots.
fn tls_config(root_cert: Option<&str>) -> anyhow::Result<rustls::ClientConfig> {
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    match root_cert {
        Some(path) => {
            for cert in rustls::pki_types::CertificateDer::pem_file_iter(path)
                .map_err(|error| anyhow::anyhow!("sslrootcert {path}: {error}"))?
            {
                roots.add(cert.map_err(|error| anyhow::anyhow!("sslrootcert {path}: {error}"))?)?;
            }
            anyhow::ensure!(!roots.is_empty(), "sslrootcert {path} holds no certificate");
        }
        None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
    }
    let provider = std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

/// Why a transaction attempt failed, before it is classified.
#[derive(Debug)]
enum Failure {
    Pool(deadpool_postgres::PoolError),
    Db(tokio_postgres::Error),
    /// The database answered something this server does not write.
    Unexpected(String),
}

impl From<tokio_postgres::Error> for Failure {
    fn from(error: tokio_postgres::Error) -> Self {
        Self::Db(error)
    }
}

impl From<deadpool_postgres::PoolError> for Failure {
    fn from(error: deadpool_postgres::PoolError) -> Self {
        Self::Pool(error)
    }
}

impl Failure {
    /// A conflict with a concurrent transaction that trying again resolves.
    fn is_transient(&self) -> bool {
        matches!(self, Self::Db(error)
            if error.code() == Some(&SqlState::T_R_SERIALIZATION_FAILURE)
                || error.code() == Some(&SqlState::T_R_DEADLOCK_DETECTED))
    }
}

fn db_error(error: tokio_postgres::Error) -> StoreError {
    StoreError::unavailable(error)
}

fn pool_error(error: deadpool_postgres::PoolError) -> StoreError {
    StoreError::unavailable(error)
}

impl From<Failure> for StoreError {
    fn from(failure: Failure) -> Self {
        match failure {
            Failure::Pool(error) => pool_error(error),
            Failure::Db(error) => db_error(error),
            Failure::Unexpected(what) => StoreError::Malformed(what),
        }
    }
}

/// Whether `error` is a unique violation of the named constraint (or index).
fn violates(error: &tokio_postgres::Error, constraint: &str) -> bool {
    error.code() == Some(&SqlState::UNIQUE_VIOLATION)
        && error.as_db_error().and_then(|db| db.constraint()) == Some(constraint)
}

/// Runs a transaction, again after a serialization failure or deadlock (a few times, with a short
/// randomised pause, since the conflicting transaction is usually done by then).
async fn retrying<T, F, Fut>(mut attempt: F) -> StoreResult<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Failure>>,
{
    for tries in 1..=ATTEMPTS {
        match attempt().await {
            Ok(value) => return Ok(value),
            Err(failure) if failure.is_transient() => {
                if tries < ATTEMPTS {
                    let pause = 1 + u64::from(sealbase::crypto::random::array::<1>()[0] % 8) * u64::from(tries);
                    tokio::time::sleep(Duration::from_millis(pause)).await;
                }
            }
            Err(failure) => return Err(failure.into()),
        }
    }
    Err(StoreError::Contended)
}

/// The advisory lock that serialises proofs of one (app, username): 64 bits of SHA-256 over both.
fn proof_lock_key(app_id: &str, username: &str) -> i64 {
    use sha2::{Digest, Sha256};
    let mut hash = Sha256::new();
    for part in [b"sealbase/proof-lock".as_slice(), app_id.as_bytes(), username.as_bytes()] {
        hash.update((part.len() as u32).to_be_bytes());
        hash.update(part);
    }
    let digest = hash.finalize();
    i64::from_be_bytes(digest[..8].try_into().unwrap_or_else(|_| unreachable!("SHA-256 has 32 bytes")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_ask_for_tls_and_carry_our_options() {
        let plain = ConnectionSettings::parse("postgres://u@127.0.0.1:5432/db").expect("parses");
        assert!(plain.tls.is_none());
        assert_eq!(plain.config.get_ssl_mode(), SslMode::Disable, "no TLS unless asked");
        assert_eq!(plain.pool_size, DEFAULT_POOL_SIZE);
        assert_eq!(plain.config.get_dbname(), Some("db"));

        let tls = ConnectionSettings::parse("postgresql://u:p@db.example:6543/x?sslmode=verify-full&pool_size=4")
            .expect("parses");
        assert!(tls.tls.is_some());
        assert_eq!(tls.config.get_ssl_mode(), SslMode::Require);
        assert_eq!(tls.pool_size, 4);
        assert_eq!(tls.config.get_password(), Some(b"p".as_slice()));

        for bad in [
            "postgres://u@h/db?sslmode=allow",
            "postgres://u@h/db?pool_size=0",
            "postgres://u@h/db?sslrootcert=/ca.pem",
            "postgres://u@h/db?sslmode=require&sslrootcert=/nonexistent/ca.pem",
            "postgres://u@h/db?no_such_option=1",
        ] {
            assert!(ConnectionSettings::parse(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn proof_locks_differ_by_app_and_username() {
        assert_ne!(proof_lock_key("a", "bc"), proof_lock_key("ab", "c"));
        assert_eq!(proof_lock_key("app", "ada"), proof_lock_key("app", "ada"));
    }
}
