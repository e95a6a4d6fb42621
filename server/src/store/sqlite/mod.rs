//! The embedded SQLite store: connections tuned as a real deployment wants them, migrations, and the
//! two ways in, [`Connections::read`] and [`Connections::write`]. The use cases are in `use_cases.rs`, the
//! writes on an account (proofs, updates) in `accounts.rs`.
//!
//! Statements run synchronously on the calling thread (a runtime worker). A query on a local SQLite
//! file takes microseconds; handing it to another thread and back, as async drivers do, costs more than
//! the query (two futex wake-ups and context switches per statement, measured: see BENCHMARKS.md).
//! Correctness rests on SQLite's single writer: a write transaction takes the lock at `BEGIN`, so what
//! it reads cannot change before it commits.

mod accounts;
mod email;
mod use_cases;
mod users_api;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, OptionalExtension, Transaction, TransactionBehavior};

use super::{Decision, StoreError, StoreResult};

/// Schema changes, applied in order; `PRAGMA user_version` counts those applied.
const MIGRATIONS: [&str; 12] = [
    include_str!("../../../migrations/sqlite/0001_init.sql"),
    include_str!("../../../migrations/sqlite/0002_sign_in.sql"),
    include_str!("../../../migrations/sqlite/0003_token_keys.sql"),
    include_str!("../../../migrations/sqlite/0004_one_signing_key_in_use.sql"),
    include_str!("../../../migrations/sqlite/0005_app_secrets.sql"),
    include_str!("../../../migrations/sqlite/0006_password_complexity.sql"),
    include_str!("../../../migrations/sqlite/0007_sealed_secrets.sql"),
    include_str!("../../../migrations/sqlite/0008_pending_accounts.sql"),
    include_str!("../../../migrations/sqlite/0009_users_api.sql"),
    include_str!("../../../migrations/sqlite/0010_email_verification.sql"),
    include_str!("../../../migrations/sqlite/0011_recovery_keys.sql"),
    include_str!("../../../migrations/sqlite/0012_recovery_whole.sql"),
];

/// WAL size (in pages) at which a commit checkpoints by itself.
const BACKSTOP_CHECKPOINT_PAGES: i64 = 100_000;

/// Prepared statements kept per connection (every statement the server runs fits).
const STATEMENT_CACHE: usize = 64;

/// The SQLite store (cheap to clone: the connections are shared).
#[derive(Debug, Clone)]
pub struct SqliteStore {
    connections: Arc<Connections>,
}

/// One SQLite database: a single writer connection and a pool of reader connections.
#[derive(Debug)]
struct Connections {
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

/// The file a SQLite database URL names (`sqlite://path` or a plain path); `None` for another
/// database's URL.
pub fn file_path(url: &str) -> Option<PathBuf> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return None;
    }
    let path = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")).unwrap_or(url);
    Some(PathBuf::from(path))
}

impl SqliteStore {
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
        // milliseconds. The server checkpoints from another connection instead ([`Self::checkpoint`]);
        // this is the backstop for when nothing does (the CLI, a stalled checkpointer).
        writer.pragma_update(None, "wal_autocheckpoint", BACKSTOP_CHECKPOINT_PAGES)?;
        let connections =
            Connections { path, writer: tokio::sync::Mutex::new(writer), readers: Mutex::new(Vec::new()) };
        Ok(Self { connections: Arc::new(connections) })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.connections.path
    }

    /// Copies committed WAL frames into the database file from a reader connection, without taking
    /// the write lock (`PASSIVE`: writers keep committing meanwhile). Blocking (it fsyncs): call it
    /// off the runtime's workers. Returns the frames in the WAL and how many of them are now in the
    /// database file.
    pub fn checkpoint(&self) -> StoreResult<(i64, i64)> {
        self.connections
            .read(|c| c.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| Ok((row.get(1)?, row.get(2)?))))
    }
}

