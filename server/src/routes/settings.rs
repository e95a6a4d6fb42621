//! `GET /v1/apps/{app_id}/settings`.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::Json;
use sealbase::protocol::ClientSettings;

use crate::error::ApiResult;
use crate::AppState;

/// An app's public settings; `AppIdNotValid` for unknown apps.
pub async fn client_settings(
    State(state): State<AppState>,
    Path(app_id): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Json<ClientSettings>> {
    let app = state.app(&app_id)?;
    app.check_origin(super::origin(&headers))?;
    Ok(Json(app.client_settings(&state.issuer)))
}
