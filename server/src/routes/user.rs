//! `PATCH …/user` (updateUser) and `DELETE …/user` (deleteUser).

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use rusqlite::Transaction;
use sealbase::protocol::{UpdateUserRequest, UpdateUserResponse};
use sealbase::Error;

use super::sign_in::verify_password_proof;
use super::{json_body, origin, ClientAddress};
use crate::clock::now_ms;
use crate::error::{or_if_duplicate, ApiError, ApiResult};
use crate::sessions::Authenticated;
use crate::users::UserRow;
use crate::AppState;

/// Applies the changes in one transaction. A password change must prove the current password with a
/// fresh challenge; it re-keys the login key and seed backup and revokes every other session.
pub async fn update_user(
    State(state): State<AppState>,
    session: Authenticated,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<UpdateUserResponse>> {
    let request = UpdateUserRequest::from_json(&json_body(body)?)?;
    // A rename answers whether the new name is taken, like sign-up: it spends the same budget, so
    // renaming back and forth is no unthrottled way to test usernames.
    if request.username.is_some() {
        state.address_budget.spend(address)?;
    }
    let app = state.app(&session.app_id)?;
    app.check_origin(origin(&headers))?;
    let current = state.db.read(|c| UserRow::by_id(c, &session.user_id))?.ok_or(Error::UserNotFound)?;
    let apply = |tx: &Transaction<'_>| {
        session.ensure_live(tx)?;
        apply_changes(tx, &request, &current, &session.session_id)
    };
    // With a password change, the proof's transaction (challenge spent) carries the whole update.
    let updated = match &request.password_change {
        Some(change) => {
            let proof = verify_password_proof(
                &state,
                &app.id,
                &current.username,
                change.purpose(),
                &change.challenge,
                &change.signature,
                |tx, user| {
                    // A proof for another account (renamed since) proves nothing here; rolls back.
                    if user.id != current.id {
                        return Err(Error::CurrentPasswordIncorrect.into());
                    }
                    apply(tx)
                },
            )
            .await?;
            proof.map(|(_, updated)| updated).ok_or(Error::CurrentPasswordIncorrect)?
        }
        None => state.db.write(apply).await?,
    };
    let auth_token = state
        .tokens
        .issue(&app.id, app.token_lifetime_secs, &updated.id, &session.session_id, session.expires_at)
        .map_err(ApiError::Internal)?;
    Ok(Json(UpdateUserResponse { user: updated.to_user(&app, auth_token) }))
}

/// Writes an update's changes and reads the user back, in the caller's transaction.
fn apply_changes(
    tx: &Transaction<'_>,
    request: &UpdateUserRequest,
    current: &UserRow,
    session_id: &str,
) -> ApiResult<UserRow> {
    if let Some(username) = &request.username {
        let renamed = tx.prepare_cached("UPDATE users SET username = ? WHERE id = ?")?.execute([username, &current.id]);
        or_if_duplicate(renamed, Error::UsernameAlreadyExists)?;
    }
    if let Some(email) = &request.email {
        tx.prepare_cached("UPDATE users SET email = ? WHERE id = ?")?.execute((email, &current.id))?;
    }
    if let Some(profile) = &request.profile {
        let json = profile.as_ref().map(serde_json::to_string).transpose().map_err(|e| ApiError::Internal(e.into()))?;
        tx.prepare_cached("UPDATE users SET profile = ? WHERE id = ?")?.execute((json, &current.id))?;
    }
    if let Some(change) = &request.password_change {
        tx.prepare_cached(
            "UPDATE users SET kdf_log_n = ?, kdf_r = ?, kdf_p = ?, kdf_salt = ?, login_public_key = ?,
                 seed_backup_nonce = ?, seed_backup_ciphertext = ? WHERE id = ?",
        )?
        .execute((
            change.kdf.log_n,
            change.kdf.r,
            change.kdf.p,
            change.kdf.salt.0.as_slice(),
            change.login_public_key.0.as_slice(),
            change.seed_backup.nonce.0.as_slice(),
            change.seed_backup.ciphertext.0.as_slice(),
            &current.id,
        ))?;
        tx.prepare_cached("UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND id != ? AND revoked_at IS NULL")?
            .execute((now_ms(), &current.id, session_id))?;
    }
    Ok(UserRow::by_id(tx, &current.id)?.ok_or(Error::UserNotFound)?)
}

/// Deletes the user, their key material and every session; frees the username.
pub async fn delete_user(
    State(state): State<AppState>,
    session: Authenticated,
    headers: HeaderMap,
) -> ApiResult<StatusCode> {
    let app = state.app(&session.app_id)?;
    app.check_origin(origin(&headers))?;
    state
        .db
        .write(|tx| {
            session.ensure_live(tx)?;
            let deleted = tx.prepare_cached("DELETE FROM users WHERE id = ?")?.execute([&session.user_id])?;
            if deleted == 0 {
                return Err(ApiError::from(Error::UserNotFound));
            }
            tx.prepare_cached("UPDATE apps SET user_count = user_count - 1 WHERE id = ?")?.execute([&app.id])?;
            Ok(())
        })
        .await?;
    tracing::info!(user_id = %session.user_id, "user deleted");
    Ok(StatusCode::NO_CONTENT)
}
