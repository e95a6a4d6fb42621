//! The embedded SQLite store: connection options as a real deployment wants them, and migrations.

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;

/// The two pools over one SQLite database.
#[derive(Debug, Clone)]
pub struct Pools {
    /// Reads (and rare administrative writes): several connections, which WAL lets run beside the writer.
    pub read: SqlitePool,
    /// Request-path writes: one connection. SQLite admits one writer at a time anyway; queueing writers
    /// here (fairly, without sleeping) beats letting them collide on the file lock, where SQLite's busy
    /// handler backs off in sleeps of milliseconds while the CPU idles.
    pub write: SqlitePool,
}

/// Opens (creating if needed) the database at `url` (`sqlite://path`, `sqlite::memory:`) and migrates it.
pub async fn connect(url: &str) -> anyhow::Result<Pools> {
    let options = SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        // WAL lets readers run beside the one writer; NORMAL sync is durable across process crashes
        // and loses at most the last commits on power loss, the usual trade for WAL.
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(Duration::from_secs(10))
        .foreign_keys(true);
    // No ping before handing out a connection: a local SQLite file does not go stale, and each ping
    // is a round trip to the connection's worker thread. Both pools share the options, so an in-memory
    // database is the same one for both.
    let read =
        SqlitePoolOptions::new().max_connections(8).test_before_acquire(false).connect_with(options.clone()).await?;
    sqlx::migrate!("./migrations").run(&read).await?;
    let write = SqlitePoolOptions::new().max_connections(1).test_before_acquire(false).connect_with(options).await?;
    Ok(Pools { read, write })
}

/// SHA-256 of a secret: what the database keeps instead of it.
pub fn hash_secret(secret: &[u8]) -> Vec<u8> {
    use sha2::{Digest, Sha256};
    Sha256::digest(secret).to_vec()
}
