//! The admin API app servers call: `GET /v1/admin/auth-tokens/{authToken}`, the online check.
//! Errors follow Userbase's admin API: a bare `{ "message": … }` body.

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use sealbase::token::{verify, VerifyError};

use crate::apps::App;
use crate::clock::{iso, now_ms};
use crate::{tokens, AppState};

/// An admin API failure.
pub struct AdminError(StatusCode, &'static str);

impl IntoResponse for AdminError {
    fn into_response(self) -> Response {
        (self.0, Json(serde_json::json!({ "message": self.1 }))).into_response()
    }
}

impl From<rusqlite::Error> for AdminError {
    fn from(error: rusqlite::Error) -> Self {
        tracing::error!(%error, "admin check failed");
        AdminError(StatusCode::SERVICE_UNAVAILABLE, "Service unavailable.")
    }
}

const AUTH_TOKEN_INVALID: AdminError = AdminError(StatusCode::UNAUTHORIZED, "Auth token invalid.");

/// 200 `{ userId, sessionId, expirationDate }` while the token verifies and its session is live.
pub async fn check_auth_token(
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
    let (app, keys) = state
        .db
        .read(|c| Ok::<_, rusqlite::Error>((App::find_by_admin_token(c, access_token)?, tokens::published(c)?)))?;
    let app = app.ok_or(AdminError(StatusCode::UNAUTHORIZED, "Access token invalid."))?;
    // A segment that does not decode to UTF-8 cannot be a token: the same answer as a forged one.
    let Path(auth_token) = auth_token.map_err(|_| AUTH_TOKEN_INVALID)?;
    let verified = verify(&auth_token, &keys, &app.id, state.tokens.issuer()).map_err(|error: VerifyError| {
        tracing::debug!(%error, "admin check refused a token");
        AUTH_TOKEN_INVALID
    })?;
    let (user_exists, session_live): (bool, bool) = state.db.read(|c| {
        c.prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM users WHERE id = ?1 AND app_id = ?2),
                    EXISTS (SELECT 1 FROM sessions WHERE id = ?3 AND user_id = ?1 AND revoked_at IS NULL AND expires_at > ?4)",
        )?
        .query_row((&verified.user_id, &app.id, &verified.session_id, now_ms()), |row| Ok((row.get(0)?, row.get(1)?)))
    })?;
    if !user_exists {
        return Err(AdminError(StatusCode::NOT_FOUND, "User not found."));
    }
    if !session_live {
        return Err(AUTH_TOKEN_INVALID);
    }
    Ok(Json(serde_json::json!({
        "userId": verified.user_id,
        "sessionId": verified.session_id,
        "expirationDate": iso(verified.expires_at * 1000),
    })))
}
