//! `POST …/session` (resume) and `DELETE …/session` (sign out).

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use sealbase::protocol::{AuthTokenResponse, ResumeRequest, ResumeResponse};
use sealbase::Error;

use super::{json_body_or_empty, origin};
use crate::clock::{hours_to_ms, iso, now_ms};
use crate::error::{ApiError, ApiResult};
use crate::sessions::Authenticated;
use crate::users::UserRow;
use crate::AppState;

/// Extends the session by its own length (or a new one) and returns the user with a fresh authToken.
pub async fn resume(
    State(state): State<AppState>,
    session: Authenticated,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<ResumeResponse>> {
    let request = ResumeRequest::from_json(&json_body_or_empty(body)?)?;
    let app = state.app(&session.app_id)?;
    app.check_origin(origin(&headers))?;
    let session_length = request.session_length.unwrap_or(session.session_length_hours);
    let expires_at = now_ms() + hours_to_ms(session_length);
    // Only a session still live at this instant is extended (a sign-out may have landed meanwhile).
    let extended = state
        .db
        .write(|tx| {
            tx.prepare_cached(
                "UPDATE sessions SET expires_at = ?, session_length_hours = ?
             WHERE id = ? AND revoked_at IS NULL AND expires_at > ?",
            )?
            .execute((expires_at, session_length, &session.session_id, now_ms()))
        })
        .await?;
    if extended == 0 {
        return Err(Error::SessionNotValid.into());
    }
    let user = state.db.read(|c| UserRow::by_id(c, &session.user_id))?.ok_or(Error::UserNotFound)?;
    let auth_token = state
        .tokens
        .issue(&app.id, app.token_lifetime_secs, &user.id, &session.session_id, expires_at)
        .map_err(ApiError::Internal)?;
    Ok(Json(ResumeResponse { user: user.to_user(&app, auth_token), expiration_date: iso(expires_at), session_length }))
}

/// Revokes the session: its secret stops working at once.
pub async fn sign_out(
    State(state): State<AppState>,
    session: Authenticated,
    headers: HeaderMap,
) -> ApiResult<StatusCode> {
    state.app(&session.app_id)?.check_origin(origin(&headers))?;
    state
        .db
        .write(|tx| {
            tx.prepare_cached("UPDATE sessions SET revoked_at = ? WHERE id = ?")?
                .execute((now_ms(), &session.session_id))
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A fresh authToken for the caller's live session (the session itself is not extended).
pub async fn auth_token(
    State(state): State<AppState>,
    session: Authenticated,
    headers: HeaderMap,
) -> ApiResult<Json<AuthTokenResponse>> {
    let app = state.app(&session.app_id)?;
    app.check_origin(origin(&headers))?;
    let auth_token = state
        .tokens
        .issue(&app.id, app.token_lifetime_secs, &session.user_id, &session.session_id, session.expires_at)
        .map_err(ApiError::Internal)?;
    Ok(Json(AuthTokenResponse { auth_token }))
}
