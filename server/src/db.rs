//! The embedded SQLite store: connections tuned as a real deployment wants them, migrations, and the
//! two ways in, [`Database::read`] and [`Database::write`].
//!
//! Statements run synchronously on the calling thread (a runtime worker). A query on a local SQLite
//! file takes microseconds; handing it to another thread and back, as async drivers do, costs more than
//! the query (two futex wake-ups and context switches per statement, measured: see BENCHMARKS.md).

use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};

/// Schema changes, applied in order; `PRAGMA user_version` counts those applied.
const MIGRATIONS: [&str; 3] = [
    include_str!("../migrations/0001_init.sql"),
    include_str!("../migrations/0002_sign_in.sql"),
    include_str!("../migrations/0003_token_keys.sql"),
];

/// WAL size (in pages) at which a commit checkpoints by itself.
const BACKSTOP_CHECKPOINT_PAGES: i64 = 100_000;

/// Prepared statements kept per connection (every statement the server runs fits).
const STATEMENT_CACHE: usize = 64;

/// One SQLite database: a single writer connection and a pool of reader connections.
#[derive(Debug)]
pub struct Database {
    path: PathBuf,
    /// SQLite admits one writer at a time; writers queue on this lock instead of colliding on the file
    /// lock, where SQLite's busy handler backs off in sleeps of milliseconds. An async lock: a request
    /// waiting for it yields its runtime worker to other requests instead of parking the thread.
    writer: tokio::sync::Mutex<Connection>,
    /// Idle reader connections. WAL lets readers run beside the writer; a reader is taken for one
    /// closure and put back, and a new one is opened when none is idle, so there are at most as many
    /// as threads reading at once.
    readers: Mutex<Vec<Connection>>,
}

impl Database {
    /// Opens (creating if needed) the database at `url` (`sqlite://path` or a plain path) and migrates it.
    pub fn open(url: &str) -> anyhow::Result<Self> {
        let path = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")).unwrap_or(url);
        anyhow::ensure!(!path.is_empty(), "database path is empty");
        // Each connection to `:memory:` would be a database of its own, and URL options would become
        // part of the file name: refuse both rather than serve from an empty or misnamed database.
        anyhow::ensure!(
            path != ":memory:" && !path.contains('?'),
            "database must be a file path (sqlite://path), without options: {url}"
        );
        let path = PathBuf::from(path);
        let mut writer = connect(&path)?;
        migrate(&mut writer)?;
        // Checkpoints normally run in the connection that commits, after its commit and so under the
        // write lock, and fsync the WAL and the database: every few hundred sign-ins, writers stalled for
        // milliseconds. The server checkpoints from another connection instead ([`Database::checkpoint`]);
        // this is the backstop for when nothing does (the CLI, a stalled checkpointer).
        writer.pragma_update(None, "wal_autocheckpoint", BACKSTOP_CHECKPOINT_PAGES)?;
        Ok(Self { path, writer: tokio::sync::Mutex::new(writer), readers: Mutex::new(Vec::new()) })
    }

    /// Runs `read` on a reader connection (reads see the last committed state).
    pub fn read<T, E: From<rusqlite::Error>>(&self, read: impl FnOnce(&Connection) -> Result<T, E>) -> Result<T, E> {
        let idle = self.readers.lock().unwrap_or_else(PoisonError::into_inner).pop();
        let connection = match idle {
            Some(connection) => connection,
            None => connect(&self.path)?,
        };
        let result = read(&connection);
        self.readers.lock().unwrap_or_else(PoisonError::into_inner).push(connection);
        result
    }

    /// Runs `write` in one transaction on the writer connection: committed if it returns `Ok`, rolled
    /// back (nothing written) if it returns `Err`. The write lock is taken at `BEGIN`, so what the
    /// closure reads cannot change before it commits. The closure is synchronous, so the lock is never
    /// held across an await.
    pub async fn write<T, E: From<rusqlite::Error>>(
        &self,
        write: impl FnOnce(&Transaction) -> Result<T, E>,
    ) -> Result<T, E> {
        let mut writer = self.writer.lock().await;
        in_transaction(&mut writer, write)
    }

