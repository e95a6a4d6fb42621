//! The server-side API an app's backend calls with one of the app's secrets (docs/protocol.md §3.14):
//! seed 000's `POST /api/v1/server/createUser` (credentials in the body, as the seed has them) and seed
//! 001's `POST /v1/admin/apps/{appId}/users` (`Authorization: Bearer <app secret>`). Both create a
//! pending account: the server keeps a verifier, never the password or an imported hash, and the
//! user's first sign-in from a client makes the end-to-end keys (§3.13).

use axum::body::Bytes;
use std::collections::HashMap;

use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use sealbase::admin::create_user::{self, CallerCredentials, CreateUserResponse, CreatedUser};
use sealbase::admin::{AdminError, AdminUser, NewUserRequest, PasswordSource};
use sealbase::protocol::MAX_BODY_BYTES;

use crate::auth::app_secret;
use crate::clock::{iso, now_ms};
use crate::store::{AdminUserRecord, AppRecord, CreateUserOutcome, Login, NewAccount, StoreError, UserRecord};
use crate::AppState;

const DAY_MS: i64 = 24 * 3_600_000;

/// A failure of the server-side API, answered in its own error style.
pub(super) struct BackendError(pub AdminError);

impl From<AdminError> for BackendError {
    fn from(error: AdminError) -> Self {
        Self(error)
    }
}

impl From<StoreError> for BackendError {
    fn from(error: StoreError) -> Self {
        Self(match error {
            StoreError::Contended => AdminError::TooManyRequests { delay: 1 },
            fault => {
                tracing::error!(error = %fault, "storage failure");
                AdminError::ServiceUnavailable
            }
        })
    }
}

impl IntoResponse for BackendError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.0.status()).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
        (status, Json(self.0.to_body())).into_response()
    }
}

pub(super) type Result<T> = std::result::Result<T, BackendError>;

pub(super) fn json_body(body: std::result::Result<Bytes, BytesRejection>) -> Result<serde_json::Value> {
    let body = body.map_err(|rejection| match rejection.status() {
        StatusCode::PAYLOAD_TOO_LARGE => AdminError::BodyTooLarge { max_length: MAX_BODY_BYTES },
        _ => AdminError::BodyNotValid,
    })?;
    // Strict, as the client API: a repeated key is refused, never read as its last value.
    Ok(super::strict_json::from_slice(&body).map_err(|_| AdminError::BodyNotValid)?)
}

/// The app whose live secret `presented` is; `Unauthorized` for anything else.
async fn authenticate(state: &AppState, app_id: &str, presented: &str) -> Result<AppRecord> {
    let secret = app_secret::authenticate(state.store.as_ref(), app_id, presented, now_ms()).await?;
    let app = match secret {
        Some(_) => state.store.app(app_id).await?,
        None => None,
    };
    app.ok_or_else(|| AdminError::Unauthorized.into())
}

/// Checks a plaintext password against the app's policy, makes the pending verifier (off the async
/// workers: a plaintext costs one Argon2id), stores the account, and reads it back.
async fn create(state: &AppState, app: &AppRecord, request: NewUserRequest) -> Result<AdminUserRecord> {
    let password_seen_by_server = matches!(request.password, PasswordSource::Plaintext(_));
    if request.details.verify_email && state.mail.is_none() {
        return Err(super::email::no_mail_transport().into());
    }
    if let PasswordSource::Plaintext(password) = &request.password {
        let min_length = app.password_min_length as usize;
        if password.chars().count() < min_length {
            return Err(AdminError::PasswordTooShort { min_length }.into());
        }
        let met = sealbase::validate::password_complexity(password);
        if met < app.password_complexity {
            return Err(AdminError::PasswordTooWeak { required: app.password_complexity, met }.into());
        }
    }
    let source = request.password.clone();
    let verifier =
        tokio::task::spawn_blocking(move || source.verifier()).await.map_err(|_| AdminError::ServiceUnavailable)??;
    // A username made from the email (seed 000's always is) is reported as the email: whichever of the
    // two unique indexes a backend checks first, the answer is the same.
    let username_is_email = request.email.as_deref() == Some(request.username.as_str());
    let now = now_ms();
    let trial_expires_at = match (app.payments_mode, app.trial_days) {
        (sealbase::PaymentsMode::Disabled, _) | (_, None) => None,
        (_, Some(days)) => Some(now + i64::from(days) * DAY_MS),
    };
    let user = UserRecord {
        id: uuid::Uuid::new_v4().to_string(),
        app_id: app.id.clone(),
        username: request.username,
        email: request.email,
        profile: None,
        login: Login::Pending(verifier),
        created_at: now,
        trial_expires_at,
        password_seen_by_server,
        email_verified: request.details.email_verified,
        claims: sealbase::protocol::UserClaims::from_record(
            request.details.name.clone(),
            request.details.picture.clone(),
            request.details.phone_number.clone(),
            request.details.profile.clone(),
        ),
        phone_number_verified: request.details.phone_number_verified,
        metadata: request.details.metadata.clone(),
    };
    let account = NewAccount { user, details: request.details };
    let taken = |field: &str| BackendError(AdminError::UserAlreadyExists { field: field.into() });
    match state.store.create_user(&account).await? {
        CreateUserOutcome::Created => {}
        CreateUserOutcome::UsernameTaken | CreateUserOutcome::EmailTaken if username_is_email => {
            return Err(taken("email"))
        }
        // When both are taken, backends differ in which index they report: the username is named
        // first, as at sign-up.
        CreateUserOutcome::UsernameTaken | CreateUserOutcome::EmailTaken => {
            let username_taken = state.store.user_by_username(&app.id, &account.user.username).await?.is_some();
            return Err(taken(if username_taken { "username" } else { "email" }));
        }
        CreateUserOutcome::IdentityTaken(index) => {
            return Err(AdminError::IdentityAlreadyLinked { field: format!("identities[{index}]") }.into());
        }
        CreateUserOutcome::QuotaExceeded => return Err(AdminError::UserQuotaExceeded.into()),
    }
    tracing::info!(user_id = %account.user.id, password_seen_by_server, "app backend created a pending account");
    if let (true, Some(email)) = (account.details.verify_email, &account.user.email) {
        // The account stands either way; a failed mail leaves verify_email set, for a retry by PATCH.
        if let Err(error) = super::email::send_verification(state, &app.id, &account.user.id, email).await {
            tracing::error!(%error, user_id = %account.user.id, "verification mail not sent");
        }
    }
    let stored = state.store.admin_user(&app.id, &account.user.id).await?;
    stored.ok_or_else(|| StoreError::Malformed(format!("user {} vanished after its creation", account.user.id)).into())
}

