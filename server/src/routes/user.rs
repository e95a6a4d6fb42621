//! `PATCH …/user` (updateUser) and `DELETE …/user` (deleteUser).

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use sealbase::protocol::{UpdateUserRequest, UpdateUserResponse};
use sealbase::Error;

use super::sign_in::{verify_password_proof, Verified};
use super::{json_body, origin};
use crate::clock::now_ms;
use crate::error::{ApiError, ApiResult};
use crate::sessions::Authenticated;
use crate::users::UserRow;
use crate::AppState;

/// Applies the changes in one transaction. A password change must prove the current password with a
/// fresh challenge; it re-keys the login key and seed backup and revokes every other session.
pub async fn update_user(
    State(state): State<AppState>,
    session: Authenticated,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<UpdateUserResponse>> {
    let request = UpdateUserRequest::from_json(&json_body(body)?)?;
    let app = state.app(&session.app_id).await?;
    app.check_origin(origin(&headers))?;
    let current = UserRow::by_id(&state.db, &session.user_id).await?.ok_or(Error::UserNotFound)?;
    // With a password change, the proof's transaction (challenge spent) carries the whole update.
    let mut tx = match &request.password_change {
        Some(change) => {
            let proof = verify_password_proof(
                &state,
                &app.id,
                &current.username,
                change.purpose(),
                &change.challenge,
                &change.signature,
                None,
            )
            .await?;
            match proof {
                Some(Verified { user, tx, .. }) if user.id == current.id => tx,
                _ => return Err(Error::CurrentPasswordIncorrect.into()),
            }
        }
        None => state.writer.begin().await?,
    };
    if let Some(username) = &request.username {
        let renamed = sqlx::query("UPDATE users SET username = ? WHERE id = ?")
            .bind(username)
            .bind(&current.id)
            .execute(&mut *tx)
            .await;
        match renamed {
            Err(sqlx::Error::Database(db)) if db.is_unique_violation() => {
                return Err(Error::UsernameAlreadyExists.into())
            }
            other => other?,
        };
    }
    if let Some(email) = &request.email {
        sqlx::query("UPDATE users SET email = ? WHERE id = ?").bind(email).bind(&current.id).execute(&mut *tx).await?;
    }
    if let Some(profile) = &request.profile {
        let json = profile.as_ref().map(serde_json::to_string).transpose().map_err(|e| ApiError::Internal(e.into()))?;
        sqlx::query("UPDATE users SET profile = ? WHERE id = ?").bind(json).bind(&current.id).execute(&mut *tx).await?;
    }
    if let Some(change) = &request.password_change {
        sqlx::query(
            "UPDATE users SET kdf_log_n = ?, kdf_r = ?, kdf_p = ?, kdf_salt = ?, login_public_key = ?,
                 seed_backup_nonce = ?, seed_backup_ciphertext = ? WHERE id = ?",
        )
        .bind(change.kdf.log_n)
        .bind(change.kdf.r)
        .bind(change.kdf.p)
        .bind(change.kdf.salt.0.as_slice())
        .bind(change.login_public_key.0.as_slice())
        .bind(change.seed_backup.nonce.0.as_slice())
        .bind(change.seed_backup.ciphertext.0.as_slice())
        .bind(&current.id)
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND id != ? AND revoked_at IS NULL")
            .bind(now_ms())
            .bind(&current.id)
            .bind(&session.session_id)
            .execute(&mut *tx)
            .await?;
    }
    let updated = UserRow::by_id(&mut *tx, &current.id).await?.ok_or(Error::UserNotFound)?;
    tx.commit().await?;
    let auth_token = state
        .tokens
        .issue(&app.id, app.token_lifetime_secs, &updated.id, &session.session_id, session.expires_at)
        .map_err(ApiError::Internal)?;
    Ok(Json(UpdateUserResponse { user: updated.to_user(&app, auth_token) }))
}

/// Deletes the user, their key material and every session; frees the username.
pub async fn delete_user(
    State(state): State<AppState>,
    session: Authenticated,
    headers: HeaderMap,
) -> ApiResult<StatusCode> {
    let app = state.app(&session.app_id).await?;
    app.check_origin(origin(&headers))?;
    let mut tx = state.writer.begin().await?;
    let deleted = sqlx::query("DELETE FROM users WHERE id = ?").bind(&session.user_id).execute(&mut *tx).await?;
    if deleted.rows_affected() == 0 {
        return Err(Error::UserNotFound.into());
    }
    sqlx::query("UPDATE apps SET user_count = user_count - 1 WHERE id = ?").bind(&app.id).execute(&mut *tx).await?;
    tx.commit().await?;
    tracing::info!(user_id = %session.user_id, "user deleted");
    Ok(StatusCode::NO_CONTENT)
}
