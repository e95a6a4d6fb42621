//! `POST …/pre-login` and `POST …/sign-in`.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;
use sealbase::protocol::{
    ChallengePurpose, FirstSignInRequest, PreLoginRequest, PreLoginResponse, SignInRequest, SignInResponse,
};
use sealbase::Error;

use super::{json_body, origin, AppIdPath, ClientAddress};
use crate::auth::proof::{self, CheckedProof, Proof};
use crate::auth::session::IssuedSession;
use crate::clock::now_ms;
use crate::error::{ApiError, ApiResult};
use crate::store::{AppRecord, Login, ProofAttempt, ProofEffect, ProofOutcome, Refusal, StoreError, UserRecord};
use crate::AppState;

/// KDF parameters and a challenge; the same shape and status whether or not the user exists.
#[utoipa::path(
    post,
    path = "/v1/apps/{app_id}/pre-login",
    tag = "client",
    params(crate::http::openapi::AppPath),
    request_body = sealbase::protocol::PreLoginRequest,
    responses(
        (status = 200, description = "KDF or legacy parameters and a challenge.", body = sealbase::protocol::PreLoginResponse),
        (status = "default", description = "An error (§7).", body = crate::http::openapi::ErrorBody),
    ),
)]
pub(super) async fn pre_login(
    State(state): State<AppState>,
    AppIdPath(app_id): AppIdPath,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<PreLoginResponse>> {
    state.address_budget.spend(address)?;
    let request = PreLoginRequest::from_json(&json_body(body)?)?;
    let app = state.app(&app_id).await?;
    app.check_origin(origin(&headers))?;
    // A pending account answers its legacy parameters (so it can be told from others: docs/protocol.md
    // §3.13); an unknown username answers fake KDF parameters, the same for every request.
    let (kdf, legacy) = match state.store.user_by_username(&app.id, &request.username).await?.map(|user| user.login) {
        Some(Login::Keys(keys)) => (Some(keys.kdf), None),
        Some(Login::Pending(verifier)) => (None, Some(verifier.params)),
        None => (Some(state.secret.fake_kdf_params(&app.id, &request.username)), None),
    };
    let challenge = state.secret.issue_challenge(&app.id, &request.username);
    Ok(Json(PreLoginResponse { kdf, legacy, challenge, audience: state.issuer.clone() }))
}

/// Verifies the signed challenge and opens a session, in the one transaction that spends the proof.
#[utoipa::path(
    post,
    path = "/v1/apps/{app_id}/sign-in",
    tag = "client",
    params(crate::http::openapi::AppPath),
    request_body = sealbase::protocol::SignInRequest,
    responses(
        (status = 200, description = "The user, a session and the seed backup.", body = sealbase::protocol::SignInResponse),
        (status = "default", description = "An error (§7).", body = crate::http::openapi::ErrorBody),
    ),
)]
pub(super) async fn sign_in(
    State(state): State<AppState>,
    AppIdPath(app_id): AppIdPath,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<SignInResponse>> {
    state.address_budget.spend(address)?;
    let request = SignInRequest::from_json(&json_body(body)?)?;
    let app = state.app(&app_id).await?;
    app.check_origin(origin(&headers))?;

    let proof = Proof {
        app_id: &app.id,
        username: &request.username,
        purpose: ChallengePurpose::SignIn,
        challenge: &request.challenge,
        signature: &request.signature,
    };
    let checked = proof::check(&proof, &state.secret, &state.issuer, state.store.as_ref()).await?;
    let now = now_ms();
    // The session is for the verified user; an unverified proof opens nothing (a user id that names no
    // account stands in, and the store counts a failure without reaching the effect).
    let user_id = checked.verified.as_ref().map_or("", |user| &user.id);
    let session = IssuedSession::new(user_id, request.remember_me, request.session_length, now);
    let attempt = sign_in_attempt(&app, &checked, &request.username, now);
    let outcome = state.store.spend_proof(&attempt, ProofEffect::OpenSession(&session.record)).await?;
    let user = accepted(&state, &app, &checked, outcome, now, Error::UsernameOrPasswordMismatch).await?;
    tracing::info!(user_id = %user.id, "user signed in");
    respond(&state, &app, user, session)
}

/// A sign-in's attempt: in an app that requires a verified email, the store refuses a right proof of a
/// user whose email is not, after the throttle and the proof (so a wrong password, or any password
/// during a throttle delay, never learns whether it was right).
pub(super) fn sign_in_attempt<'a>(
    app: &'a AppRecord,
    checked: &'a CheckedProof,
    username: &'a str,
    now: i64,
) -> ProofAttempt<'a> {
    ProofAttempt { email_must_be_verified: app.require_verified_email, ..checked.attempt(&app.id, username, now) }
}

