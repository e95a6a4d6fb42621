//! The users API of an app's backend (docs/protocol.md §3.15), with one of the app's secrets: a user by
//! id, username, email or identity; pages of users; changes of the record (blocking among them); and
//! deletion. Answers and errors in the style of the other server-side routes (§3.14).

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequestParts, Path, RawQuery, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::Json;
use sealbase::admin::{AdminError, AdminUser, ListUsers, UserChange, UserLookup, UsersPage};

use super::backend::{json_body, BackendApp, BackendError, Result};
use crate::clock::now_ms;
use crate::store::AccountRefusal;
use crate::AppState;

/// The `{userId}` segment; one that does not decode names no user.
pub(super) struct UserIdPath(String);

impl<S: Send + Sync> FromRequestParts<S> for UserIdPath {
    type Rejection = BackendError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self> {
        match Path::<(String, String)>::from_request_parts(parts, state).await {
            Ok(Path((_, user_id))) => Ok(Self(user_id)),
            Err(_) => Err(AdminError::UserNotFound.into()),
        }
    }
}

/// `GET …/users/{userId}`.
#[utoipa::path(
    get,
    path = "/v1/admin/apps/{app_id}/users/{user_id}",
    tag = "backend",
    params(crate::http::openapi::AppUserPath),
    security(("appSecret" = [])),
    responses(
        (status = 200, description = "The user.", body = sealbase::admin::AdminUser),
        (status = "default", description = "An error (§3.14.5).", body = crate::http::openapi::AdminErrorBody),
    ),
)]
pub(super) async fn get_user(
    State(state): State<AppState>,
    BackendApp(app): BackendApp,
    UserIdPath(user_id): UserIdPath,
) -> Result<Json<AdminUser>> {
    let user = state.store.admin_user(&app.id, &user_id).await?.ok_or(AdminError::UserNotFound)?;
    Ok(Json(user.to_admin_user()))
}

/// `POST …/users/lookup` with `{username}`, `{email}` or `{identity: {provider, id}}`.
#[utoipa::path(
    post,
    path = "/v1/admin/apps/{app_id}/users/lookup",
    tag = "backend",
    params(crate::http::openapi::AppPath),
    security(("appSecret" = [])),
    request_body = crate::http::openapi::LookupBody,
    responses(
        (status = 200, description = "The user.", body = sealbase::admin::AdminUser),
        (status = "default", description = "An error (§3.14.5).", body = crate::http::openapi::AdminErrorBody),
    ),
)]
pub(super) async fn lookup_user(
    State(state): State<AppState>,
    BackendApp(app): BackendApp,
    body: std::result::Result<Bytes, BytesRejection>,
) -> Result<Json<AdminUser>> {
    let lookup = UserLookup::from_json(&json_body(body)?)?;
    let user = state.store.find_user(&app.id, &lookup).await?.ok_or(AdminError::UserNotFound)?;
    Ok(Json(user.to_admin_user()))
}

/// `GET …/users?limit=&cursor=&blocked=&email_verified=`: users in id order; `next_cursor` while a
/// full page was answered.
#[utoipa::path(
    get,
    path = "/v1/admin/apps/{app_id}/users",
    tag = "backend",
    params(
        crate::http::openapi::AppPath,
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 200, description = "Users per page (default 50)."),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page."),
        ("blocked" = Option<bool>, Query),
        ("email_verified" = Option<bool>, Query),
    ),
    security(("appSecret" = [])),
    responses(
        (status = 200, description = "A page of users in id order.", body = sealbase::admin::UsersPage),
        (status = "default", description = "An error (§3.14.5).", body = crate::http::openapi::AdminErrorBody),
    ),
)]
pub(super) async fn list_users(
    State(state): State<AppState>,
    BackendApp(app): BackendApp,
    RawQuery(query): RawQuery,
) -> Result<Json<UsersPage>> {
    let pairs: Vec<(String, String)> =
        url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()).into_owned().collect();
    let query = ListUsers::from_pairs(pairs.iter().map(|(name, value)| (name.as_str(), value.as_str())))?;
    let users = state.store.list_users(&app.id, &query).await?;
    let next_cursor = (users.len() == query.limit).then(|| users.last().map(|last| last.user.id.clone())).flatten();
    Ok(Json(UsersPage { users: users.iter().map(|user| user.to_admin_user()).collect(), next_cursor }))
}

