//! The embedded SQLite store: connection options as a real deployment wants them, and migrations.

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;

/// Opens (creating if needed) the database at `url` (`sqlite://path`, `sqlite::memory:`) and migrates it.
pub async fn connect(url: &str) -> anyhow::Result<SqlitePool> {
    let options = SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        // WAL lets readers run beside the one writer; NORMAL sync is durable across process crashes
        // and loses at most the last commits on power loss, the usual trade for WAL.
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(Duration::from_secs(10))
        .foreign_keys(true);
    let pool = SqlitePoolOptions::new().max_connections(8).connect_with(options).await?;
    sqlx::migrate!("./migrations").run(&pool).await?;
    Ok(pool)
}

/// SHA-256 of a secret: what the database keeps instead of it.
pub fn hash_secret(secret: &[u8]) -> Vec<u8> {
    use sha2::{Digest, Sha256};
    Sha256::digest(secret).to_vec()
}
