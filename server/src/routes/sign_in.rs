//! `POST …/pre-login` and `POST …/sign-in`.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::Json;
use sealbase::protocol::{
    challenge_message, ChallengePurpose, PreLoginRequest, PreLoginResponse, SignInRequest, SignInResponse,
};
use sealbase::validate::RememberMe;
use sealbase::Error;

use super::{json_body, origin, ClientAddress};
use crate::challenges::AfterSpend;
use crate::clock::now_ms;
use crate::error::{ApiError, ApiResult};
use crate::sessions::NewSession;
use crate::users::UserRow;
use crate::{challenges, throttle, AppState};

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

    let proof = verify_password_proof(
        &state,
        &app.id,
        &request.username,
        ChallengePurpose::SignIn,
        &request.challenge,
        &request.signature,
        Some((request.remember_me, request.session_length)),
    )
    .await?;
    let Some(Verified { user, session: Some(session), tx }) = proof else {
        return Err(Error::UsernameOrPasswordMismatch.into());
    };
    let seed_backup =
        user.seed_backup().ok_or_else(|| ApiError::Internal(anyhow::anyhow!("stored seed backup malformed")))?;
    tx.commit().await?;
    let (session, expires_at) = session.grant();
    let auth_token = state
        .tokens
        .issue(&app.id, app.token_lifetime_secs, &user.id, &session.session_id, expires_at)
        .map_err(ApiError::Internal)?;
    tracing::info!(user_id = %user.id, "user signed in");
    Ok(Json(SignInResponse { user: user.to_user(&app, auth_token), session, seed_backup }))
}

/// A password proof that held: the user, the session opened with it (when asked for), and the write
/// transaction (challenge spent, throttle cleared, session stored) for the caller to add to and commit.
pub(crate) struct Verified {
    pub user: UserRow,
    pub session: Option<NewSession>,
    pub tx: sqlx::Transaction<'static, sqlx::Sqlite>,
}

/// Checks a challenge signed with a login key: challenge authentic and unspent, account not in a
/// throttle delay, signature valid. The user is read and the signature checked before the write
/// transaction, which then takes one round trip to spend the challenge, read and clear the throttle,
/// and store the session if `open_session` asks for one: writes are serialised, so the time each holds
/// the writer is kept short. On a failure (wrong password and unknown user alike) the transaction is
/// committed with the failure counted, and the answer is `None`.
pub(crate) async fn verify_password_proof(
    state: &AppState,
    app_id: &str,
    username: &str,
    purpose: ChallengePurpose,
    challenge: &sealbase::protocol::b64::Bytes<{ sealbase::protocol::CHALLENGE_LEN }>,
    signature: &sealbase::protocol::b64::Bytes<64>,
    open_session: Option<(RememberMe, f64)>,
) -> ApiResult<Option<Verified>> {
    let (nonce, expires_at) = state.secret.check_challenge(challenge, app_id, username)?;
    let message = challenge_message(purpose, app_id, username, &challenge.0, &state.issuer);
    let stored = UserRow::by_username(&state.db, app_id, username).await?;
    // Unknown users cost the same signature check as known ones (against a fixed key), so timing does
    // not tell them apart.
    let signature_valid = match &stored {
        Some(user) => user.login_signature_valid(&message, signature),
        None => UserRow::decoy_signature_check(&message, signature),
    };
    let user = stored.filter(|_| signature_valid);
    let session = user
        .as_ref()
        .zip(open_session)
        .map(|(user, (remember_me, length))| NewSession::new(&user.id, remember_me, length));

    // The throttle is read inside the write transaction, after the challenge insert, so parallel
    // guesses cannot all pass one check before any failure is counted. A refused attempt rolls back:
    // nothing counted, challenge not spent, no session.
    let now = now_ms();
    let after = match (&user, &session) {
        (None, _) => AfterSpend::ReadThrottle,
        (Some(_), None) => AfterSpend::ClearThrottle,
        (Some(_), Some(session)) => AfterSpend::ClearThrottleAndOpen(session),
    };
    let mut tx = state.writer.begin().await?;
    let locked_until = challenges::spend(&mut tx, &nonce, expires_at, app_id, username, now, after).await?;
    throttle::check(locked_until, now)?;
    match user {
        Some(user) => Ok(Some(Verified { user, session, tx })),
        None => {
            throttle::record_failure(&mut tx, app_id, username, now).await?;
            tx.commit().await?;
            Ok(None)
        }
    }
}
