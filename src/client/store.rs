//! Where a client keeps its session between runs, as `rememberMe` says: `Local` in a [`FileStore`]
//! (or the browser's localStorage), `Session` in a [`MemoryStore`] (or sessionStorage), `None` nowhere.

use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::crypto::Seed;
use crate::error::Result;
use crate::protocol::SessionSecret;

/// What a store keeps for one app.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredState {
    /// The last user who signed in, kept after sign-out for `init`'s `last_used_username`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_used_username: Option<String>,
    /// The signed-in session, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<StoredSession>,
}

/// A signed-in session as stored: enough to resume without the password.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredSession {
    /// The user's username.
    pub username: String,
    /// The session's public id.
    pub session_id: String,
    /// The session secret (zeroized on drop).
    pub secret: SessionSecret,
    /// ISO-8601 expiry as last known.
    pub expiration_date: String,
    /// The session's length in hours.
    pub session_length: f64,
    /// The user's seed (zeroized on drop): the end-to-end keys survive a restart only with the session.
    pub seed: Seed,
}

/// A place to keep sessions, one entry per app. Implement it to keep sessions elsewhere (a keychain,
/// an encrypted database); the browser's storages implement it in the WASM package.
pub trait SessionStore: Send + Sync + std::fmt::Debug {
    /// The app's entry, if any.
    fn load(&self, app_id: &str) -> Result<Option<StoredState>>;
    /// Replaces the app's entry.
    fn save(&self, app_id: &str, state: &StoredState) -> Result<()>;
    /// Removes the app's entry (nothing of the user remains).
    fn remove(&self, app_id: &str) -> Result<()>;
}

/// Keeps entries in memory, for the life of the store (the `Client`'s, for `RememberMe::Session`).
/// A list, not a map: a client serves one app, rarely a few, and a map type of its own would cost the
/// npm module a copy of the map's code.
#[derive(Default)]
pub struct MemoryStore(Mutex<Vec<(String, StoredState)>>);

impl std::fmt::Debug for MemoryStore {
    /// Which apps have an entry, never the entries: they hold session secrets and seeds.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(super::lock(&self.0).iter().map(|(app, _)| app)).finish()
    }
}

impl SessionStore for MemoryStore {
    fn load(&self, app_id: &str) -> Result<Option<StoredState>> {
        Ok(super::lock(&self.0).iter().find(|(app, _)| app == app_id).map(|(_, state)| state.clone()))
    }

    fn save(&self, app_id: &str, state: &StoredState) -> Result<()> {
        let mut entries = super::lock(&self.0);
        entries.retain(|(app, _)| app != app_id);
        entries.push((app_id.to_owned(), state.clone()));
        Ok(())
    }

    fn remove(&self, app_id: &str) -> Result<()> {
        super::lock(&self.0).retain(|(app, _)| app != app_id);
        Ok(())
    }
}

#[cfg(not(target_arch = "wasm32"))]
pub use file::FileStore;

#[cfg(not(target_arch = "wasm32"))]
mod file {
    use std::collections::BTreeMap;
    use std::io::Write;
    use std::path::{Path, PathBuf};
    use std::sync::Mutex;

    use serde::{Deserialize, Serialize};

    use super::{SessionStore, StoredState};
    use crate::error::{Error, Result};

    /// Format marker of store files: anything else at the path is not ours and is never overwritten.
    const FORMAT: &str = "sealbase-session-store/v1";

    #[derive(Serialize, Deserialize)]
    struct StoreFile {
        format: String,
        apps: BTreeMap<String, StoredState>,
    }

    /// A JSON file readable only by its owner (mode 0600), replaced atomically (write + rename) on
    /// every change. One file can hold several apps' entries; each app only touches its own.
    #[derive(Debug)]
    pub struct FileStore {
        path: PathBuf,
        // Serialises read-modify-write cycles within this process.
        write: Mutex<()>,
    }

    impl FileStore {
        /// A store at `path` (created on first save, with its directory).
        pub fn new(path: impl Into<PathBuf>) -> Self {
            Self { path: path.into(), write: Mutex::new(()) }
        }

        /// The default location: `<OS data dir>/sealbase/<appId>.json`.
        pub fn default_for_app(app_id: &str) -> Option<Self> {
            let name: String =
                app_id.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' }).collect();
            Some(Self::new(dirs::data_dir()?.join("sealbase").join(format!("{name}.json"))))
        }

        /// The file's path.
        pub fn path(&self) -> &Path {
            &self.path
        }

        fn not_valid(&self) -> Error {
            Error::SessionStoreNotValid { path: self.path.display().to_string() }
        }

        fn not_writable(&self) -> Error {
            Error::SessionStoreNotWritable { path: self.path.display().to_string() }
        }

        fn read(&self) -> Result<StoreFile> {
            let bytes = match std::fs::read(&self.path) {
                Ok(bytes) => zeroize::Zeroizing::new(bytes),
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                    return Ok(StoreFile { format: FORMAT.into(), apps: BTreeMap::new() })
                }
                Err(_) => return Err(self.not_valid()),
            };
            let file: StoreFile = crate::protocol::decode(&bytes).map_err(|_| self.not_valid())?;
            if file.format != FORMAT {
                return Err(self.not_valid());
            }
            Ok(file)
        }

        fn write(&self, file: &StoreFile) -> Result<()> {
            let dir = self.path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
            std::fs::create_dir_all(dir).map_err(|_| self.not_writable())?;
            let json = zeroize::Zeroizing::new(serde_json::to_vec_pretty(file).map_err(|_| self.not_writable())?);
            // tempfile creates the file with mode 0600 on Unix; rename makes the switch atomic.
            let mut temp = tempfile::NamedTempFile::new_in(dir).map_err(|_| self.not_writable())?;
            temp.write_all(&json).and_then(|()| temp.as_file().sync_all()).map_err(|_| self.not_writable())?;
            temp.persist(&self.path).map_err(|_| self.not_writable())?;
            Ok(())
        }

        /// Read-modify-write; skips the write when nothing changed (so merely clearing an absent entry
        /// never creates a file).
        fn update(&self, change: impl FnOnce(&mut BTreeMap<String, StoredState>)) -> Result<()> {
            let _guard = super::super::lock(&self.write);
            let mut file = self.read()?;
            let before = file.apps.clone();
            change(&mut file.apps);
            if file.apps == before {
                return Ok(());
            }
            self.write(&file)
        }
    }

    impl SessionStore for FileStore {
        fn load(&self, app_id: &str) -> Result<Option<StoredState>> {
            Ok(self.read()?.apps.remove(app_id))
        }

        fn save(&self, app_id: &str, state: &StoredState) -> Result<()> {
            self.update(|apps| {
                apps.insert(app_id.to_owned(), state.clone());
            })
        }

        fn remove(&self, app_id: &str) -> Result<()> {
            self.update(|apps| {
                apps.remove(app_id);
            })
        }
    }
}
