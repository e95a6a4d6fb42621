//! `GET /v1/apps/{app_id}/jwks.json`: the keys that verify this app's authTokens.

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::Json;

use super::AppIdPath;
use crate::auth::tokens;
use crate::error::ApiResult;
use crate::AppState;

/// The JWK set, cacheable for five minutes. A key is published from the moment it signs, so verifiers
/// must (and the `Verifier` does) refetch on an unknown `kid` rather than wait for the cache to age.
#[utoipa::path(
    get,
    path = "/v1/apps/{app_id}/jwks.json",
    tag = "tokens",
    params(crate::http::openapi::AppPath),
    responses(
        (status = 200, description = "The authToken verification keys (RFC 7517).", body = sealbase::token::Jwks),
        (status = "default", description = "An error (§7).", body = crate::http::openapi::ErrorBody),
    ),
)]
pub(super) async fn jwks(State(state): State<AppState>, AppIdPath(app_id): AppIdPath) -> ApiResult<impl IntoResponse> {
    let app = state.app(&app_id).await?;
    let keys = tokens::published(state.store.as_ref()).await?;
    tracing::debug!(app_id = %app.id, keys = keys.keys.len(), "jwks served");
    Ok(([(header::CACHE_CONTROL, "public, max-age=300")], Json(keys)))
}
