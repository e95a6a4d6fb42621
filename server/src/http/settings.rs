//! `GET /v1/apps/{app_id}/settings`.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;
use sealbase::protocol::ClientSettings;

use super::AppIdPath;
use crate::error::ApiResult;
use crate::AppState;

/// An app's public settings; `AppIdNotValid` for unknown apps.
#[utoipa::path(
    get,
    path = "/v1/apps/{app_id}/settings",
    tag = "client",
    params(crate::http::openapi::AppPath),
    responses(
        (status = 200, description = "The app's public settings.", body = sealbase::protocol::ClientSettings),
        (status = "default", description = "An error (§7).", body = crate::http::openapi::ErrorBody),
    ),
)]
pub(super) async fn client_settings(
    State(state): State<AppState>,
    AppIdPath(app_id): AppIdPath,
    headers: HeaderMap,
) -> ApiResult<Json<ClientSettings>> {
    let app = state.app(&app_id).await?;
    app.check_origin(super::origin(&headers))?;
    Ok(Json(app.client_settings(&state.issuer)))
}
