//! `GET /v1/apps/{app_id}/settings`.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::Json;
use sealbase::protocol::ClientSettings;

use crate::apps::App;
use crate::error::ApiResult;
use crate::AppState;

/// An app's public settings; `AppIdNotValid` for unknown apps.
pub async fn client_settings(
    State(state): State<AppState>,
    Path(app_id): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Json<ClientSettings>> {
    let app = App::find(&state.db, &app_id).await?;
    app.check_origin(super::origin(&headers))?;
    Ok(Json(app.client_settings(&state.issuer)))
}
