//! The admin API app servers call: `GET /v1/admin/auth-tokens/{authToken}`, the online check.
//! Errors carry Userbase's admin API message beside a machine-readable name: `{ "error", "message" }`.

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use sealbase::token::{verify, CheckError, VerifyError};

use crate::auth::{hash_secret, tokens};
use crate::clock::{iso, now_ms};
use crate::store::StoreError;
use crate::AppState;

/// An admin API failure: a row of the one table the server and the `Verifier` share.
pub(super) struct AdminError(CheckError);

impl IntoResponse for AdminError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.0.status()).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
        (status, Json(self.0.to_body())).into_response()
    }
}

impl From<StoreError> for AdminError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Contended => AdminError(CheckError::TooManyRequests),
            fault => {
                tracing::error!(error = %fault, "admin check failed");
                AdminError(CheckError::ServiceUnavailable)
            }
        }
    }
}

const AUTH_TOKEN_INVALID: AdminError = AdminError(CheckError::AuthTokenInvalid);

/// 200 `{ userId, sessionId, expirationDate }` while the token verifies and its session is live.
#[utoipa::path(
    get,
    path = "/v1/admin/auth-tokens/{auth_token}",
    tag = "tokens",
    params(("auth_token" = String, Path, description = "The authToken to check.")),
    security(("adminAccessToken" = [])),
    responses(
        (status = 200, description = "The token verifies and its session is live.", body = crate::http::openapi::OnlineCheck),
        (status = "default", description = "A refusal (§3.12).", body = crate::http::openapi::CheckErrorBody),
    ),
)]
pub(super) async fn check_auth_token(
    State(state): State<AppState>,
    auth_token: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
) -> Result<Json<serde_json::Value>, AdminError> {
    let authorization = headers
        .get(header::AUTHORIZATION)
        .ok_or(AdminError(CheckError::AuthorizationHeaderMissing))?
        .to_str()
        .map_err(|_| AdminError(CheckError::AuthorizationSchemeNotBearer))?;
    let (scheme, access_token) = authorization.split_once(' ').unwrap_or((authorization, ""));
    if scheme != "Bearer" {
        return Err(AdminError(CheckError::AuthorizationSchemeNotBearer));
    }
    let access_token = access_token.trim();
    if access_token.is_empty() {
        return Err(AdminError(CheckError::AccessTokenMissing));
    }
    let app = state.store.app_by_admin_token(&hash_secret(access_token.as_bytes())).await?;
    let app = app.ok_or(AdminError(CheckError::AccessTokenInvalid))?;
    let keys = tokens::published(state.store.as_ref()).await?;
    // A segment that does not decode to UTF-8 cannot be a token: the same answer as a forged one.
    let Path(auth_token) = auth_token.map_err(|_| AUTH_TOKEN_INVALID)?;
    let verified = verify(&auth_token, &keys, &app.id, state.tokens.issuer()).map_err(|error: VerifyError| {
        tracing::debug!(%error, "admin check refused a token");
        AUTH_TOKEN_INVALID
    })?;
    let check = state.store.online_check(&app.id, &verified.user_id, &verified.session_id, now_ms()).await?;
    if !check.user_exists {
        return Err(AdminError(CheckError::UserNotFound));
    }
    if check.user_blocked {
        return Err(AdminError(CheckError::UserBlocked));
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
