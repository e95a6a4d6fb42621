//! Apps: created by the operator, looked up on every request.

use sealbase::protocol::{b64, ClientSettings, PaymentsMode, PROTOCOL_VERSION};
use sealbase::Error;
use sqlx::{FromRow, SqlitePool};
use zeroize::Zeroizing;

use crate::clock::now_ms;
use crate::db::hash_secret;
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
        }
    }
}

/// A freshly created app and its admin access token (shown once; only its hash is stored).
#[derive(Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatedApp {
    /// The public appId.
    pub app_id: String,
    /// Bearer token for the admin API.
    pub admin_access_token: String,
}

/// An app as stored.
#[derive(Debug, Clone, FromRow)]
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
}

/// Creates an app.
pub async fn create(pool: &SqlitePool, app: &NewApp) -> anyhow::Result<CreatedApp> {
    let app_id = uuid::Uuid::new_v4().to_string();
    let mut token = Zeroizing::new([0u8; 32]);
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, token.as_mut());
    sqlx::query(
        "INSERT INTO apps (id, name, admin_token_hash, password_min_length, allowed_origins, user_quota, payments_mode, trial_days, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&app_id)
    .bind(&app.name)
    .bind(hash_secret(token.as_ref()))
    .bind(app.password_min_length)
    .bind(serde_json::to_string(&app.allowed_origins)?)
    .bind(app.user_quota)
    .bind(app.payments_mode.as_str())
    .bind(app.trial_days)
    .bind(now_ms())
    .execute(pool)
    .await?;
    Ok(CreatedApp { app_id, admin_access_token: b64::encode(token.as_ref()) })
}

impl App {
    /// Loads the app named in a request, or `AppIdNotValid`.
    pub async fn find(pool: &SqlitePool, app_id: &str) -> ApiResult<App> {
        let app = sqlx::query_as::<_, App>(
            "SELECT id, password_min_length, allowed_origins, payments_mode, trial_days FROM apps WHERE id = ?",
        )
        .bind(app_id)
        .fetch_optional(pool)
        .await?;
        app.ok_or_else(|| Error::AppIdNotValid.into())
    }

    /// Browsers send `Origin`; native clients do not and are not restricted by it.
    pub fn check_origin(&self, origin: Option<&str>) -> ApiResult<()> {
        let Some(origin) = origin else { return Ok(()) };
        let allowed: Vec<String> = serde_json::from_str(&self.allowed_origins).unwrap_or_default();
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

    /// What clients may see.
    pub fn client_settings(&self) -> ClientSettings {
        ClientSettings {
            app_id: self.id.clone(),
            password_min_length: usize::try_from(self.password_min_length)
                .unwrap_or(sealbase::validate::DEFAULT_PASSWORD_MIN_LEN),
            payments_mode: self.payments_mode(),
            protocol_version: PROTOCOL_VERSION,
        }
    }
}
