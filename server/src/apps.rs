//! Apps: created by the operator, looked up on every request.

use rusqlite::{named_params, Connection, OptionalExtension, Row};
use sealbase::protocol::{b64, ClientSettings, PaymentsMode, PROTOCOL_VERSION};
use sealbase::Error;
use zeroize::Zeroizing;

use crate::clock::now_ms;
use crate::db::{hash_secret, Database};
use crate::error::ApiResult;

/// Settings of a new app (`sealbase-server app create`).
#[derive(Debug, Clone)]
pub struct NewApp {
    /// Display name.
    pub name: String,
    /// Minimum password length enforced by clients.
    pub password_min_length: u32,
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
}

impl Default for NewApp {
    fn default() -> Self {
        Self {
            name: "app".into(),
            password_min_length: sealbase::validate::DEFAULT_PASSWORD_MIN_LEN as u32,
            allowed_origins: Vec::new(),
            user_quota: None,
            payments_mode: PaymentsMode::Disabled,
            trial_days: None,
            token_lifetime_secs: 3600,
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

/// An app as stored.
#[derive(Debug, Clone)]
pub struct App {
    /// appId.
    pub id: String,
    /// Minimum password length.
    pub password_min_length: i64,
    /// JSON array of allowed origins.
    pub allowed_origins: String,
    /// `disabled`, `test` or `prod`.
    pub payments_mode: String,
    /// Trial length in days.
    pub trial_days: Option<i64>,
    /// Longest authToken lifetime, in seconds.
    pub token_lifetime_secs: i64,
}

/// Creates an app.
pub async fn create(db: &Database, app: &NewApp) -> anyhow::Result<CreatedApp> {
    let app_id = uuid::Uuid::new_v4().to_string();
    let token = random_admin_token();
    let allowed_origins = serde_json::to_string(&app.allowed_origins)?;
    db.write(|tx| {
        tx.prepare_cached(
            "INSERT INTO apps (id, name, admin_token_hash, password_min_length, allowed_origins, user_quota,
                               payments_mode, trial_days, token_lifetime_secs, created_at)
             VALUES (:id, :name, :admin_token_hash, :password_min_length, :allowed_origins, :user_quota,
                     :payments_mode, :trial_days, :token_lifetime_secs, :created_at)",
        )?
        .execute(named_params! {
            ":id": app_id,
            ":name": app.name,
            ":admin_token_hash": hash_secret(token.as_bytes()),
            ":password_min_length": app.password_min_length,
            ":allowed_origins": allowed_origins,
            ":user_quota": app.user_quota,
            ":payments_mode": app.payments_mode.as_str(),
            ":trial_days": app.trial_days,
            ":token_lifetime_secs": app.token_lifetime_secs,
            ":created_at": now_ms(),
        })
    })
    .await?;
    Ok(CreatedApp { app_id, admin_access_token: token.to_string() })
}

/// Apps by id, kept for a few seconds: every request names its app, and settings change rarely (from the
/// CLI, in another process), so a short-lived copy saves a query per request at the cost of settings
/// taking up to [`AppCache::TTL`] to apply.
#[derive(Debug, Default)]
pub struct AppCache(std::sync::RwLock<std::collections::HashMap<String, (std::time::Instant, App)>>);

impl AppCache {
    /// How long a cached app is used.
    pub const TTL: std::time::Duration = std::time::Duration::from_secs(5);

    /// The app, from the cache or the database; `AppIdNotValid` if unknown (unknown ids are not cached).
    pub fn get(&self, db: &Database, app_id: &str) -> ApiResult<App> {
        let cached = self.0.read().unwrap_or_else(std::sync::PoisonError::into_inner).get(app_id).cloned();
        if let Some((_, app)) = cached.filter(|(fetched, _)| fetched.elapsed() < Self::TTL) {
            return Ok(app);
        }
        let app = db.read(|c| App::find(c, app_id))?;
        let mut cache = self.0.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        // Bounded: app ids come from the database, but clear rather than grow without limit.
        if cache.len() > 10_000 {
            cache.clear();
        }
        cache.insert(app_id.to_owned(), (std::time::Instant::now(), app.clone()));
        Ok(app)
    }
}

/// `SELECT` of the columns [`App::from_row`] reads, in its order, with a `WHERE` clause.
macro_rules! select_app {
    ($where:literal) => {
        concat!(
            "SELECT id, password_min_length, allowed_origins, payments_mode, trial_days, token_lifetime_secs ",
            "FROM apps WHERE ",
            $where
        )
    };
}

impl App {
    /// Loads the app named in a request, or `AppIdNotValid`.
    pub fn find(db: &Connection, app_id: &str) -> ApiResult<App> {
        let app = db.prepare_cached(select_app!("id = ?"))?.query_row([app_id], App::from_row).optional()?;
        app.ok_or_else(|| Error::AppIdNotValid.into())
    }

    fn from_row(row: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: row.get(0)?,
            password_min_length: row.get(1)?,
            allowed_origins: row.get(2)?,
            payments_mode: row.get(3)?,
            trial_days: row.get(4)?,
            token_lifetime_secs: row.get(5)?,
        })
    }

