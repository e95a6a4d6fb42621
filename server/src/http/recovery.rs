//! Recovery keys (docs/protocol.md §3.19): `PUT …/user/recovery-key` registers one, `POST …/pre-reset`
//! and `POST …/reset-password` set a new password with it, keeping the seed.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use sealbase::protocol::{
    PreLoginRequest, PreResetResponse, RecoveryKeyStatus, RecoveryRegistration, ResetPasswordRequest, SignInResponse,
};
use sealbase::Error;

use super::sign_in::{accepted, respond, sign_in_attempt};
use super::{json_body, origin, AppIdPath, Authenticated, ClientAddress};
use crate::auth::proof::{self, Proof};
use crate::auth::session::IssuedSession;
use crate::clock::{iso, now_ms};
use crate::error::ApiResult;
use crate::store::{Credentials, ProofEffect, StoredRecovery};
use crate::AppState;

/// The signed-in user's current recovery key registration: what a new one must name as replaced.
#[utoipa::path(
    get,
    path = "/v1/apps/{app_id}/user/recovery-key",
    tag = "client",
    params(crate::http::openapi::AppPath),
    security(("session" = [])),
    responses(
        (status = 200, description = "The current registration, or nulls.", body = sealbase::protocol::RecoveryKeyStatus),
        (status = "default", description = "An error (§7).", body = crate::http::openapi::ErrorBody),
    ),
)]
pub(super) async fn status(
    State(state): State<AppState>,
    Authenticated(session): Authenticated,
    headers: HeaderMap,
) -> ApiResult<Json<RecoveryKeyStatus>> {
    let app = state.app(&session.app_id).await?;
    app.check_origin(origin(&headers))?;
    let user = state.store.user_by_id(&session.user_id).await?.ok_or(Error::UserNotFound)?;
    let recovery = state.store.recovery(&app.id, &user.username).await?;
    Ok(Json(RecoveryKeyStatus {
        login_public_key: recovery.as_ref().map(|recovery| sealbase::protocol::b64::Bytes(recovery.login_public_key)),
        created_at: recovery.map(|recovery| iso(recovery.created_at)),
    }))
}

