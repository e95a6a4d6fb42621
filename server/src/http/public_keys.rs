//! `POST /v1/apps/{appId}/public-keys`: a user's public identity keys, for a signed-in user of the
//! same app (sealing to them, checking their signatures).

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;
use sealbase::protocol::{PublicKeysRequest, UserPublicKeys};
use sealbase::Error;

use super::{json_body, origin, Authenticated, ClientAddress};
use crate::error::ApiResult;
use crate::store::Login;
use crate::AppState;

/// Answers the keys of an ordinary account; a pending account (no keys until its first sign-in) is
/// `UserNotFound` like a missing one.
#[utoipa::path(
    post,
    path = "/v1/apps/{app_id}/public-keys",
    tag = "client",
    params(crate::http::openapi::AppPath),
    security(("session" = [])),
    request_body = sealbase::protocol::PublicKeysRequest,
    responses(
        (status = 200, description = "The user's public identity keys.", body = sealbase::protocol::UserPublicKeys),
        (status = "default", description = "An error (§7).", body = crate::http::openapi::ErrorBody),
    ),
)]
pub(super) async fn public_keys(
    State(state): State<AppState>,
    Authenticated(session): Authenticated,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<UserPublicKeys>> {
    let request = PublicKeysRequest::from_json(&json_body(body)?)?;
    // It answers whether a username exists: the same budget as sign-up and sign-in.
    state.address_budget.spend(address)?;
    state.app(&session.app_id).await?.check_origin(origin(&headers))?;
    let user = state.store.user_by_username(&session.app_id, &request.username).await?;
    match user.map(|user| (user.login, user.username, user.id)) {
        Some((Login::Keys(keys), username, user_id)) => {
            Ok(Json(UserPublicKeys { username, user_id, identity: keys.identity }))
        }
        _ => Err(Error::UserNotFound.into()),
    }
}
