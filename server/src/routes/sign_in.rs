//! `POST …/pre-login` and `POST …/sign-in`.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;
use rusqlite::Transaction;
use sealbase::protocol::{
    challenge_message, ChallengePurpose, PreLoginRequest, PreLoginResponse, SignInRequest, SignInResponse,
};
use sealbase::Error;

use super::{json_body, origin, AppIdPath, ClientAddress};
use crate::clock::now_ms;
use crate::error::{ApiError, ApiResult};
use crate::sessions::NewSession;
use crate::users::UserRow;
use crate::{challenges, throttle, AppState};

/// KDF parameters and a challenge; the same shape and status whether or not the user exists.
pub async fn pre_login(
    State(state): State<AppState>,
    AppIdPath(app_id): AppIdPath,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<PreLoginResponse>> {
    state.address_budget.spend(address)?;
    let request = PreLoginRequest::from_json(&json_body(body)?)?;
    let app = state.app(&app_id)?;
    app.check_origin(origin(&headers))?;
    let stored =
        state.db.read(|c| UserRow::by_username(c, &app.id, &request.username))?.and_then(|user| user.kdf_params());
    let kdf = stored.unwrap_or_else(|| state.secret.fake_kdf_params(&app.id, &request.username));
    let challenge = state.secret.issue_challenge(&app.id, &request.username);
    Ok(Json(PreLoginResponse { kdf, challenge, audience: state.issuer.clone() }))
}

/// Verifies the signed challenge and opens a session.
pub async fn sign_in(
    State(state): State<AppState>,
    AppIdPath(app_id): AppIdPath,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<SignInResponse>> {
    state.address_budget.spend(address)?;
    let request = SignInRequest::from_json(&json_body(body)?)?;
    let app = state.app(&app_id)?;
    app.check_origin(origin(&headers))?;

    let proof = verify_password_proof(
        &state,
        &app.id,
        &request.username,
        ChallengePurpose::SignIn,
        &request.challenge,
        &request.signature,
        |tx, user| {
            // Checked before the session is stored: a backup that cannot be sent leaves no session behind.
            let seed_backup = user
                .seed_backup()
                .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("stored seed backup malformed")))?;
            let session = NewSession::new(&user.id, request.remember_me, request.session_length);
            session.insert(tx)?;
            Ok((session, seed_backup))
        },
    )
    .await?;
    let Some((user, (session, seed_backup))) = proof else {
        return Err(Error::UsernameOrPasswordMismatch.into());
    };
    let (session, expires_at) = session.grant();
    let auth_token = state
        .tokens
        .issue(&app.id, app.token_lifetime_secs, &user.id, &session.session_id, expires_at)
        .map_err(ApiError::Internal)?;
    tracing::info!(user_id = %user.id, "user signed in");
    Ok(Json(SignInResponse { user: user.to_user(&app, auth_token), session, seed_backup }))
}

/// Checks a challenge signed with a login key: challenge authentic and unspent, account not in a
/// throttle delay, signature valid. The user is read and the signature checked before the write
/// transaction, which spends the challenge, reads and clears the throttle and runs `then` (the
/// operation the proof authorises), all or nothing; the writer is serialised, so the time each proof
/// holds it is kept short. Inside the transaction the account is read again and must still have the
/// username and login key the signature was checked against. On a failure (wrong password, unknown
/// user, or an account changed since the read) the transaction is
/// committed with the failure counted, and the answer is `None`. A refused attempt (throttled, or
/// `then` failing) writes nothing: no failure counted, challenge not spent.
pub(crate) async fn verify_password_proof<T>(
    state: &AppState,
    app_id: &str,
    username: &str,
    purpose: ChallengePurpose,
    challenge: &sealbase::protocol::b64::Bytes<{ sealbase::protocol::CHALLENGE_LEN }>,
    signature: &sealbase::protocol::b64::Bytes<64>,
    then: impl FnOnce(&Transaction<'_>, &UserRow) -> ApiResult<T>,
) -> ApiResult<Option<(UserRow, T)>> {
    let (nonce, expires_at) = state.secret.check_challenge(challenge, app_id, username)?;
    let message = challenge_message(purpose, app_id, username, &challenge.0, &state.issuer);
    let stored = state.db.read(|c| UserRow::by_username(c, app_id, username))?;
    // Unknown users cost the same signature check as known ones (against a fixed key), so timing does
    // not tell them apart.
    let signature_valid = match &stored {
        Some(user) => user.login_signature_valid(&message, signature),
        None => UserRow::decoy_signature_check(&message, signature),
    };
    let user = stored.filter(|_| signature_valid);

    // The throttle is read inside the write transaction, after the challenge is spent, so parallel
    // guesses cannot all pass one check before any failure is counted.
    let now = now_ms();
    state
        .db
        .write(|tx| {
            let locked_until = challenges::spend(tx, &nonce, expires_at, app_id, username)?;
            throttle::check(locked_until, now)?;
            // The row was read before the write lock: a password change (or rename, or deletion)
            // committed meanwhile makes this proof one for a key the account no longer has.
            let user = match user {
                Some(user) if user.login_unchanged(tx)? => Some(user),
                _ => None,
            };
            match user {
                Some(user) => {
                    if locked_until.is_some() {
                        throttle::clear(tx, app_id, username, now)?;
                    }
                    let value = then(tx, &user)?;
                    Ok(Some((user, value)))
                }
                None => {
                    throttle::record_failure(tx, app_id, username, now)?;
                    Ok(None)
                }
            }
        })
        .await
}
