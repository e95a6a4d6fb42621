//! The network client: a thin I/O shell over the sans-I/O core, one file per operation.

pub mod app_data;
pub mod auth_token;
pub mod delete_user;
pub(crate) mod http;
pub mod init;
pub mod kdf;
pub mod legacy;
pub mod recovery;
pub(crate) mod runtime;
pub mod sign_in;
pub mod sign_out;
pub mod sign_up;
pub mod store;
pub mod update_user;
pub mod verify_email;

use std::sync::{Arc, Mutex};

use serde::de::DeserializeOwned;

use crate::crypto::{PasswordKey, Seed};
use crate::error::{Error, Result};
use crate::protocol::{
    bearer, challenge_message, routes, ChallengePurpose, ClientSettings, PreLoginRequest, PreLoginResponse,
    SessionGrant, User,
};
use crate::validate::RememberMe;
use http::{Method, Request};
use store::{MemoryStore, SessionStore, StoredSession, StoredState};

/// Called with the new user after every successful `update_user`.
pub type UpdateUserHandler = Arc<dyn Fn(&User) + Send + Sync>;

/// A sealbase client for one app and one server.
pub struct Client {
    app_id: String,
    endpoint: String,
    http: http::Transport,
    settings: Mutex<Option<ClientSettings>>,
    active: Mutex<Option<ActiveSession>>,
    local_store: Option<Arc<dyn SessionStore>>,
    session_store: Arc<dyn SessionStore>,
    update_user_handler: Mutex<Option<UpdateUserHandler>>,
    token_refresh: tokio::sync::Mutex<()>,
    /// Held by a sign-up, sign-in or `init` from its signed-out check until its session is active, so a
    /// sign-up or sign-in started meanwhile fails with `UserAlreadySignedIn` instead of opening a session
    /// on the server that this client would then drop.
    signing_in: tokio::sync::Mutex<()>,
    token_refreshes: std::sync::atomic::AtomicU64,
    #[cfg(target_arch = "wasm32")]
    legacy_hasher: Mutex<Option<std::rc::Rc<dyn legacy::LegacyHasher>>>,
    #[cfg(target_arch = "wasm32")]
    kdf_runner: Mutex<Option<std::rc::Rc<dyn kdf::KdfRunner>>>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").field("app_id", &self.app_id).field("endpoint", &self.endpoint).finish_non_exhaustive()
    }
}

/// The signed-in state held by a client.
#[derive(Debug, Clone)]
pub(crate) struct ActiveSession {
    pub(crate) user: User,
    pub(crate) session_id: String,
    pub(crate) secret: crate::protocol::SessionSecret,
    pub(crate) expiration_date: String,
    pub(crate) session_length: f64,
    pub(crate) seed: Seed,
    pub(crate) remember_me: RememberMe,
}

impl ActiveSession {
    pub(crate) fn new(user: User, session: SessionGrant, seed: Seed, remember_me: RememberMe) -> Self {
        Self {
            user,
            session_id: session.session_id,
            secret: session.secret,
            expiration_date: session.expiration_date,
            session_length: session.session_length,
            seed,
            remember_me,
        }
    }

    fn stored(&self) -> StoredState {
        StoredState {
            last_used_username: Some(self.user.username.clone()),
            session: Some(StoredSession {
                username: self.user.username.clone(),
                session_id: self.session_id.clone(),
                secret: self.secret.clone(),
                expiration_date: self.expiration_date.clone(),
                session_length: self.session_length,
                seed: self.seed.clone(),
            }),
        }
    }
}

