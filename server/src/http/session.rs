//! `POST …/session` (resume), `DELETE …/session` (sign out) and `POST …/auth-token`.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use sealbase::protocol::{AuthTokenResponse, ResumeRequest, ResumeResponse};
use sealbase::Error;

use super::{json_body_or_empty, origin, Authenticated};
use crate::clock::{hours_to_ms, iso, now_ms};
use crate::error::{ApiError, ApiResult};
use crate::AppState;

/// Extends the session by its own length (or a new one) and returns the user with a fresh authToken.
#[utoipa::path(
    post,
    path = "/v1/apps/{app_id}/session",
    tag = "client",
    params(crate::http::openapi::AppPath),
    security(("session" = [])),
    request_body(content = Option<sealbase::protocol::ResumeRequest>, description = "May be empty."),
    responses(
        (status = 200, description = "The session, resumed.", body = sealbase::protocol::ResumeResponse),
        (status = "default", description = "An error (§7).", body = crate::http::openapi::ErrorBody),
    ),
)]
pub(super) async fn resume(
    State(state): State<AppState>,
    Authenticated(session): Authenticated,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<ResumeResponse>> {
    let request = ResumeRequest::from_json(&json_body_or_empty(body)?)?;
    let app = state.app(&session.app_id).await?;
    app.check_origin(origin(&headers))?;
    let session_length = request.session_length.unwrap_or(session.length_hours);
    let now = now_ms();
    let expires_at = now + hours_to_ms(session_length);
    // Only a session still live at this instant is extended (a sign-out may have landed meanwhile).
    if !state.store.extend_session(&session.session_id, expires_at, session_length, now).await? {
        return Err(Error::SessionNotValid.into());
    }
    let user = state.store.user_by_id(&session.user_id).await?.ok_or(Error::UserNotFound)?;
    let auth_token = state
        .tokens
        .issue(&app.id, app.token_lifetime_secs.into(), user.token_subject(), &session.session_id, expires_at)
        .map_err(ApiError::Internal)?;
    Ok(Json(ResumeResponse { user: user.to_user(&app, auth_token), expiration_date: iso(expires_at), session_length }))
}

/// Revokes the session: its secret stops working at once.
#[utoipa::path(
    delete,
    path = "/v1/apps/{app_id}/session",
    tag = "client",
    params(crate::http::openapi::AppPath),
    security(("session" = [])),
    responses(
        (status = 204, description = "Signed out."),
        (status = "default", description = "An error (§7).", body = crate::http::openapi::ErrorBody),
    ),
)]
pub(super) async fn sign_out(
    State(state): State<AppState>,
    Authenticated(session): Authenticated,
    headers: HeaderMap,
) -> ApiResult<StatusCode> {
    state.app(&session.app_id).await?.check_origin(origin(&headers))?;
    state.store.revoke_session(&session.session_id, now_ms()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A fresh authToken for the caller's live session (the session itself is not extended).
#[utoipa::path(
    post,
    path = "/v1/apps/{app_id}/auth-token",
    tag = "client",
    params(crate::http::openapi::AppPath),
    security(("session" = [])),
    responses(
        (status = 200, description = "A fresh authToken.", body = sealbase::protocol::AuthTokenResponse),
        (status = "default", description = "An error (§7).", body = crate::http::openapi::ErrorBody),
    ),
)]
pub(super) async fn auth_token(
    State(state): State<AppState>,
    Authenticated(session): Authenticated,
    headers: HeaderMap,
) -> ApiResult<Json<AuthTokenResponse>> {
    let app = state.app(&session.app_id).await?;
    app.check_origin(origin(&headers))?;
    let auth_token = state
        .tokens
        .issue(
            &app.id,
            app.token_lifetime_secs.into(),
            session.token_subject(),
            &session.session_id,
            session.expires_at,
        )
        .map_err(ApiError::Internal)?;
    Ok(Json(AuthTokenResponse { auth_token }))
}