/// Registers the signed-in user's recovery key, replacing the one it names. The body is signed with the
/// user's identity key (made from the seed), so a session secret alone cannot set a key of its own.
#[utoipa::path(
    put,
    path = "/v1/apps/{app_id}/user/recovery-key",
    tag = "client",
    params(crate::http::openapi::AppPath),
    security(("session" = [])),
    request_body = sealbase::protocol::RecoveryRegistration,
    responses(
        (status = 204, description = "Registered."),
        (status = "default", description = "An error (§7).", body = crate::http::openapi::ErrorBody),
    ),
)]
pub(super) async fn register(
    State(state): State<AppState>,
    Authenticated(session): Authenticated,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<StatusCode> {
    let registration = RecoveryRegistration::from_json(&json_body(body)?)?;
    let app = state.app(&session.app_id).await?;
    app.check_origin(origin(&headers))?;
    let user = state.store.user_by_id(&session.user_id).await?.ok_or(Error::UserNotFound)?;
    let identity = user.keys().map(|keys| keys.identity.signing.0).ok_or(Error::UserNotFound)?;
    let message = RecoveryRegistration::message(
        &app.id,
        &user.id,
        &state.issuer,
        &registration.salt,
        &registration.login_public_key,
        &registration.seed_backup,
        registration.replaces.as_ref(),
    );
    if !proof::login_signature_valid(&identity, &message, &registration.signature) {
        return Err(Error::SignatureNotValid.into());
    }
    let recovery = StoredRecovery {
        salt: registration.salt.0,
        login_public_key: registration.login_public_key.0,
        seed_backup: registration.seed_backup,
        created_at: now_ms(),
    };
    let replaces = registration.replaces.as_ref().map(|key| &key.0);
    state.store.set_recovery(&user.id, &session.session_id, &recovery, replaces, recovery.created_at).await??;
    tracing::info!(user_id = %user.id, "recovery key registered");
    Ok(StatusCode::NO_CONTENT)
}

/// A recovery key's salt and backup and a challenge; the same shape whether or not the user exists or
/// has a recovery key.
#[utoipa::path(
    post,
    path = "/v1/apps/{app_id}/pre-reset",
    tag = "client",
    params(crate::http::openapi::AppPath),
    request_body = sealbase::protocol::PreLoginRequest,
    responses(
        (status = 200, description = "The recovery salt and backup, and a challenge.", body = sealbase::protocol::PreResetResponse),
        (status = "default", description = "An error (§7).", body = crate::http::openapi::ErrorBody),
    ),
)]
pub(super) async fn pre_reset(
    State(state): State<AppState>,
    AppIdPath(app_id): AppIdPath,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<PreResetResponse>> {
    state.address_budget.spend(address)?;
    let request = PreLoginRequest::from_json(&json_body(body)?)?;
    let app = state.app(&app_id).await?;
    app.check_origin(origin(&headers))?;
    let recovery = match state.store.recovery(&app.id, &request.username).await? {
        Some(recovery) => recovery,
        None => state.secret.fake_recovery(&app.id, &request.username),
    };
    Ok(Json(PreResetResponse {
        salt: sealbase::protocol::b64::Bytes(recovery.salt),
        seed_backup: recovery.seed_backup,
        challenge: state.secret.issue_challenge(&app.id, &request.username),
        audience: state.issuer.clone(),
    }))
}

/// Sets a new password with a recovery key's proof, in the one transaction that spends it: the new
/// password's key material (wrapping the same seed) replaces the old, every session is revoked, and a
/// new one opens.
#[utoipa::path(
    post,
    path = "/v1/apps/{app_id}/reset-password",
    tag = "client",
    params(crate::http::openapi::AppPath),
    request_body = sealbase::protocol::ResetPasswordRequest,
    responses(
        (status = 200, description = "The user, a session and the new seed backup.", body = sealbase::protocol::SignInResponse),
        (status = "default", description = "An error (§7).", body = crate::http::openapi::ErrorBody),
    ),
)]
pub(super) async fn reset_password(
    State(state): State<AppState>,
    AppIdPath(app_id): AppIdPath,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<SignInResponse>> {
    state.address_budget.spend(address)?;
    let request = ResetPasswordRequest::from_json(&json_body(body)?)?;
    let app = state.app(&app_id).await?;
    app.check_origin(origin(&headers))?;

    let proof = Proof {
        app_id: &app.id,
        username: &request.username,
        purpose: request.purpose(),
        challenge: &request.challenge,
        signature: &request.signature,
    };
    let checked = proof::check(&proof, &state.secret, &state.issuer, state.store.as_ref()).await?;
    let now = now_ms();
    let user_id = checked.verified.as_ref().map_or("", |user| &user.id);
    let session = IssuedSession::new(user_id, request.remember_me, request.session_length, now);
    let credentials = Credentials {
        kdf: request.kdf.clone(),
        login_public_key: request.login_public_key.0,
        seed_backup: request.seed_backup.clone(),
    };
    // Only read when the proof verified; a failed one is counted before the effect is looked at.
    let recovery_login_public_key = checked.recovery_login_public_key.unwrap_or_default();
    let effect = ProofEffect::ResetPassword {
        credentials: &credentials,
        recovery_login_public_key: &recovery_login_public_key,
        session: &session.record,
    };
    let attempt = sign_in_attempt(&app, &checked, &request.username, now);
    let outcome = state.store.spend_proof(&attempt, effect).await?;
    let user = accepted(&state, &app, &checked, outcome, now, Error::RecoveryKeyIncorrect).await?;
    tracing::info!(user_id = %user.id, "password reset by recovery key; every other session revoked");
    respond(&state, &app, user, session)
}