    /// Browsers send `Origin`; native clients do not and are not restricted by it.
    pub fn check_origin(&self, origin: Option<&str>) -> ApiResult<()> {
        let Some(origin) = origin else { return Ok(()) };
        // A list that does not parse allows nothing (this server wrote it, so that is a fault of ours).
        let Ok(allowed) = serde_json::from_str::<Vec<String>>(&self.allowed_origins) else {
            let fault = anyhow::anyhow!("allowed_origins of app {} is not a JSON list", self.id);
            return Err(crate::error::ApiError::Internal(fault));
        };
        if allowed.is_empty() || allowed.iter().any(|a| a == origin) {
            Ok(())
        } else {
            Err(Error::DomainNotWhitelisted { origin: origin.to_owned() }.into())
        }
    }

    /// The app's payments mode.
    pub fn payments_mode(&self) -> PaymentsMode {
        self.payments_mode.parse().unwrap_or_default()
    }

    /// The app whose admin access token this is.
    pub fn find_by_admin_token(db: &Connection, token: &str) -> rusqlite::Result<Option<App>> {
        db.prepare_cached(select_app!("admin_token_hash = ?"))?
            .query_row([hash_secret(token.as_bytes())], App::from_row)
            .optional()
    }

    /// What clients may see.
    pub fn client_settings(&self, issuer: &str) -> ClientSettings {
        ClientSettings {
            app_id: self.id.clone(),
            password_min_length: usize::try_from(self.password_min_length)
                .unwrap_or(sealbase::validate::DEFAULT_PASSWORD_MIN_LEN),
            payments_mode: self.payments_mode(),
            protocol_version: PROTOCOL_VERSION,
            issuer: issuer.to_owned(),
            jwks_url: sealbase::protocol::routes::JWKS.replace("{app_id}", &self.id),
        }
    }
}

/// Replaces an app's admin access token; the old one stops working. Returns the new token.
pub async fn new_admin_token(db: &Database, app_id: &str) -> anyhow::Result<String> {
    let encoded = random_admin_token();
    let updated = db
        .write(|tx| {
            tx.execute("UPDATE apps SET admin_token_hash = ? WHERE id = ?", (hash_secret(encoded.as_bytes()), app_id))
        })
        .await?;
    anyhow::ensure!(updated == 1, "no app with id {app_id}");
    Ok(encoded.to_string())
}

/// 256 random bits, base64url: the admin access token as shown to the operator (only its SHA-256 is kept).
fn random_admin_token() -> Zeroizing<String> {
    let mut token = Zeroizing::new([0u8; 32]);
    sealbase::crypto::random::fill(token.as_mut());
    Zeroizing::new(b64::encode(token.as_ref()))
}
