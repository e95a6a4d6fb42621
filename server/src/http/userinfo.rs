//! `GET` / `POST /v1/apps/{appId}/userinfo`: OpenID Connect's UserInfo endpoint (Core §5.3). The
//! bearer is one of the user's authTokens; it must verify and its session be live (an ended session,
//! a blocked or deleted user all answer `invalid_token`, RFC 6750 §3.1).

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use sealbase::token::verify;

use super::AppIdPath;
use crate::auth::tokens;
use crate::clock::now_ms;
use crate::store::StoreError;
use crate::AppState;

/// A refusal in RFC 6750's style: `WWW-Authenticate: Bearer error=…` and the same in the body.
pub(super) struct Refused(StatusCode, &'static str, &'static str);

const INVALID_TOKEN: Refused = Refused(StatusCode::UNAUTHORIZED, "invalid_token", "The auth token is not valid.");

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        let Refused(status, error, description) = self;
        let challenge = format!("Bearer error=\"{error}\", error_description=\"{description}\"");
        let mut response =
            (status, Json(serde_json::json!({ "error": error, "error_description": description }))).into_response();
        if let Ok(value) = HeaderValue::from_str(&challenge) {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, value);
        }
        response
    }
}

impl From<StoreError> for Refused {
    fn from(error: StoreError) -> Self {
        tracing::error!(%error, "userinfo failed");
        Refused(StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable", "Service unavailable.")
    }
}

/// The user's claims, as [`sealbase::admin::userinfo::userinfo`] names them.
#[utoipa::path(
    method(get, post),
    path = "/v1/apps/{app_id}/userinfo",
    tag = "tokens",
    params(crate::http::openapi::AppPath),
    security(("authToken" = [])),
    responses(
        (status = 200, description = "The user's claims (OpenID Connect Core §5.3).", body = crate::http::openapi::UserInfo),
        (status = "default", description = "RFC 6750 §3.1.", body = crate::http::openapi::BearerErrorBody),
    ),
)]
pub(super) async fn userinfo(
    State(state): State<AppState>,
    AppIdPath(app_id): AppIdPath,
    headers: HeaderMap,
) -> Result<Json<serde_json::Value>, Refused> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|token| !token.is_empty())
        .ok_or(Refused(StatusCode::UNAUTHORIZED, "invalid_request", "An authToken is required as a Bearer token."))?;
    let keys = tokens::published(state.store.as_ref()).await?;
    let verified = verify(token, &keys, &app_id, state.tokens.issuer()).map_err(|_| INVALID_TOKEN)?;
    let check = state.store.online_check(&app_id, &verified.user_id, &verified.session_id, now_ms()).await?;
    if !check.user_exists || !check.session_live || check.user_blocked {
        return Err(INVALID_TOKEN);
    }
    let user = state.store.admin_user(&app_id, &verified.user_id).await?.ok_or(INVALID_TOKEN)?;
    Ok(Json(serde_json::Value::Object(sealbase::admin::userinfo::userinfo(&user.to_admin_user()))))
}
