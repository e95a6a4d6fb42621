//! `SessionStore` over the browser's Web Storage: `local` → localStorage, `session` → sessionStorage,
//! one key per app (`sealbase.<appId>`). Outside a browser (Node) both fall back to memory.
//!
//! The session (its secret and the user's seed) is stored sealed: AES-256-GCM under a per-app storage
//! key that the package derives, at `init` and before a sign-up or sign-in that keeps a session, from
//! a non-extractable WebCrypto key kept in IndexedDB (`api.js`). Web Storage holds ciphertext and the
//! last username only; without the device key a stored session is dead (docs/protocol.md §6.5).

use std::cell::RefCell;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use sealbase::protocol::b64;
use sealbase::store::{MemoryStore, SessionStore, StoredSession, StoredState};
use sealbase::{Client, Error, Result};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

thread_local! {
    /// Storage keys by appId, as `api.js` hands them over (a list: a page serves one app, rarely a few).
    static STORAGE_KEYS: RefCell<Vec<(String, Zeroizing<[u8; 32]>)>> = const { RefCell::new(Vec::new()) };
}

/// Keeps (or, with `None`, forgets) the app's storage key for this page.
pub fn set_storage_key(app_id: &str, key: Option<&[u8]>) {
    let key = key.and_then(|bytes| <[u8; 32]>::try_from(bytes).ok()).map(Zeroizing::new);
    STORAGE_KEYS.with(|keys| {
        let mut keys = keys.borrow_mut();
        keys.retain(|(app, _)| app != app_id);
        if let Some(key) = key {
            keys.push((app_id.to_owned(), key));
        }
    });
}

/// Test builds only: the app's storage key, for tests that check it is nowhere at rest.
#[cfg(feature = "test-hooks")]
pub fn storage_key_for_tests(app_id: &str) -> Option<Vec<u8>> {
    storage_key(app_id).map(|key| key.to_vec())
}

fn storage_key(app_id: &str) -> Option<Zeroizing<[u8; 32]>> {
    STORAGE_KEYS.with(|keys| keys.borrow().iter().find(|(app, _)| app == app_id).map(|(_, key)| key.clone()))
}

/// An entry as Web Storage holds it: the session only sealed.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Entry {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_used_username: Option<String>,
    /// `nonce (12) ‖ AES-256-GCM(storage key, session JSON)`, unpadded base64url.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sealed_session: Option<String>,
    /// The plaintext session of versions before sealing: read for its username, then scrubbed.
    #[serde(default, skip_serializing)]
    session: Option<PlaintextSession>,
}

#[derive(Deserialize)]
struct PlaintextSession {
    username: String,
}

/// Binds a sealed session to its app and storage area, so it cannot be moved to another.
fn aad(app_id: &str, area: Area) -> Vec<u8> {
    let area = match area {
        Area::Local => "local",
        Area::Session => "session",
    };
    format!("sealbase/v1/web-storage\0{app_id}\0{area}").into_bytes()
}

fn seal(key: &[u8; 32], aad: &[u8], session: &StoredSession) -> Option<String> {
    let json = Zeroizing::new(serde_json::to_vec(session).ok()?);
    let nonce: [u8; 12] = sealbase::crypto::random::array();
    let ciphertext = Aes256Gcm::new(key.into()).encrypt(&Nonce::from(nonce), Payload { msg: &json, aad }).ok()?;
    Some(b64::encode(&[&nonce[..], &ciphertext].concat()))
}

fn open(key: &[u8; 32], aad: &[u8], sealed: &str) -> Option<StoredSession> {
    let bytes = b64::VarBytes::decode(sealed, 64 * 1024)?.0;
    let (nonce, ciphertext) = bytes.split_at_checked(12)?;
    let nonce: [u8; 12] = nonce.try_into().ok()?;
    let json =
        Zeroizing::new(Aes256Gcm::new(key.into()).decrypt(&Nonce::from(nonce), Payload { msg: ciphertext, aad }).ok()?);
    sealbase::protocol::decode(&json).ok()
}

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
        let Some(json) = item.map(Zeroizing::new) else { return Ok(None) };
        let entry: Entry = sealbase::protocol::decode(json.as_bytes())
            .map_err(|_| Error::SessionStoreNotValid { path: format!("{}[{}]", self.name(), key(app_id)) })?;
        let Some(sealed) = entry.sealed_session else {
            let username = entry.last_used_username.or(entry.session.as_ref().map(|old| old.username.clone()));
            if entry.session.is_some() {
                // An entry of an earlier version holds the secret and the seed in plaintext: scrub it.
                self.save(app_id, &StoredState { last_used_username: username.clone(), session: None })?;
            }
            return Ok(Some(StoredState { last_used_username: username, session: None }));
        };
        let session = storage_key(app_id).and_then(|storage_key| open(&storage_key, &aad(app_id, self.0), &sealed));
        if session.is_none() {
            // The device key is gone or another one: the session is dead. Keep only the username.
            let username = entry.last_used_username.clone();
            let _ = self.save(app_id, &StoredState { last_used_username: username, session: None });
        }
        Ok(Some(StoredState { last_used_username: entry.last_used_username, session }))
    }

    fn save(&self, app_id: &str, state: &StoredState) -> Result<()> {
        let storage = self.available().ok_or_else(|| self.not_writable(self.name()))?;
        let username = state.session.as_ref().map(|session| session.username.clone());
        // Without a storage key (IndexedDB or WebCrypto unavailable) the session is not kept at all:
        // it lives as long as the page, and a reload asks for the password.
        let sealed_session = match (&state.session, storage_key(app_id)) {
            (Some(session), Some(storage_key)) => {
                Some(seal(&storage_key, &aad(app_id, self.0), session).ok_or_else(|| self.not_writable(self.name()))?)
            }
            _ => None,
        };
        let last_used_username = username.or_else(|| state.last_used_username.clone());
        let entry = Entry { last_used_username, sealed_session, session: None };
        let json = serde_json::to_string(&entry).map_err(|_| self.not_writable(self.name()))?;
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