impl Connections {
    /// Runs `read` on a reader connection (reads see the last committed state).
    fn read<T>(&self, read: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> StoreResult<T> {
        let idle = self.readers.lock().unwrap_or_else(PoisonError::into_inner).pop();
        let connection = match idle {
            Some(connection) => connection,
            None => connect(&self.path).map_err(StoreError::unavailable)?,
        };
        let result = read(&connection);
        self.readers.lock().unwrap_or_else(PoisonError::into_inner).push(connection);
        result.map_err(StoreError::unavailable)
    }

    /// Runs `write` in one transaction on the writer connection: committed on [`Decision::Commit`],
    /// rolled back (nothing written) on [`Decision::Rollback`] or an error. The closure is synchronous,
    /// so the lock is never held across an await.
    async fn write<T>(&self, write: impl FnOnce(&Transaction) -> rusqlite::Result<Decision<T>>) -> StoreResult<T> {
        let mut writer = self.writer.lock().await;
        in_transaction(&mut writer, write)
    }

    /// Copies the whole WAL into the database file and empties it, waiting for readers to move on (the
    /// busy timeout); blocking. Old versions of pages leave the files this way.
    fn truncate_wal(&self) -> StoreResult<()> {
        let _writer = self.writer.blocking_lock();
        self.read(|c| c.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(())))
    }

    /// [`Connections::write`] for threads outside the async runtime (`spawn_blocking`), where a long
    /// write would otherwise hold up a runtime worker.
    fn write_blocking<T>(&self, write: impl FnOnce(&Transaction) -> rusqlite::Result<Decision<T>>) -> StoreResult<T> {
        let mut writer = self.writer.blocking_lock();
        in_transaction(&mut writer, write)
    }
}

