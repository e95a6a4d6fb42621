//! `POST /v1/apps/{app_id}/users`: create a user and its first session, in one transaction.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use sealbase::protocol::{SignUpRequest, SignUpResponse};
use sealbase::Error;

use super::{json_body, origin, AppIdPath, ClientAddress};
use crate::auth::session::IssuedSession;
use crate::clock::now_ms;
use crate::error::{ApiError, ApiResult};
use crate::store::{Login, SignUpOutcome, UserRecord};
use crate::AppState;

const DAY_MS: i64 = 24 * 3_600_000;

/// Checks `claims` and `metadata` of a body by the rules of seed 001's record (the request's shape
/// check is lighter), keeping what it read.
pub(super) fn checked_claims<C, M>(
    body: &serde_json::Value,
    claims: &mut Option<C>,
    metadata: &mut Option<M>,
) -> Result<(), Error>
where
    C: From<sealbase::protocol::UserClaims>,
    M: From<sealbase::protocol::Metadata>,
{
    if let Some(value) = body.get("claims").filter(|value| !value.is_null()) {
        *claims = Some(sealbase::admin::record::user_claims(value)?.into());
    }
    if let Some(value) = body.get("metadata").filter(|value| !value.is_null()) {
        *metadata = Some(sealbase::admin::record::user_metadata(value)?.into());
    }
    Ok(())
}

/// Creates the account. Uniqueness and the quota are enforced by the database.
#[utoipa::path(
    post,
    path = "/v1/apps/{app_id}/users",
    tag = "client",
    params(crate::http::openapi::AppPath),
    request_body = sealbase::protocol::SignUpRequest,
    responses(
        (status = 201, description = "The new user and session.", body = sealbase::protocol::SignUpResponse),
        (status = "default", description = "An error (§7).", body = crate::http::openapi::ErrorBody),
    ),
)]
pub(super) async fn sign_up(
    State(state): State<AppState>,
    AppIdPath(app_id): AppIdPath,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<(StatusCode, Json<SignUpResponse>)> {
    // Each sign-up answers whether a username is taken: budget it like pre-login and sign-in.
    state.address_budget.spend(address)?;
    let body = json_body(body)?;
    let mut request = SignUpRequest::from_json(&body)?;
    checked_claims(&body, &mut request.claims, &mut request.metadata)?;
    let app = state.app(&app_id).await?;
    app.check_origin(origin(&headers))?;
    // Without an email, such a user could never verify one, so never sign in again.
    if app.require_verified_email && request.email.is_none() {
        return Err(Error::EmailRequired.into());
    }

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
        profile: request.profile,
        login: Login::Keys(request.keys),
        created_at: now,
        trial_expires_at,
        password_seen_by_server: false,
        email_verified: false,
        claims: request.claims,
        phone_number_verified: false,
        metadata: request.metadata,
    };
    let session = IssuedSession::new(&user.id, request.remember_me, request.session_length, now);
    match state.store.sign_up(&user, &session.record).await? {
        SignUpOutcome::Created => {}
        SignUpOutcome::UsernameTaken => return Err(Error::UsernameAlreadyExists.into()),
        SignUpOutcome::EmailTaken => {
            // When both are taken, backends differ in which index they report; the username's answer
            // is userbase-js's contract, so it comes first.
            if state.store.user_by_username(&app.id, &user.username).await?.is_some() {
                return Err(Error::UsernameAlreadyExists.into());
            }
            return Err(Error::EmailAlreadyExists.into());
        }
        SignUpOutcome::QuotaExceeded => return Err(Error::TrialExceededLimit.into()),
    }
    let expires_at = session.record.expires_at;
    let session = session.grant();
    let auth_token = state
        .tokens
        .issue(&app.id, app.token_lifetime_secs.into(), user.token_subject(), &session.session_id, expires_at)
        .map_err(ApiError::Internal)?;
    tracing::info!(user_id = user.id, "user signed up");
    if let (true, Some(email)) = (app.require_verified_email, &user.email) {
        if let Err(error) = super::email::send_verification(&state, &app.id, &user.id, email).await {
            tracing::error!(%error, user_id = user.id, "verification mail not sent");
        }
    }
    Ok((StatusCode::CREATED, Json(SignUpResponse { user: user.to_user(&app, auth_token), session })))
}