/// Seed 000: `200 {"user": {id, email, firstName, lastName, fullName}}`.
#[utoipa::path(
    post,
    path = "/api/v1/server/createUser",
    tag = "backend",
    request_body = crate::http::openapi::CreateUserBody,
    responses(
        (status = 200, description = "The new user (seed 000).", body = sealbase::admin::create_user::CreateUserResponse),
        (status = "default", description = "An error (§3.14.5).", body = crate::http::openapi::AdminErrorBody),
    ),
)]
pub(super) async fn create_user(
    State(state): State<AppState>,
    body: std::result::Result<Bytes, BytesRejection>,
) -> Result<Json<CreateUserResponse>> {
    let body = json_body(body)?;
    let credentials = CallerCredentials::from_json(&body)?;
    let app = authenticate(&state, &credentials.app_id, &credentials.app_secret).await?;
    let request = create_user::new_user(&body)?;
    let stored = create(&state, &app, request).await?;
    let profile = stored.details.profile.unwrap_or_default();
    Ok(Json(CreateUserResponse {
        user: CreatedUser {
            id: stored.user.id,
            email: stored.user.email.unwrap_or_default(),
            first_name: profile.given_name.unwrap_or_default(),
            last_name: profile.family_name.unwrap_or_default(),
            full_name: stored.details.name.unwrap_or_default(),
        },
    }))
}

/// A request of the app in the path, made with one of its live secrets (`Authorization: Bearer`).
pub(super) struct BackendApp(pub AppRecord);

impl FromRequestParts<AppState> for BackendApp {
    type Rejection = BackendError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self> {
        let Ok(Path(params)) = Path::<HashMap<String, String>>::from_request_parts(parts, state).await else {
            return Err(AdminError::Unauthorized.into());
        };
        let app_id = params.get("app_id").ok_or(AdminError::Unauthorized)?;
        let presented = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            .ok_or(AdminError::Unauthorized)?;
        Ok(Self(authenticate(state, app_id, presented.trim()).await?))
    }
}

/// Seed 001: `201` and the stored user.
#[utoipa::path(
    post,
    path = "/v1/admin/apps/{app_id}/users",
    tag = "backend",
    params(crate::http::openapi::AppPath),
    security(("appSecret" = [])),
    request_body = crate::http::openapi::NewUserBody,
    responses(
        (status = 201, description = "The stored user.", body = sealbase::admin::AdminUser),
        (status = "default", description = "An error (§3.14.5).", body = crate::http::openapi::AdminErrorBody),
    ),
)]
pub(super) async fn create_account(
    State(state): State<AppState>,
    BackendApp(app): BackendApp,
    body: std::result::Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<AdminUser>)> {
    let request = NewUserRequest::from_json(&json_body(body)?)?;
    let stored = create(&state, &app, request).await?;
    Ok((StatusCode::CREATED, Json(stored.to_admin_user())))
}

impl AdminUserRecord {
    /// The user as the server-side API answers it.
    pub fn to_admin_user(&self) -> AdminUser {
        let user = &self.user;
        AdminUser {
            id: user.id.clone(),
            username: user.username.clone(),
            email: user.email.clone(),
            created_at: iso(user.created_at),
            pending_keys: matches!(user.login, Login::Pending(_)),
            password_seen_by_server: user.password_seen_by_server,
            details: self.details.clone(),
        }
    }
}
