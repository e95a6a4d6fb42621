//! `SessionStore` over the browser's Web Storage: `local` → localStorage, `session` → sessionStorage,
//! one key per app (`sealbase.<appId>`). Outside a browser (Node) both fall back to memory.

use sealbase::store::{MemoryStore, SessionStore, StoredState};
use sealbase::{Client, Error, Result};

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
    fn storage(&self) -> Result<web_sys::Storage> {
        let window = web_sys::window().ok_or_else(|| self.not_writable("window"))?;
        let storage = match self.0 {
            Area::Local => window.local_storage(),
            Area::Session => window.session_storage(),
        };
        storage.ok().flatten().ok_or_else(|| self.not_writable(self.name()))
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
        let item = self.storage()?.get_item(&key(app_id)).map_err(|_| self.not_writable(self.name()))?;
        item.map(|json| {
            serde_json::from_str(&json)
                .map_err(|_| Error::SessionStoreNotValid { path: format!("{}[{}]", self.name(), key(app_id)) })
        })
        .transpose()
    }

    fn save(&self, app_id: &str, state: &StoredState) -> Result<()> {
        let json = serde_json::to_string(state).map_err(|_| self.not_writable(self.name()))?;
        self.storage()?.set_item(&key(app_id), &json).map_err(|_| self.not_writable(self.name()))
    }

    fn remove(&self, app_id: &str) -> Result<()> {
        self.storage()?.remove_item(&key(app_id)).map_err(|_| self.not_writable(self.name()))
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
