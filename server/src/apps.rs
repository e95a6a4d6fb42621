//! Apps: created by the operator, looked up on every request.

use sealbase::protocol::{b64, ClientSettings, PaymentsMode, PROTOCOL_VERSION};
use sealbase::Error;
use zeroize::Zeroizing;

use crate::auth::hash_secret;
use crate::clock::now_ms;
use crate::error::ApiResult;
use crate::store::{AppChange, AppRecord, NewAppRecord, Store};

/// Settings of a new app (`sealbase-server app create`).
#[derive(Debug, Clone)]
pub struct NewApp {
    /// Display name.
    pub name: String,
    /// Minimum password length enforced by clients.
    pub password_min_length: u32,
    /// How many of the five password practices a password must follow (1–5), enforced by clients.
    pub password_complexity: u8,
    /// Origins allowed to call the API from a browser; empty allows any.
    pub allowed_origins: Vec<String>,
    /// Most users the app may have; `None` for no limit.
    pub user_quota: Option<u32>,
    /// Payments mode reported to clients.
    pub payments_mode: PaymentsMode,
    /// Trial length for new users, when payments are on.
    pub trial_days: Option<u32>,
    /// Longest authToken lifetime, in seconds (60 to 86400).
    pub token_lifetime_secs: u32,
    /// Sign-in needs a verified email (the server must have a mail transport to send verifications).
    pub require_verified_email: bool,
}

impl Default for NewApp {
    fn default() -> Self {
        Self {
            name: "app".into(),
            password_min_length: sealbase::validate::DEFAULT_PASSWORD_MIN_LEN as u32,
            password_complexity: 1,
            allowed_origins: Vec::new(),
            user_quota: None,
            payments_mode: PaymentsMode::Disabled,
            trial_days: None,
            token_lifetime_secs: 3600,
            require_verified_email: false,
        }
    }
}

/// A freshly created app and its admin access token (shown once; only its hash is stored).
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatedApp {
    /// The public appId.
    pub app_id: String,
    /// Bearer token for the admin API.
    pub admin_access_token: String,
}

impl std::fmt::Debug for CreatedApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreatedApp").field("app_id", &self.app_id).field("admin_access_token", &"<redacted>").finish()
    }
}

/// Creates an app.
pub async fn create(store: &dyn Store, app: &NewApp) -> anyhow::Result<CreatedApp> {
    check_password_min_length(app.password_min_length)?;
    let app_id = uuid::Uuid::new_v4().to_string();
    let token = random_admin_token();
    let record = NewAppRecord {
        id: app_id.clone(),
        app: app.clone(),
        admin_token_hash: hash_secret(token.as_bytes()),
        created_at: now_ms(),
    };
    store.create_app(&record).await?;
    Ok(CreatedApp { app_id, admin_access_token: token.to_string() })
}

/// The SDKs refuse to sign in with a password under the floor, so no app may accept one at sign-up.
fn check_password_min_length(length: u32) -> anyhow::Result<()> {
    let floor = sealbase::validate::PASSWORD_MIN_LEN_FLOOR as u32;
    let most = sealbase::validate::PASSWORD_MAX_LEN as u32;
    anyhow::ensure!((floor..=most).contains(&length), "the minimum password length must be {floor} to {most}");
    Ok(())
}

/// Apps by id, kept for a few seconds: every request names its app, and settings change rarely (`app
/// update`, from another process; `app token` replaces only the admin token's hash, which is never
/// cached), so a short-lived copy saves a query per request at the cost of settings
/// taking up to [`AppCache::TTL`] to apply.
#[derive(Debug, Default)]
pub struct AppCache(std::sync::RwLock<std::collections::HashMap<String, (std::time::Instant, AppRecord)>>);

impl AppCache {
    /// How long a cached app is used.
    pub const TTL: std::time::Duration = std::time::Duration::from_secs(5);

    /// The app, from the cache or the store; `AppIdNotValid` if unknown (unknown ids are not cached).
    pub async fn get(&self, store: &dyn Store, app_id: &str) -> ApiResult<AppRecord> {
        let cached = self.0.read().unwrap_or_else(std::sync::PoisonError::into_inner).get(app_id).cloned();
        if let Some((_, app)) = cached.filter(|(fetched, _)| fetched.elapsed() < Self::TTL) {
            return Ok(app);
        }
        let app = store.app(app_id).await?.ok_or(Error::AppIdNotValid)?;
        let mut cache = self.0.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        // Bounded: app ids come from the database, but clear rather than grow without limit.
        if cache.len() > 10_000 {
            cache.clear();
        }
        cache.insert(app_id.to_owned(), (std::time::Instant::now(), app.clone()));
        Ok(app)
    }
}

impl AppRecord {
    /// Browsers send `Origin`; native clients do not and are not restricted by it.
    pub fn check_origin(&self, origin: Option<&str>) -> Result<(), Error> {
        let Some(origin) = origin else { return Ok(()) };
        if self.allowed_origins.is_empty() || self.allowed_origins.iter().any(|a| a == origin) {
            Ok(())
        } else {
            Err(Error::DomainNotWhitelisted { origin: origin.to_owned() })
        }
    }