impl Client {
    /// A client for `app_id` talking to the server at `endpoint` (`http://` or `https://`).
    /// `RememberMe::Local` sessions go to `<OS data dir>/sealbase/<appId>.json` unless
    /// [`Client::with_local_store`] says otherwise.
    pub fn new(app_id: impl Into<String>, endpoint: &str) -> Result<Self> {
        let app_id = app_id.into();
        crate::validate::app_id(&app_id)?;
        let endpoint = http::parse_endpoint(endpoint)?;
        let http = http::Transport::new()?;
        Ok(Self {
            local_store: default_local_store(&app_id),
            app_id,
            endpoint,
            http,
            settings: Mutex::new(None),
            active: Mutex::new(None),
            session_store: Arc::new(MemoryStore::default()),
            update_user_handler: Mutex::new(None),
            token_refresh: tokio::sync::Mutex::new(()),
            signing_in: tokio::sync::Mutex::new(()),
            token_refreshes: std::sync::atomic::AtomicU64::new(0),
            #[cfg(target_arch = "wasm32")]
            legacy_hasher: Mutex::new(None),
            #[cfg(target_arch = "wasm32")]
            kdf_runner: Mutex::new(None),
        })
    }

    /// Keeps `RememberMe::Local` sessions in `store` (e.g. a [`store::FileStore`] at a chosen path).
    pub fn with_local_store(mut self, store: impl SessionStore + 'static) -> Self {
        self.local_store = Some(Arc::new(store));
        self
    }

    /// Keeps `RememberMe::Session` sessions in `store` instead of this client's memory.
    pub fn with_session_store(mut self, store: impl SessionStore + 'static) -> Self {
        self.session_store = Arc::new(store);
        self
    }

    /// Calls `handler` with the new user after every successful [`Client::update_user`].
    pub fn set_update_user_handler(&self, handler: impl Fn(&User) + Send + Sync + 'static) {
        *lock(&self.update_user_handler) = Some(Arc::new(handler));
    }

    /// The app this client serves.
    pub fn app_id(&self) -> &str {
        &self.app_id
    }

    /// The signed-in user, if any.
    pub fn current_user(&self) -> Option<User> {
        lock(&self.active).as_ref().map(|active| active.user.clone())
    }

    /// A fingerprint of the signed-in user's end-to-end keys (see [`crate::crypto::UserKeys::fingerprint`]):
    /// the same on every device the user signs in on.
    pub fn key_fingerprint(&self) -> Option<String> {
        lock(&self.active).as_ref().map(|active| active.seed.user_keys().fingerprint())
    }

    /// The app's public settings, fetched once and cached.
    pub async fn client_settings(&self) -> Result<ClientSettings> {
        if let Some(settings) = lock(&self.settings).clone() {
            return Ok(settings);
        }
        let settings: ClientSettings = self.send(self.request(Method::Get, routes::CLIENT_SETTINGS)?).await?;
        *lock(&self.settings) = Some(settings.clone());
        Ok(settings)
    }

