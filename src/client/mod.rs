//! The network client: a thin I/O shell over the sans-I/O core.

pub(crate) mod runtime;
pub mod sign_up;

use std::sync::Mutex;

use serde::de::DeserializeOwned;

use crate::crypto::Seed;
use crate::error::{Error, Result};
use crate::protocol::{ClientSettings, SessionGrant, User};
use crate::validate;

/// A sealbase client for one app and one server.
#[derive(Debug)]
pub struct Client {
    app_id: String,
    endpoint: reqwest::Url,
    http: reqwest::Client,
    settings: Mutex<Option<ClientSettings>>,
    active: Mutex<Option<ActiveSession>>,
}

/// The signed-in state held by a client.
#[derive(Debug)]
pub(crate) struct ActiveSession {
    pub(crate) user: User,
    pub(crate) session: SessionGrant,
    pub(crate) seed: Seed,
}

impl Client {
    /// A client for `app_id` talking to the server at `endpoint` (`http://` or `https://`).
    pub fn new(app_id: impl Into<String>, endpoint: &str) -> Result<Self> {
        let app_id = app_id.into();
        validate::app_id(&app_id)?;
        let mut endpoint = reqwest::Url::parse(endpoint).map_err(|_| Error::EndpointNotValid)?;
        if !matches!(endpoint.scheme(), "http" | "https") || endpoint.cannot_be_a_base() {
            return Err(Error::EndpointNotValid);
        }
        if !endpoint.path().ends_with('/') {
            let path = format!("{}/", endpoint.path());
            endpoint.set_path(&path);
        }
        let http = reqwest::Client::builder()
            .build()
            .map_err(|_| Error::ServiceUnavailable)?;
        Ok(Self {
            app_id,
            endpoint,
            http,
            settings: Mutex::new(None),
            active: Mutex::new(None),
        })
    }

    /// The app this client serves.
    pub fn app_id(&self) -> &str {
        &self.app_id
    }

    /// The signed-in user, if any.
    pub fn current_user(&self) -> Option<User> {
        lock(&self.active)
            .as_ref()
            .map(|active| active.user.clone())
    }

    /// A fingerprint of the signed-in user's end-to-end keys (see [`crate::crypto::UserKeys::fingerprint`]).
    pub fn key_fingerprint(&self) -> Option<String> {
        lock(&self.active)
            .as_ref()
            .map(|active| active.seed.user_keys().fingerprint())
    }

    /// The app's public settings, fetched once and cached.
    pub async fn client_settings(&self) -> Result<ClientSettings> {
        if let Some(settings) = lock(&self.settings).clone() {
            return Ok(settings);
        }
        let url = self.url(crate::protocol::routes::CLIENT_SETTINGS)?;
        let settings: ClientSettings = self.send(self.http.get(url)).await?;
        *lock(&self.settings) = Some(settings.clone());
        Ok(settings)
    }

    /// Fails with `UserAlreadySignedIn` while a user is signed in on this client.
    pub(crate) fn ensure_signed_out(&self) -> Result<()> {
        match lock(&self.active).as_ref() {
            Some(_) => Err(Error::UserAlreadySignedIn),
            None => Ok(()),
        }
    }

    pub(crate) fn set_active(&self, active: ActiveSession) {
        *lock(&self.active) = Some(active);
    }

    /// Resolves a route template of [`crate::protocol::routes`] against the endpoint.
    pub(crate) fn url(&self, template: &str) -> Result<reqwest::Url> {
        let path = template
            .trim_start_matches('/')
            .replace("{app_id}", &percent_encode(&self.app_id));
        self.endpoint
            .join(&path)
            .map_err(|_| Error::EndpointNotValid)
    }

    /// Sends a request; 2xx bodies decode as `T`, error bodies as [`Error`], anything else is
    /// `ServiceUnavailable`.
    pub(crate) async fn send<T: DeserializeOwned>(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<T> {
        let response = request.send().await.map_err(|error| {
            tracing::debug!(%error, "request to sealbase server failed");
            Error::ServiceUnavailable
        })?;
        let status = response.status();
        let body = response
            .bytes()
            .await
            .map_err(|_| Error::ServiceUnavailable)?;
        if status.is_success() {
            serde_json::from_slice(&body).map_err(|_| Error::ServiceUnavailable)
        } else {
            Err(Error::from_body(&body))
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic while holding the lock leaves plain data behind; keep using it.
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Percent-encodes everything but RFC 3986 unreserved characters, for one path segment.
fn percent_encode(segment: &str) -> String {
    segment
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
