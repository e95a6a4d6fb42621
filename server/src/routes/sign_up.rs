//! `POST /v1/apps/{app_id}/users`: create a user and its first session, in one transaction.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use sealbase::protocol::{SignUpRequest, SignUpResponse, User};
use sealbase::Error;

use super::{json_body, AppIdPath, ClientAddress};
use rusqlite::named_params;

use crate::clock::{iso, now_ms};
use crate::error::{or_if_duplicate, ApiError, ApiResult};
use crate::{sessions, AppState};

const DAY_MS: i64 = 24 * 3_600_000;

/// Creates the account. Uniqueness and the quota are enforced inside the transaction by the database.
pub async fn sign_up(
    State(state): State<AppState>,
    AppIdPath(app_id): AppIdPath,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<(StatusCode, Json<SignUpResponse>)> {
    // Each sign-up answers whether a username is taken: budget it like pre-login and sign-in.
    state.address_budget.spend(address)?;
    let request = SignUpRequest::from_json(&json_body(body)?)?;
    let app = state.app(&app_id)?;
    app.check_origin(super::origin(&headers))?;

    let user_id = uuid::Uuid::new_v4().to_string();
    let now = now_ms();
    let payments_mode = app.payments_mode();
    let trial_expires_at = match (payments_mode, app.trial_days) {
        (sealbase::PaymentsMode::Disabled, _) | (_, None) => None,
        (_, Some(days)) => Some(now + days * DAY_MS),
    };
    let profile_json =
        request.profile.as_ref().map(serde_json::to_string).transpose().map_err(|e| ApiError::Internal(e.into()))?;

    let (session, expires_at) = state
        .db
        .write(|tx| {
            // Counting first takes the quota check and the insert under one write lock: sign-ups cannot race
            // past the quota.
            let counted = tx
                .prepare_cached(
                    "UPDATE apps SET user_count = user_count + 1
                 WHERE id = ? AND (user_quota IS NULL OR user_count < user_quota)",
                )?
                .execute([&app.id])?;
            if counted == 0 {
                return Err(Error::TrialExceededLimit.into());
            }
            let inserted = tx
                .prepare_cached(
                    "INSERT INTO users (id, app_id, username, email, profile, kdf_algorithm, kdf_log_n, kdf_r, kdf_p,
                    kdf_salt, login_public_key, seed_backup_nonce, seed_backup_ciphertext,
                    identity_signing_public_key, identity_exchange_public_key, created_at, trial_expires_at)
                 VALUES (:id, :app_id, :username, :email, :profile, 'scrypt', :log_n, :r, :p, :salt, :login_key,
                    :nonce, :ciphertext, :signing_key, :exchange_key, :created_at, :trial_expires_at)",
                )?
                .execute(named_params! {
                    ":id": user_id,
                    ":app_id": app.id,
                    ":username": request.username,
                    ":email": request.email,
                    ":profile": profile_json,
                    ":log_n": request.kdf.log_n,
                    ":r": request.kdf.r,
                    ":p": request.kdf.p,
                    ":salt": request.kdf.salt.0.as_slice(),
                    ":login_key": request.login_public_key.0.as_slice(),
                    ":nonce": request.seed_backup.nonce.0.as_slice(),
                    ":ciphertext": request.seed_backup.ciphertext.0.as_slice(),
                    ":signing_key": request.identity.signing.0.as_slice(),
                    ":exchange_key": request.identity.exchange.0.as_slice(),
                    ":created_at": now,
                    ":trial_expires_at": trial_expires_at,
                });
            or_if_duplicate(inserted, Error::UsernameAlreadyExists)?;
            Ok::<_, ApiError>(sessions::create(tx, &user_id, request.remember_me, request.session_length)?)
        })
        .await?;

    let auth_token = state
        .tokens
        .issue(&app.id, app.token_lifetime_secs, &user_id, &session.session_id, expires_at)
        .map_err(ApiError::Internal)?;
    tracing::info!(user_id, "user signed up");
    let response = SignUpResponse {
        user: User {
            username: request.username,
            user_id,
            auth_token,
            creation_date: iso(now),
            email: request.email,
            profile: request.profile,
            payments_mode,
            trial_expiration_date: trial_expires_at.map(iso),
        },
        session,
    };
    Ok((StatusCode::CREATED, Json(response)))
}