    /// What clients may see.
    pub fn client_settings(&self, issuer: &str) -> ClientSettings {
        ClientSettings {
            app_id: self.id.clone(),
            password_min_length: self.password_min_length as usize,
            password_complexity: self.password_complexity,
            payments_mode: self.payments_mode,
            require_verified_email: self.require_verified_email,
            protocol_version: PROTOCOL_VERSION,
            issuer: issuer.to_owned(),
            jwks_url: sealbase::protocol::routes::JWKS.replace("{app_id}", &self.id),
        }
    }
}

/// Replaces an app's admin access token; the old one stops working. Returns the new token.
pub async fn new_admin_token(store: &dyn Store, app_id: &str) -> anyhow::Result<String> {
    let encoded = random_admin_token();
    let updated = store.replace_admin_token(app_id, &hash_secret(encoded.as_bytes())).await?;
    anyhow::ensure!(updated, "no app with id {app_id}");
    Ok(encoded.to_string())
}

/// An app's password policy as `app update` reports it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AppSettings {
    /// The app.
    pub app_id: String,
    /// Minimum password length.
    pub password_min_length: u32,
    /// Password practices required (1–5).
    pub password_complexity: u8,
    /// Sign-in needs a verified email.
    pub require_verified_email: bool,
}

/// Changes an app's settings; clients see them within [`AppCache::TTL`] (the settings they cache
/// after `init` until they start again).
pub async fn update(store: &dyn Store, app_id: &str, change: &AppChange) -> anyhow::Result<AppSettings> {
    if let Some(length) = change.password_min_length {
        check_password_min_length(length)?;
    }
    if let Some(complexity) = change.password_complexity {
        anyhow::ensure!(
            (1..=sealbase::validate::PASSWORD_COMPLEXITY_MAX).contains(&complexity),
            "the password complexity must be 1 to 5"
        );
    }
    let app = store.update_app(app_id, change).await?.ok_or_else(|| anyhow::anyhow!("no app with id {app_id}"))?;
    Ok(AppSettings {
        app_id: app.id,
        password_min_length: app.password_min_length,
        password_complexity: app.password_complexity,
        require_verified_email: app.require_verified_email,
    })
}

/// A freshly created app secret (shown once; only its hash is stored).
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatedAppSecret {
    /// The app.
    pub app_id: String,
    /// The secret's name.
    pub name: String,
    /// The secret, for the app's backend.
    pub app_secret: String,
    /// ISO-8601 creation time.
    pub created_at: String,
}

impl std::fmt::Debug for CreatedAppSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreatedAppSecret").field("name", &self.name).field("app_secret", &"<redacted>").finish()
    }
}

/// A live app secret as listed: never the secret itself.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AppSecretInfo {
    /// The secret's name.
    pub name: String,
    /// ISO-8601 creation time.
    pub created_at: String,
    /// ISO-8601 time of its last successful use.
    pub last_used_at: Option<String>,
}

/// Creates a named secret for an app's backend.
pub async fn create_secret(store: &dyn Store, app_id: &str, name: &str) -> anyhow::Result<CreatedAppSecret> {
    anyhow::ensure!(store.app(app_id).await?.is_some(), "no app with id {app_id}");
    let now = now_ms();
    let issued = crate::auth::app_secret::issue(app_id, name, now).ok_or_else(|| {
        anyhow::anyhow!(
            "a secret's name must be 1 to {} characters, not all white space, without control characters",
            crate::auth::app_secret::NAME_MAX_LEN
        )
    })?;
    anyhow::ensure!(
        store.create_app_secret(&issued.record).await?,
        "app {app_id} already has a secret named {name:?} (revoke it first)"
    );
    Ok(CreatedAppSecret {
        app_id: app_id.to_owned(),
        name: name.to_owned(),
        app_secret: issued.secret.to_string(),
        created_at: crate::clock::iso(now),
    })
}

/// The app's live secrets, oldest first.
pub async fn secrets(store: &dyn Store, app_id: &str) -> anyhow::Result<Vec<AppSecretInfo>> {
    anyhow::ensure!(store.app(app_id).await?.is_some(), "no app with id {app_id}");
    let listed = store.app_secrets(app_id).await?.into_iter().map(|secret| AppSecretInfo {
        name: secret.name,
        created_at: crate::clock::iso(secret.created_at),
        last_used_at: secret.last_used_at.map(crate::clock::iso),
    });
    Ok(listed.collect())
}

/// Revokes the app's live secret of that name: it authenticates nothing from now on.
pub async fn revoke_secret(store: &dyn Store, app_id: &str, name: &str) -> anyhow::Result<()> {
    anyhow::ensure!(
        store.revoke_app_secret(app_id, name, now_ms()).await?,
        "app {app_id} has no secret named {name:?}"
    );
    Ok(())
}

/// 256 random bits, base64url: the admin access token as shown to the operator (only its SHA-256 is kept).
fn random_admin_token() -> Zeroizing<String> {
    let mut token = Zeroizing::new([0u8; 32]);
    sealbase::crypto::random::fill(token.as_mut());
    Zeroizing::new(b64::encode(token.as_ref()))
}