/// `PATCH …/users/{userId}`: the user as changed. Blocking revokes every live session at once.
#[utoipa::path(
    patch,
    path = "/v1/admin/apps/{app_id}/users/{user_id}",
    tag = "backend",
    params(crate::http::openapi::AppUserPath),
    security(("appSecret" = [])),
    request_body = crate::http::openapi::UserChangeBody,
    responses(
        (status = 200, description = "The user as changed.", body = sealbase::admin::AdminUser),
        (status = "default", description = "An error (§3.14.5).", body = crate::http::openapi::AdminErrorBody),
    ),
)]
pub(super) async fn update_user(
    State(state): State<AppState>,
    BackendApp(app): BackendApp,
    UserIdPath(user_id): UserIdPath,
    body: std::result::Result<Bytes, BytesRejection>,
) -> Result<Json<AdminUser>> {
    let change = UserChange::from_json(&json_body(body)?)?;
    if change.verify_email == Some(true) && state.mail.is_none() {
        return Err(super::email::no_mail_transport().into());
    }
    let taken = |field: &str| AdminError::UserAlreadyExists { field: field.into() };
    let updated = match state.store.update_account(&app.id, &user_id, &change, now_ms()).await? {
        Ok(updated) => updated,
        Err(AccountRefusal::UserNotFound) => return Err(AdminError::UserNotFound.into()),
        Err(AccountRefusal::UsernameTaken) => return Err(taken("username").into()),
        Err(AccountRefusal::EmailTaken) => return Err(taken("email").into()),
        Err(AccountRefusal::IdentityTaken(index)) => {
            return Err(AdminError::IdentityAlreadyLinked { field: format!("identities[{index}]") }.into())
        }
        Err(AccountRefusal::NotValid(error)) => return Err(error.into()),
    };
    // A verification asked for, or a new email of a user whose verification is pending: mail it. The
    // change is committed either way (answering an error for it would invite a retry of a done change):
    // a failed mail leaves verify_email true, and PATCH {"verify_email": true} sends it again.
    let email_changed = change.email.as_ref().is_some_and(|email| email.is_some());
    if let (true, Some(email)) = (updated.details.verify_email, &updated.user.email) {
        if change.verify_email == Some(true) || email_changed {
            if let Err(error) = super::email::send_verification(&state, &app.id, &updated.user.id, email).await {
                tracing::error!(%error, user_id = %updated.user.id, "verification mail not sent");
            }
        }
    }
    if change.blocked == Some(true) {
        tracing::info!(user_id = %updated.user.id, "user blocked by the app's backend");
    }
    Ok(Json(updated.to_admin_user()))
}

/// `DELETE …/users/{userId}`: `204`; the user, their sessions, identities and record are gone.
#[utoipa::path(
    delete,
    path = "/v1/admin/apps/{app_id}/users/{user_id}",
    tag = "backend",
    params(crate::http::openapi::AppUserPath),
    security(("appSecret" = [])),
    responses(
        (status = 204, description = "Deleted."),
        (status = "default", description = "An error (§3.14.5).", body = crate::http::openapi::AdminErrorBody),
    ),
)]
pub(super) async fn delete_user(
    State(state): State<AppState>,
    BackendApp(app): BackendApp,
    UserIdPath(user_id): UserIdPath,
) -> Result<StatusCode> {
    if !state.store.delete_account(&app.id, &user_id).await? {
        return Err(AdminError::UserNotFound.into());
    }
    Ok(StatusCode::NO_CONTENT)
}
