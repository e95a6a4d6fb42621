//! `PATCH …/user` (updateUser) and `DELETE …/user` (deleteUser).

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use sealbase::protocol::{UpdateUserRequest, UpdateUserResponse};
use sealbase::Error;

use super::{json_body, origin, Authenticated, ClientAddress};
use crate::auth::proof::{self, Proof};
use crate::clock::now_ms;
use crate::error::{ApiError, ApiResult};
use crate::store::{Credentials, ProofEffect, UserUpdate};
use crate::AppState;

/// Applies the changes in one transaction, on a session that must still be live when it commits. A
/// password change must prove the current password with a fresh challenge; it re-keys the login key
/// and seed backup and revokes every other session, in the transaction that spends the proof.
#[utoipa::path(
    patch,
    path = "/v1/apps/{app_id}/user",
    tag = "client",
    params(crate::http::openapi::AppPath),
    security(("session" = [])),
    request_body = sealbase::protocol::UpdateUserRequest,
    responses(
        (status = 200, description = "The user as changed.", body = sealbase::protocol::UpdateUserResponse),
        (status = "default", description = "An error (§7).", body = crate::http::openapi::ErrorBody),
    ),
)]
pub(super) async fn update_user(
    State(state): State<AppState>,
    Authenticated(session): Authenticated,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<UpdateUserResponse>> {
    let body = json_body(body)?;
    let mut request = UpdateUserRequest::from_json(&body)?;
    super::sign_up::checked_claims(&body, &mut request.claims, &mut request.metadata)?;
    // A rename answers whether the new name is taken, like sign-up: it spends the same budget, so
    // renaming back and forth is no unthrottled way to test usernames.
    if request.username.is_some() {
        state.address_budget.spend(address)?;
    }
    let app = state.app(&session.app_id).await?;
    app.check_origin(origin(&headers))?;
    if app.require_verified_email && matches!(request.email, Some(None)) {
        return Err(Error::EmailRequired.into());
    }
    let current = state.store.user_by_id(&session.user_id).await?.ok_or(Error::UserNotFound)?;
    let now = now_ms();
    let update = UserUpdate {
        user_id: current.id.clone(),
        session_id: session.session_id.clone(),
        username: request.username.clone(),
        email: request.email.clone(),
        profile: request.profile.clone(),
        claims: request.claims.clone(),
        metadata: request.metadata.clone(),
        credentials: request.password_change.as_ref().map(|change| Credentials {
            kdf: change.kdf.clone(),
            login_public_key: change.login_public_key.0,
            seed_backup: change.seed_backup.clone(),
        }),
        now,
    };
    let updated = match &request.password_change {
        Some(change) => {
            let proof = Proof {
                app_id: &app.id,
                username: &current.username,
                purpose: change.purpose(),
                challenge: &change.challenge,
                signature: &change.signature,
            };
            let checked = proof::check(&proof, &state.secret, &state.issuer, state.store.as_ref()).await?;
            // A proof for another account (renamed into this name since `current` was read) proves
            // nothing here: refused with nothing written.
            if checked.verified.as_ref().is_some_and(|verified| verified.id != current.id) {
                return Err(Error::CurrentPasswordIncorrect.into());
            }
            let attempt = checked.attempt(&app.id, &current.username, now);
            let outcome = state.store.spend_proof(&attempt, ProofEffect::UpdateUser(&update)).await?;
            proof::accepted(outcome, now, Error::CurrentPasswordIncorrect)?
        }
        None => state.store.update_user(&update).await??,
    };
    // A new email is unverified: mail a verification when the app requires one or the app's backend
    // asked for one. The same email again changes nothing and mails nothing.
    let email_changed = updated.email != current.email;
    if let (true, Some(email)) = (email_changed, &updated.email) {
        let asked = app.require_verified_email
            || state.store.admin_user(&app.id, &updated.id).await?.is_some_and(|user| user.details.verify_email);
        if asked {
            if let Err(error) = super::email::send_verification(&state, &app.id, &updated.id, email).await {
                tracing::error!(%error, user_id = updated.id, "verification mail not sent");
            }
        }
    }
    let auth_token = state
        .tokens
        .issue(
            &app.id,
            app.token_lifetime_secs.into(),
            updated.token_subject(),
            &session.session_id,
            session.expires_at,
        )
        .map_err(ApiError::Internal)?;
    Ok(Json(UpdateUserResponse { user: updated.to_user(&app, auth_token) }))
}

/// Deletes the user, their key material and every session; frees the username.
#[utoipa::path(
    delete,
    path = "/v1/apps/{app_id}/user",
    tag = "client",
    params(crate::http::openapi::AppPath),
    security(("session" = [])),
    responses(
        (status = 204, description = "Deleted."),
        (status = "default", description = "An error (§7).", body = crate::http::openapi::ErrorBody),
    ),
)]
pub(super) async fn delete_user(
    State(state): State<AppState>,
    Authenticated(session): Authenticated,
    headers: HeaderMap,
) -> ApiResult<StatusCode> {
    let app = state.app(&session.app_id).await?;
    app.check_origin(origin(&headers))?;
    state.store.delete_user(&app.id, &session.user_id, &session.session_id, now_ms()).await??;
    tracing::info!(user_id = %session.user_id, "user deleted");
    Ok(StatusCode::NO_CONTENT)
}