/// The user a sign-in's proof was accepted for, or its public error (`mismatch` for a wrong proof); a
/// refusal for an unverified email mails a new verification (at most one per
/// [`crate::auth::email_verification::RESEND_AFTER_MS`]).
pub(super) async fn accepted(
    state: &AppState,
    app: &AppRecord,
    checked: &CheckedProof,
    outcome: ProofOutcome,
    now: i64,
    mismatch: Error,
) -> ApiResult<UserRecord> {
    if let (ProofOutcome::Refused(Refusal::EmailNotVerified), Some(user)) = (&outcome, &checked.verified) {
        super::email::resend_verification(state, &app.id, &user.id, user.email.as_deref()).await;
    }
    Ok(proof::accepted(outcome, now, mismatch)?)
}

/// The answer to a sign-in (or a first sign-in, or a reset): the user with an authToken for the new
/// session, the session, and the seed backup only the password opens.
pub(super) fn respond(
    state: &AppState,
    app: &AppRecord,
    user: UserRecord,
    session: IssuedSession,
) -> ApiResult<Json<SignInResponse>> {
    let seed_backup = user
        .keys()
        .map(|keys| keys.seed_backup.clone())
        .ok_or_else(|| ApiError::Store(StoreError::Malformed(format!("user {} signed in without keys", user.id))))?;
    let expires_at = session.record.expires_at;
    let session = session.grant();
    let auth_token = state
        .tokens
        .issue(&app.id, app.token_lifetime_secs.into(), user.token_subject(), &session.session_id, expires_at)
        .map_err(ApiError::Internal)?;
    Ok(Json(SignInResponse { user: user.to_user(app, auth_token), session, seed_backup }))
}

/// A pending account's first sign-in: the proof is a signature by the legacy login key, bound to the
/// keys it registers; in the one transaction that spends it, the keys replace the verifier and the
/// session opens (docs/protocol.md §3.13).
#[utoipa::path(
    post,
    path = "/v1/apps/{app_id}/first-sign-in",
    tag = "client",
    params(crate::http::openapi::AppPath),
    request_body = sealbase::protocol::FirstSignInRequest,
    responses(
        (status = 200, description = "The user, a session and the seed backup.", body = sealbase::protocol::SignInResponse),
        (status = "default", description = "An error (§7).", body = crate::http::openapi::ErrorBody),
    ),
)]
pub(super) async fn first_sign_in(
    State(state): State<AppState>,
    AppIdPath(app_id): AppIdPath,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<SignInResponse>> {
    state.address_budget.spend(address)?;
    let request = FirstSignInRequest::from_json(&json_body(body)?)?;
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
    let effect = ProofEffect::CompleteKeys { keys: &request.keys, session: &session.record };
    let attempt = sign_in_attempt(&app, &checked, &request.username, now);
    let outcome = state.store.spend_proof(&attempt, effect).await?;
    let user = accepted(&state, &app, &checked, outcome, now, Error::UsernameOrPasswordMismatch).await?;
    tracing::info!(user_id = %user.id, "pending account signed in for the first time and registered its keys");
    respond(&state, &app, user, session)
}