    /// [`Database::write`] for threads outside the async runtime (`spawn_blocking`), where a long write
    /// would otherwise hold up a runtime worker.
    pub fn write_blocking<T, E: From<rusqlite::Error>>(
        &self,
        write: impl FnOnce(&Transaction) -> Result<T, E>,
    ) -> Result<T, E> {
        let mut writer = self.writer.blocking_lock();
        in_transaction(&mut writer, write)
    }

    /// Copies committed WAL frames into the database file from a reader connection, without taking
    /// the write lock (`PASSIVE`: writers keep committing meanwhile). Blocking (it fsyncs): call it
    /// off the runtime's workers. The server does so every second. Returns the frames in the WAL and
    /// how many of them are now in the database file.
    pub fn checkpoint(&self) -> rusqlite::Result<(i64, i64)> {
        self.read(|c| c.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| Ok((row.get(1)?, row.get(2)?))))
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

fn in_transaction<T, E: From<rusqlite::Error>>(
    connection: &mut Connection,
    write: impl FnOnce(&Transaction) -> Result<T, E>,
) -> Result<T, E> {
    let tx = Transaction::new(connection, TransactionBehavior::Immediate)?;
    let value = write(&tx)?;
    tx.commit()?;
    Ok(value)
}

fn connect(path: &Path) -> rusqlite::Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let connection = Connection::open_with_flags(path, flags)?;
    // WAL lets readers run beside the one writer; NORMAL sync is durable across process crashes and
    // loses at most the last commits on power loss, the usual trade for WAL. The busy timeout covers
    // other processes on the same file (the CLI, a second server).
    connection.pragma_update(None, "journal_mode", "WAL")?;
    connection.pragma_update(None, "synchronous", "NORMAL")?;
    connection.pragma_update(None, "foreign_keys", true)?;
    connection.busy_timeout(Duration::from_secs(10))?;
    connection.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(connection)
}

/// Applies the migrations not yet applied, in one transaction (two processes starting together apply
/// them once: the second waits for the write lock, then finds them applied).
fn migrate(connection: &mut Connection) -> anyhow::Result<()> {
    let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut applied: usize = tx.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    // Databases made by earlier versions of this server recorded their migrations in sqlx's table.
    let sqlx_table: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations')",
        [],
        |row| row.get(0),
    )?;
    if applied == 0 && sqlx_table {
        applied = tx.query_row("SELECT COUNT(*) FROM _sqlx_migrations WHERE success = 1", [], |row| row.get(0))?;
    }
    anyhow::ensure!(applied <= MIGRATIONS.len(), "the database is newer than this server (schema {applied})");
    for migration in &MIGRATIONS[applied..] {
        tx.execute_batch(migration)?;
    }
    tx.pragma_update(None, "user_version", MIGRATIONS.len())?;
    tx.commit()?;
    Ok(())
}

/// Whether `error` is a UNIQUE or PRIMARY KEY violation: how the database reports a duplicate.
pub fn is_unique_violation(error: &rusqlite::Error) -> bool {
    matches!(
        error,
        rusqlite::Error::SqliteFailure(failure, _)
            if failure.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                || failure.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
    )
}

/// SHA-256 of a secret: what the database keeps instead of it.
pub fn hash_secret(secret: &[u8]) -> Vec<u8> {
    use sha2::{Digest, Sha256};
    Sha256::digest(secret).to_vec()
}

