//! The app server's verifier: JWKS fetched and cached, offline checks in microseconds, and an online
//! check for routes that must notice sign-outs at once.

use std::sync::RwLock;
use std::time::{Duration, Instant};

use serde::Deserialize;

use super::{verify, CheckError, Jwks, VerifiedToken, VerifyError};
use crate::protocol::{routes, ClientSettings};

/// How long a fetched key set is used before it is refreshed (the JWKS's `Cache-Control: max-age`).
const KEYS_MAX_AGE: Duration = Duration::from_secs(300);

/// Verifies authTokens for one app.
///
/// ```no_run
/// # async fn demo() -> Result<(), sealbase::token::VerifyError> {
/// let verifier = sealbase::token::Verifier::new("http://127.0.0.1:8080", "<appId>").await?;
/// let user = verifier.verify("<authToken>").await?;
/// println!("request from user {}", user.user_id);
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Verifier {
    app_id: String,
    issuer: String,
    jwks_url: reqwest::Url,
    admin_url: reqwest::Url,
    http: reqwest::Client,
    keys: RwLock<(Jwks, Instant)>,
    refetch_interval: Duration,
}

/// Answer of the online check.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OnlineStatus {
    /// The user.
    pub user_id: String,
    /// The live session.
    pub session_id: String,
    /// ISO-8601 expiry of the token.
    pub expiration_date: String,
}

impl Verifier {
    /// Fetches the app's settings (issuer, JWKS location) and its keys.
    pub async fn new(server_url: &str, app_id: &str) -> Result<Self, VerifyError> {
        let base = reqwest::Url::parse(&format!("{}/", server_url.trim_end_matches('/')))
            .map_err(|_| VerifyError::Unavailable)?;
        let http = reqwest::Client::new();
        let settings_url = base
            .join(routes::CLIENT_SETTINGS.trim_start_matches('/').replace("{app_id}", app_id).as_str())
            .map_err(|_| VerifyError::Unavailable)?;
        let settings: ClientSettings = fetch_json(&http, settings_url).await?;
        let jwks_url = base.join(settings.jwks_url.trim_start_matches('/')).map_err(|_| VerifyError::Unavailable)?;
        let admin_url =
            base.join(routes::ADMIN_AUTH_TOKEN.trim_start_matches('/')).map_err(|_| VerifyError::Unavailable)?;
        let keys = fetch_json(&http, jwks_url.clone()).await?;
        Ok(Self {
            app_id: app_id.to_owned(),
            issuer: settings.issuer,
            jwks_url,
            admin_url,
            http,
            keys: RwLock::new((keys, Instant::now())),
            refetch_interval: Duration::from_secs(30),
        })
    }

    /// How often an unknown `kid` may trigger a JWKS refetch (default 30 s), so forged tokens cannot
    /// make the verifier hammer the server.
    pub fn with_refetch_interval(mut self, interval: Duration) -> Self {
        self.refetch_interval = interval;
        self
    }

    /// Offline verification with the cached keys. The key set is refreshed once it is older than the
    /// server's `max-age` (so keys the server dropped stop verifying), and an unknown `kid` refetches it
    /// at once (rate-limited), which is how rotated-in keys are learnt.
    pub async fn verify(&self, token: &str) -> Result<VerifiedToken, VerifyError> {
        if self.keys_age() >= KEYS_MAX_AGE && self.claim_refetch() {
            // If the server is unreachable, the cached keys keep serving until it is back.
            let _ = self.refetch().await;
        }
        match self.verify_cached(token) {
            Err(VerifyError::UnknownKey) if self.claim_refetch() => {
                self.refetch().await?;
                self.verify_cached(token)
            }
            other => other,
        }
    }

    async fn refetch(&self) -> Result<(), VerifyError> {
        let fresh: Jwks = fetch_json(&self.http, self.jwks_url.clone()).await?;
        self.keys.write().unwrap_or_else(std::sync::PoisonError::into_inner).0 = fresh;
        Ok(())
    }

    fn keys_age(&self) -> Duration {
        self.keys.read().unwrap_or_else(std::sync::PoisonError::into_inner).1.elapsed()
    }

    /// Offline verification with the cached keys only: no I/O.
    pub fn verify_cached(&self, token: &str) -> Result<VerifiedToken, VerifyError> {
        let keys = self.keys.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        verify(token, &keys.0, &self.app_id, &self.issuer)
    }

    /// True for at most one caller per interval: the slot is taken before fetching, so neither a burst
    /// of forged tokens nor an unreachable server turns into a burst of requests.
    fn claim_refetch(&self) -> bool {
        let mut keys = self.keys.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        if keys.1.elapsed() < self.refetch_interval {
            return false;
        }
        keys.1 = Instant::now();
        true
    }

    /// Offline verification, then the server's online check: fails with `Revoked` once the session is
    /// signed out or its password changed, `UserBlocked` while the app's backend blocks the user, and
    /// `UserNotFound` after deleteUser.
    pub async fn online(&self, token: &str, admin_access_token: &str) -> Result<OnlineStatus, VerifyError> {
        self.verify(token).await?;
        let url = self.admin_url.join(token).map_err(|_| VerifyError::Malformed)?;
        let response =
            self.http.get(url).bearer_auth(admin_access_token).send().await.map_err(|_| VerifyError::Unavailable)?;
        if response.status().is_success() {
            return response.json().await.map_err(|_| VerifyError::Unavailable);
        }
        // A refusal is read by its name, never by its message or status alone.
        let body: serde_json::Value = response.json().await.unwrap_or_default();
        Err(match body["error"].as_str().and_then(CheckError::from_name) {
            Some(CheckError::AuthTokenInvalid) => VerifyError::Revoked,
            Some(CheckError::UserBlocked) => VerifyError::UserBlocked,
            Some(CheckError::UserNotFound) => VerifyError::UserNotFound,
            Some(
                CheckError::AccessTokenInvalid
                | CheckError::AccessTokenMissing
                | CheckError::AuthorizationHeaderMissing
                | CheckError::AuthorizationSchemeNotBearer,
            ) => VerifyError::AccessTokenInvalid,
            Some(CheckError::TooManyRequests | CheckError::ServiceUnavailable) | None => VerifyError::Unavailable,
        })
    }
}

async fn fetch_json<T: serde::de::DeserializeOwned>(
    http: &reqwest::Client,
    url: reqwest::Url,
) -> Result<T, VerifyError> {
    let response = http.get(url).send().await.map_err(|_| VerifyError::Unavailable)?;
    if !response.status().is_success() {
        return Err(VerifyError::Unavailable);
    }
    response.json().await.map_err(|_| VerifyError::Unavailable)
}