    /// Starts a sign-up or sign-in: waits for any other one on this client to finish, then fails with
    /// `UserAlreadySignedIn` while a user is signed in. Hold the guard until the new session is active.
    pub(crate) async fn begin_signing_in(&self) -> Result<tokio::sync::MutexGuard<'_, ()>> {
        let guard = self.signing_in.lock().await;
        match lock(&self.active).as_ref() {
            Some(active) => Err(Error::UserAlreadySignedIn { username: active.user.username.clone() }),
            None => Ok(guard),
        }
    }

    /// The active session, or `UserNotSignedIn`.
    /// Test builds only: the signed-in session's secret and the user's seed, for tests that check
    /// neither is anywhere at rest.
    #[cfg(feature = "test-hooks")]
    #[doc(hidden)]
    pub fn secrets_for_tests(&self) -> Option<(Vec<u8>, Seed)> {
        let active = self.active().ok()?;
        Some((active.secret.expose().to_vec(), active.seed))
    }

    pub(crate) fn active(&self) -> Result<ActiveSession> {
        lock(&self.active).clone().ok_or(Error::UserNotSignedIn)
    }

    /// The store for a `rememberMe` mode (`None` keeps nothing).
    fn store_for(&self, remember_me: RememberMe) -> Option<&Arc<dyn SessionStore>> {
        match remember_me {
            RememberMe::Local => self.local_store.as_ref(),
            RememberMe::Session => Some(&self.session_store),
            RememberMe::None => None,
        }
    }

    /// The stores in the order `init` reads them: this tab/process first, then the persistent one.
    fn stores(&self) -> impl Iterator<Item = (RememberMe, &Arc<dyn SessionStore>)> {
        [RememberMe::Session, RememberMe::Local]
            .into_iter()
            .filter_map(|mode| self.store_for(mode).map(|store| (mode, store)))
    }

    /// `SessionStoreNotWritable` when `remember_me` asks for a store this client does not have (`Local`
    /// where the OS has no data directory), so nothing is attempted that could not be kept.
    pub(crate) fn require_store(&self, remember_me: RememberMe) -> Result<()> {
        if remember_me == RememberMe::Local && self.local_store.is_none() {
            return Err(Error::SessionStoreNotWritable { path: "local store (no OS data directory)".into() });
        }
        Ok(())
    }

    /// Makes `active` the signed-in session, kept in the store its `rememberMe` names (`None`: none)
    /// and in no other. First the other stores forget this app; one that cannot, but still holds a
    /// session of it (a read-only file, say), is an error, since that session would be resumed in
    /// place of this one; one that holds nothing readable (storage withheld, a file that is not ours)
    /// is passed over. Then the session is saved; if that fails, the error is returned and the client
    /// is not signed in.
    pub(crate) fn activate(&self, active: ActiveSession) -> Result<()> {
        self.require_store(active.remember_me)?;
        for (mode, store) in self.stores() {
            if mode != active.remember_me {
                if let Err(error) = store.remove(&self.app_id) {
                    if matches!(store.load(&self.app_id), Ok(Some(StoredState { session: Some(_), .. }))) {
                        return Err(error);
                    }
                }
            }
        }
        if let Some(store) = self.store_for(active.remember_me) {
            store.save(&self.app_id, &active.stored())?;
        }
        *lock(&self.active) = Some(active);
        Ok(())
    }

    /// [`Client::activate`] for a session just opened by sign-up or sign-in: if it cannot be kept, it
    /// is also ended on the server (best effort), so no session is left open that no one holds.
    pub(crate) async fn activate_new(&self, active: ActiveSession) -> Result<()> {
        let secret = active.secret.clone();
        let activated = self.activate(active);
        if activated.is_err() {
            self.end_session_quietly(&secret).await;
        }
        activated
    }

    /// Best effort `DELETE …/session` for a session this client will not use.
    pub(crate) async fn end_session_quietly(&self, secret: &crate::protocol::SessionSecret) {
        if let Ok(request) = self.authorized(Method::Delete, routes::SESSION, secret) {
            let _ = self.send_raw(request).await;
        }
    }

    /// Forgets the signed-in session. With `remember_username`, the store that held it keeps the
    /// username for `init`'s `last_used_username`.
    /// Every store is cleared even if one fails (the first failure is reported), so no session or seed
    /// is left behind in another.
    pub(crate) fn deactivate(&self, remember_username: bool) -> Result<()> {
        let active = lock(&self.active).take();
        let mut outcome = Ok(());
        for (mode, store) in self.stores() {
            let cleared = match &active {
                Some(active) if remember_username && mode == active.remember_me => store.save(
                    &self.app_id,
                    &StoredState { last_used_username: Some(active.user.username.clone()), session: None },
                ),
                _ => store.remove(&self.app_id),
            };
            outcome = outcome.and(cleared);
        }
        outcome
    }

    /// Pre-login for `username`: its KDF parameters, or a pending account's legacy parameters (either
    /// checked against the client's bounds), and a fresh challenge.
    pub(crate) async fn pre_login(&self, username: &str) -> Result<PreLoginResponse> {
        let request = PreLoginRequest { username: username.to_owned() };
        let response: PreLoginResponse =
            self.send(self.request(Method::Post, routes::PRE_LOGIN)?.json(&request)).await?;
        match (&response.kdf, &response.legacy) {
            (Some(kdf), None) => kdf.check()?,
            (None, Some(legacy)) => legacy.check()?,
            _ => return Err(Error::ServiceUnavailable),
        }
        Ok(response)
    }

    /// Derives the password key for `pre_login`'s parameters and signs its challenge for `purpose`.
    /// Runs scrypt off the async executor.
    pub(crate) async fn prove_password(
        &self,
        password: zeroize::Zeroizing<String>,
        username: &str,
        pre_login: &PreLoginResponse,
        purpose: ChallengePurpose,
    ) -> Result<(PasswordKey, crate::protocol::b64::Bytes<64>)> {
        // A pending account has no password key yet (see `sign_in`'s first sign-in).
        let kdf = pre_login.kdf.clone().ok_or(Error::ServiceUnavailable)?;
        let message = challenge_message(purpose, &self.app_id, username, &pre_login.challenge.0, &pre_login.audience);
        let key = self.password_key(&password, kdf).await?;
        let signature = crate::protocol::b64::Bytes(key.login_key().sign(&message).to_bytes());
        Ok((key, signature))
    }

    /// Resolves a route template of [`crate::protocol::routes`] against the endpoint.
    pub(crate) fn url(&self, template: &str) -> Result<String> {
        let path = template.trim_start_matches('/').replace("{app_id}", &percent_encode(&self.app_id));
        http::join(&self.endpoint, &path)
    }

    /// A request to a route of [`crate::protocol::routes`].
    pub(crate) fn request(&self, method: Method, template: &str) -> Result<Request> {
        Ok(Request::new(method, self.url(template)?))
    }

    /// A request authenticated by the active session.
    pub(crate) fn authorized(
        &self,
        method: Method,
        template: &str,
        secret: &crate::protocol::SessionSecret,
    ) -> Result<Request> {
        Ok(self.request(method, template)?.authorization(bearer(secret)))
    }

    /// Sends a request made with the active session. If the server says the session is dead (expired,
    /// revoked elsewhere, user deleted or blocked), the client signs out locally too, keeping the username.
    pub(crate) async fn send_authorized(&self, request: Request) -> Result<Vec<u8>> {
        let answer = self.send_raw(request).await;
        if let Err(Error::SessionNotValid | Error::UserBlocked) = answer {
            self.deactivate(true)?;
        }
        answer
    }

    /// Sends a request; 2xx bodies decode as `T`, error bodies as [`Error`], anything else is
    /// `ServiceUnavailable`.
    pub(crate) async fn send<T: DeserializeOwned>(&self, request: Request) -> Result<T> {
        let body = self.send_raw(request).await?;
        crate::protocol::decode(&body).map_err(|_| Error::ServiceUnavailable)
    }

    /// Like [`Client::send`] for answers without a body.
    pub(crate) async fn send_raw(&self, request: Request) -> Result<Vec<u8>> {
        let response = self.http.send(request).await?;
        if response.is_success() {
            Ok(response.body)
        } else {
            Err(Error::from_body(&response.body))
        }
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn default_local_store(app_id: &str) -> Option<Arc<dyn SessionStore>> {
    store::FileStore::default_for_app(app_id).map(|store| Arc::new(store) as Arc<dyn SessionStore>)
}

#[cfg(target_arch = "wasm32")]
fn default_local_store(_app_id: &str) -> Option<Arc<dyn SessionStore>> {
    None
}

pub(crate) fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic while holding the lock leaves plain data behind; keep using it.
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Percent-encodes everything but RFC 3986 unreserved characters, for one path segment.
pub(crate) fn percent_encode(segment: &str) -> String {
    segment
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::{SignIn, SignUp};

    #[tokio::test]
    async fn local_sessions_without_a_local_store_are_refused_before_any_request() {
        // Nothing listens on port 9 (discard): a request would fail with ServiceUnavailable.
        let mut client = Client::new("app", "http://127.0.0.1:9").expect("client");
        client.local_store = None;
        let refused = |error: Error| {
            assert_eq!(
                (error.name(), error.to_string()),
                (
                    "SessionStoreNotWritable",
                    "Session store not writable: 'local store (no OS data directory)'.".to_owned()
                )
            );
        };
        let sign_in = SignIn {
            username: "ada".into(),
            password: "correct horse".into(),
            remember_me: RememberMe::Local,
            ..Default::default()
        };
        refused(client.sign_in(sign_in).await.expect_err("refused"));
        let sign_up = SignUp {
            username: "ada".into(),
            password: "correct horse".into(),
            remember_me: RememberMe::Local,
            ..Default::default()
        };
        refused(client.sign_up(sign_up).await.expect_err("refused"));
    }
}