/// A database with one app (`app`), one user (`u1`, "ada", login key all zeros) and one live session
/// (`s1`), written directly, for unit tests of what runs inside write transactions.
#[cfg(test)]
pub(crate) fn fixture_with_user() -> (tempfile::TempDir, Database) {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = Database::open(&format!("sqlite://{}", dir.path().join("db").display())).expect("opens");
    db.write_blocking(|tx| {
        tx.execute_batch(
            "INSERT INTO apps (id, name, admin_token_hash, created_at) VALUES ('app', 'app', zeroblob(32), 0);
             INSERT INTO users (id, app_id, username, kdf_algorithm, kdf_log_n, kdf_r, kdf_p, kdf_salt,
                 login_public_key, seed_backup_nonce, seed_backup_ciphertext, identity_signing_public_key,
                 identity_exchange_public_key, created_at)
             VALUES ('u1', 'app', 'ada', 'scrypt', 15, 8, 1, zeroblob(16), zeroblob(32), zeroblob(12),
                 zeroblob(48), zeroblob(32), zeroblob(32), 0);
             INSERT INTO sessions (id, user_id, secret_hash, remember_me, session_length_hours, created_at,
                 expires_at)
             VALUES ('s1', 'u1', zeroblob(32), 'none', 24, 0, 9999999999999);",
        )
    })
    .expect("fixture written");
    (dir, db)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn databases_from_the_sqlx_server_are_adopted_and_memory_urls_refused() {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("old.db");
        {
            // The schema as the sqlx-based server left it: migrations applied, recorded in its table.
            let old = Connection::open(&file).expect("opens");
            for migration in MIGRATIONS {
                old.execute_batch(migration).expect("migrates");
            }
            old.execute_batch(
                "CREATE TABLE _sqlx_migrations (version BIGINT PRIMARY KEY, success BOOLEAN NOT NULL);
                 INSERT INTO _sqlx_migrations VALUES (1, TRUE), (2, TRUE), (3, TRUE);",
            )
            .expect("records");
        }
        let db = Database::open(&format!("sqlite://{}", file.display())).expect("adopts the old database");
        let version: usize = db.read(|c| c.query_row("PRAGMA user_version", [], |row| row.get(0))).expect("version");
        assert_eq!(version, MIGRATIONS.len());

        for url in ["sqlite::memory:", "sqlite://x.db?mode=rwc", "sqlite://"] {
            assert!(Database::open(url).is_err(), "{url} should be refused");
        }
    }

    #[tokio::test]
    async fn migrations_apply_once_and_a_failed_write_changes_nothing() {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        let db = Database::open(&url).expect("opens");
        drop(db);
        let db = Database::open(&url).expect("reopens without re-applying migrations");
        let version: usize = db.read(|c| c.query_row("PRAGMA user_version", [], |row| row.get(0))).expect("version");
        assert_eq!(version, MIGRATIONS.len());

        let insert = "INSERT INTO server_secrets (name, secret, created_at) VALUES ('x', zeroblob(32), 0)";
        let failed: rusqlite::Result<()> = db
            .write(|tx| {
                tx.execute(insert, [])?;
                tx.execute(insert, []).map(|_| ())
            })
            .await;
        assert!(is_unique_violation(&failed.expect_err("duplicate name")));
        let rows: i64 = db
            .read(|c| c.query_row("SELECT COUNT(*) FROM server_secrets WHERE name = 'x'", [], |row| row.get(0)))
            .expect("count");
        assert_eq!(rows, 0, "the first insert was rolled back with the failed transaction");

        // Commits leave checkpoints to the server's checkpointer, which copies every frame.
        let backstop: i64 =
            db.write(|tx| tx.query_row("PRAGMA wal_autocheckpoint", [], |row| row.get(0))).await.expect("pragma");
        assert_eq!(backstop, BACKSTOP_CHECKPOINT_PAGES);
        db.write(|tx| tx.execute("UPDATE server_secrets SET created_at = 1", [])).await.expect("writes");
        let (frames, copied) = db.checkpoint().expect("checkpoints");
        assert!(frames > 0 && copied == frames, "{copied} of {frames} WAL frames copied");
    }
}
