//! The admin API app servers call: `GET /v1/admin/auth-tokens/{authToken}`, the online check.
//! Errors follow Userbase's admin API: a bare `{ "message": … }` body.

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use sealbase::token::{verify, VerifyError};

use crate::auth::{hash_secret, tokens};
use crate::clock::{iso, now_ms};
use crate::store::StoreError;
use crate::AppState;

/// An admin API failure.
pub(super) struct AdminError(StatusCode, &'static str);

impl IntoResponse for AdminError {
    fn into_response(self) -> Response {
        (self.0, Json(serde_json::json!({ "message": self.1 }))).into_response()
    }
}

impl From<StoreError> for AdminError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Contended => AdminError(StatusCode::TOO_MANY_REQUESTS, "Too many requests."),
            fault => {
                tracing::error!(error = %fault, "admin check failed");
                AdminError(StatusCode::SERVICE_UNAVAILABLE, "Service unavailable.")
            }
        }
    }
}

const AUTH_TOKEN_INVALID: AdminError = AdminError(StatusCode::UNAUTHORIZED, "Auth token invalid.");

/// 200 `{ userId, sessionId, expirationDate }` while the token verifies and its session is live.
pub(super) async fn check_auth_token(
    State(state): State<AppState>,
    auth_token: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
) -> Result<Json<serde_json::Value>, AdminError> {
    let authorization = headers
        .get(header::AUTHORIZATION)
        .ok_or(AdminError(StatusCode::BAD_REQUEST, "Authorization header missing."))?
        .to_str()
        .map_err(|_| AdminError(StatusCode::BAD_REQUEST, "Authorization scheme must be of type Bearer."))?;
    let (scheme, access_token) = authorization.split_once(' ').unwrap_or((authorization, ""));
    if scheme != "Bearer" {
        return Err(AdminError(StatusCode::BAD_REQUEST, "Authorization scheme must be of type Bearer."));
    }
    let access_token = access_token.trim();
    if access_token.is_empty() {
        return Err(AdminError(StatusCode::BAD_REQUEST, "Access token missing."));
    }
    let app = state.store.app_by_admin_token(&hash_secret(access_token.as_bytes())).await?;
    let app = app.ok_or(AdminError(StatusCode::UNAUTHORIZED, "Access token invalid."))?;
    let keys = tokens::published(state.store.as_ref()).await?;
    // A segment that does not decode to UTF-8 cannot be a token: the same answer as a forged one.
    let Path(auth_token) = auth_token.map_err(|_| AUTH_TOKEN_INVALID)?;
    let verified = verify(&auth_token, &keys, &app.id, state.tokens.issuer()).map_err(|error: VerifyError| {
        tracing::debug!(%error, "admin check refused a token");
        AUTH_TOKEN_INVALID
    })?;
    let check = state.store.online_check(&app.id, &verified.user_id, &verified.session_id, now_ms()).await?;
    if !check.user_exists {
        return Err(AdminError(StatusCode::NOT_FOUND, "User not found."));
    }
    if check.user_blocked {
        return Err(AdminError(StatusCode::FORBIDDEN, "User is blocked."));
    }
    if !check.session_live {
        return Err(AUTH_TOKEN_INVALID);
    }
    Ok(Json(serde_json::json!({
        "userId": verified.user_id,
        "sessionId": verified.session_id,
        "expirationDate": iso(verified.expires_at * 1000),
    })))
}
