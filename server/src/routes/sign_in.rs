//! `POST …/pre-login` and `POST …/sign-in`.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::Json;
use sealbase::protocol::{
    challenge_message, ChallengePurpose, PreLoginRequest, PreLoginResponse, SignInRequest, SignInResponse,
};
use sealbase::Error;

use super::{json_body, origin, ClientAddress};
use crate::clock::now_ms;
use crate::error::{ApiError, ApiResult};
use crate::users::UserRow;
use crate::{challenges, sessions, throttle, AppState};

/// KDF parameters and a challenge; the same shape and status whether or not the user exists.
pub async fn pre_login(
    State(state): State<AppState>,
    Path(app_id): Path<String>,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<PreLoginResponse>> {
    state.address_budget.spend(address)?;
    let request = PreLoginRequest::from_json(&json_body(body)?)?;
    let app = state.app(&app_id).await?;
    app.check_origin(origin(&headers))?;
    let stored = UserRow::by_username(&state.db, &app.id, &request.username).await?.and_then(|user| user.kdf_params());
    let kdf = stored.unwrap_or_else(|| state.secret.fake_kdf_params(&app.id, &request.username));
    let challenge = state.secret.issue_challenge(&app.id, &request.username);
    Ok(Json(PreLoginResponse { kdf, challenge, audience: state.issuer.clone() }))
}

/// Verifies the signed challenge and opens a session.
pub async fn sign_in(
    State(state): State<AppState>,
    Path(app_id): Path<String>,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<SignInResponse>> {
    state.address_budget.spend(address)?;
    let request = SignInRequest::from_json(&json_body(body)?)?;
    let app = state.app(&app_id).await?;
    app.check_origin(origin(&headers))?;

    let (user, mut tx) = verify_password_proof(
        &state,
        &app.id,
        &request.username,
        ChallengePurpose::SignIn,
        &request.challenge,
        &request.signature,
    )
    .await?
    .ok_or(Error::UsernameOrPasswordMismatch)?;
    let seed_backup =
        user.seed_backup().ok_or_else(|| ApiError::Internal(anyhow::anyhow!("stored seed backup malformed")))?;

    let (session, expires_at) =
        sessions::create(&mut tx, &user.id, request.remember_me, request.session_length).await?;
    tx.commit().await?;
    let auth_token = state
        .tokens
        .issue(&app.id, app.token_lifetime_secs, &user.id, &session.session_id, expires_at)
        .map_err(ApiError::Internal)?;
    tracing::info!(user_id = %user.id, "user signed in");
    Ok(Json(SignInResponse { user: user.to_user(&app, auth_token), session, seed_backup }))
}

/// Checks a challenge signed with a login key: challenge authentic and unspent, account not in a
/// throttle delay, signature valid. Reads happen first; every write goes into one transaction. On a
/// success that transaction (challenge spent, failure count cleared) is handed back for the caller's
/// own writes; on a failure (wrong password and unknown user alike) it is committed with the failure
/// counted, and the answer is `None`.
pub(crate) async fn verify_password_proof(
    state: &AppState,
    app_id: &str,
    username: &str,
    purpose: ChallengePurpose,
    challenge: &sealbase::protocol::b64::Bytes<{ sealbase::protocol::CHALLENGE_LEN }>,
    signature: &sealbase::protocol::b64::Bytes<64>,
) -> ApiResult<Option<(UserRow, sqlx::Transaction<'static, sqlx::Sqlite>)>> {
    let (nonce, expires_at) = state.secret.check_challenge(challenge, app_id, username)?;
    let now = now_ms();
    let message = challenge_message(purpose, app_id, username, &challenge.0, &state.issuer);
    let stored = UserRow::by_username(&state.db, app_id, username).await?;
    // Unknown users cost the same signature check as known ones (against a fixed key), so timing does
    // not tell them apart.
    let signature_valid = match &stored {
        Some(user) => user.login_signature_valid(&message, signature),
        None => UserRow::decoy_signature_check(&message, signature),
    };
    let user = stored.filter(|_| signature_valid);

    // The throttle is read inside the transaction, after the challenge insert took SQLite's write lock,
    // so parallel guesses cannot all pass one check before any failure is counted. A refused attempt
    // rolls back: nothing counted, challenge not spent.
    let mut tx = state.db.begin().await?;
    challenges::spend(&mut tx, &nonce, expires_at).await?;
    let had_failures = throttle::check(&mut tx, app_id, username, now).await?;
    match user {
        Some(user) => {
            if had_failures {
                throttle::reset(&mut tx, app_id, username).await?;
            }
            Ok(Some((user, tx)))
        }
        None => {
            throttle::record_failure(&mut tx, app_id, username, now).await?;
            tx.commit().await?;
            Ok(None)
        }
    }
}
