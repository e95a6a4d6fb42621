//! `SessionStore` over the browser's Web Storage: `local` → localStorage, `session` → sessionStorage,
//! one key per app (`sealbase.<appId>`). Outside a browser (Node) both fall back to memory.

use sealbase::store::{MemoryStore, SessionStore, StoredState};
use sealbase::{Client, Error, Result};
use zeroize::Zeroizing;

/// Which Web Storage area.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Area {
    /// `window.localStorage`: survives browser restarts.
    Local,
    /// `window.sessionStorage`: survives reloads of the tab.
    Session,
}

/// A Web Storage area as a session store. Holds no JavaScript handle (looked up per call), so it is
/// `Send + Sync` like every store.
#[derive(Debug, Clone, Copy)]
pub struct WebStorage(pub Area);

/// The key an app's entry lives under.
pub fn key(app_id: &str) -> String {
    format!("sealbase.{app_id}")
}

impl WebStorage {
    /// The storage area, or `None` where the browser withholds it (storage blocked by the user or by
    /// policy, a sandboxed frame): then it holds nothing to load or remove, and saving fails.
    fn available(&self) -> Option<web_sys::Storage> {
        let window = web_sys::window()?;
        let storage = match self.0 {
            Area::Local => window.local_storage(),
            Area::Session => window.session_storage(),
        };
        storage.ok().flatten()
    }

    fn name(&self) -> &'static str {
        match self.0 {
            Area::Local => "localStorage",
            Area::Session => "sessionStorage",
        }
    }

    fn not_writable(&self, what: &str) -> Error {
        Error::SessionStoreNotWritable { path: what.to_owned() }
    }
}

impl SessionStore for WebStorage {
    fn load(&self, app_id: &str) -> Result<Option<StoredState>> {
        let Some(storage) = self.available() else { return Ok(None) };
        let item = storage.get_item(&key(app_id)).map_err(|_| self.not_writable(self.name()))?;
        item.map(Zeroizing::new)
            .map(|json| {
                serde_json::from_str(&json)
                    .map_err(|_| Error::SessionStoreNotValid { path: format!("{}[{}]", self.name(), key(app_id)) })
            })
            .transpose()
    }

    fn save(&self, app_id: &str, state: &StoredState) -> Result<()> {
        let storage = self.available().ok_or_else(|| self.not_writable(self.name()))?;
        // The JSON holds the session secret and the seed: wiped once handed to the browser.
        let json = Zeroizing::new(serde_json::to_string(state).map_err(|_| self.not_writable(self.name()))?);
        storage.set_item(&key(app_id), &json).map_err(|_| self.not_writable(self.name()))
    }

    fn remove(&self, app_id: &str) -> Result<()> {
        let Some(storage) = self.available() else { return Ok(()) };
        storage.remove_item(&key(app_id)).map_err(|_| self.not_writable(self.name()))
    }
}

/// Browser: localStorage and sessionStorage. Elsewhere (Node): memory for both, so `local` and
/// `session` last as long as the process.
pub fn with_platform_stores(client: Client) -> Client {
    if web_sys::window().is_some() {
        client.with_local_store(WebStorage(Area::Local)).with_session_store(WebStorage(Area::Session))
    } else {
        client.with_local_store(MemoryStore::default())
    }
}