fn in_transaction<T>(
    connection: &mut Connection,
    write: impl FnOnce(&Transaction) -> rusqlite::Result<Decision<T>>,
) -> StoreResult<T> {
    let tx = Transaction::new(connection, TransactionBehavior::Immediate).map_err(StoreError::unavailable)?;
    // Dropping the transaction without commit rolls it back.
    match write(&tx).map_err(StoreError::unavailable)? {
        Decision::Commit(value) => {
            tx.commit().map_err(StoreError::unavailable)?;
            Ok(value)
        }
        Decision::Rollback(value) => Ok(value),
    }
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
///
/// Foreign keys are off meanwhile (a migration may rebuild a table others refer to, SQLite's way of
/// changing a column) and checked before the commit.
fn migrate(connection: &mut Connection) -> anyhow::Result<()> {
    connection.pragma_update(None, "foreign_keys", false)?;
    let migrated = (|| {
        let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let applied: usize = tx.query_row("PRAGMA user_version", [], |row| row.get(0))?;
        anyhow::ensure!(applied <= MIGRATIONS.len(), "the database is newer than this server (schema {applied})");
        for migration in &MIGRATIONS[applied..] {
            tx.execute_batch(migration)?;
        }
        let dangling: Option<String> = tx.query_row("PRAGMA foreign_key_check", [], |row| row.get(0)).optional()?;
        anyhow::ensure!(dangling.is_none(), "a migration left rows of {dangling:?} without their parent row");
        tx.pragma_update(None, "user_version", MIGRATIONS.len())?;
        tx.commit()?;
        Ok(())
    })();
    connection.pragma_update(None, "foreign_keys", true)?;
    migrated
}

/// Whether `error` is a UNIQUE or PRIMARY KEY violation: how the database reports a duplicate.
fn is_unique_violation(error: &rusqlite::Error) -> bool {
    matches!(
        error,
        rusqlite::Error::SqliteFailure(failure, _)
            if failure.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                || failure.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
    )
}

/// A statement's result, with a duplicate (UNIQUE or PRIMARY KEY violation) as `Ok(false)`.
fn unless_duplicate(result: rusqlite::Result<usize>) -> rusqlite::Result<bool> {
    match result {
        Ok(_) => Ok(true),
        Err(error) if is_unique_violation(&error) => Ok(false),
        Err(error) => Err(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn migrations_apply_once_and_a_refused_or_failed_write_changes_nothing() {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        drop(SqliteStore::open(&url).expect("opens"));
        let store = SqliteStore::open(&url).expect("reopens without re-applying migrations");
        let db = &store.connections;
        let version: usize = db.read(|c| c.query_row("PRAGMA user_version", [], |row| row.get(0))).expect("version");
        assert_eq!(version, MIGRATIONS.len());

        let insert = "INSERT INTO server_secrets (name, secret, created_at) VALUES ('x', zeroblob(32), 0)";
        let inserted = db
            .write(|tx| {
                tx.execute(insert, [])?;
                Ok(Decision::Rollback(unless_duplicate(tx.execute(insert, []))?))
            })
            .await
            .expect("no failure");
        assert!(!inserted, "the second insert is a duplicate");
        let failed =
            db.write(|tx| tx.execute(insert, []).and_then(|_| tx.execute("NOT SQL", [])).map(Decision::Commit));
        assert!(failed.await.is_err());
        let rows: i64 = db
            .read(|c| c.query_row("SELECT COUNT(*) FROM server_secrets WHERE name = 'x'", [], |row| row.get(0)))
            .expect("count");
        assert_eq!(rows, 0, "both transactions were rolled back");

        // Commits leave checkpoints to the server's checkpointer, which copies every frame.
        let backstop: i64 = db
            .write(|tx| tx.query_row("PRAGMA wal_autocheckpoint", [], |row| row.get(0)).map(Decision::Commit))
            .await
            .expect("pragma");
        assert_eq!(backstop, BACKSTOP_CHECKPOINT_PAGES);
        db.write(|tx| tx.execute(insert, []).map(Decision::Commit)).await.expect("writes");
        let (frames, copied) = store.checkpoint().expect("checkpoints");
        assert!(frames > 0 && copied == frames, "{copied} of {frames} WAL frames copied");
    }

    #[test]
    fn the_users_rebuild_keeps_every_user_and_session_and_gives_a_shared_email_to_the_oldest() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("v7.db");
        {
            // A database as the server before pending accounts left it, with two users sharing an email.
            let mut c = connect(&path).expect("connects");
            let tx = c.transaction().expect("tx");
            for migration in &MIGRATIONS[..7] {
                tx.execute_batch(migration).expect("old migration");
            }
            tx.pragma_update(None, "user_version", 7).expect("version");
            tx.execute_batch(
                "INSERT INTO apps (id, name, admin_token_hash, created_at) VALUES ('app', 'app', zeroblob(32), 0);
                 INSERT INTO users (id, app_id, username, email, kdf_algorithm, kdf_log_n, kdf_r, kdf_p, kdf_salt,
                     login_public_key, seed_backup_nonce, seed_backup_ciphertext, identity_signing_public_key,
                     identity_exchange_public_key, created_at)
                 VALUES ('u1', 'app', 'ada', 'shared@example.com', 'scrypt', 15, 8, 1, zeroblob(16), zeroblob(32),
                         zeroblob(12), zeroblob(48), zeroblob(32), zeroblob(32), 2),
                        ('u2', 'app', 'bob', 'shared@example.com', 'scrypt', 15, 8, 1, zeroblob(16), zeroblob(32),
                         zeroblob(12), zeroblob(48), zeroblob(32), zeroblob(32), 1);
                 INSERT INTO sessions (id, user_id, secret_hash, remember_me, session_length_hours, created_at,
                     expires_at)
                 VALUES ('s1', 'u1', randomblob(32), 'local', 24, 0, 1);",
            )
            .expect("old rows");
            tx.commit().expect("commit");
        }
        let store = SqliteStore::open(&format!("sqlite://{}", path.display())).expect("migrates");
        let rows: Vec<(String, Option<String>, Option<String>)> = store
            .connections
            .read(|c| {
                c.prepare("SELECT id, email, email_key FROM users ORDER BY id")?
                    .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?
                    .collect()
            })
            .expect("users");
        let shared = Some("shared@example.com".to_owned());
        assert_eq!(rows, [("u1".into(), shared.clone(), None), ("u2".into(), shared.clone(), shared)]);
        // The session still belongs to its user, and deleting the user still takes it along.
        store
            .connections
            .write_blocking(|tx| {
                let owner: String =
                    tx.query_row("SELECT user_id FROM sessions WHERE id = 's1'", [], |row| row.get(0))?;
                assert_eq!(owner, "u1");
                tx.execute("DELETE FROM users WHERE id = 'u1'", [])?;
                let left: i64 = tx.query_row("SELECT COUNT(*) FROM sessions", [], |row| row.get(0))?;
                assert_eq!(left, 0, "ON DELETE CASCADE survived the rebuild");
                Ok(Decision::Rollback(()))
            })
            .expect("checked");
    }

    #[test]
    fn memory_databases_and_url_options_are_refused() {
        for url in ["sqlite::memory:", "sqlite://x.db?mode=rwc", "sqlite://"] {
            assert!(SqliteStore::open(url).is_err(), "{url} should be refused");
        }
    }
}
