//! Turning failures into responses: client errors keep their public name and status; anything internal
//! is logged and answered `503 ServiceUnavailable`, never `500`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use sealbase::Error;

/// A handler failure.
#[derive(Debug)]
pub enum ApiError {
    /// A public error, sent as is.
    Public(Error),
    /// A fault of ours (database, …). Logged, never shown.
    Internal(anyhow::Error),
}

impl From<Error> for ApiError {
    fn from(error: Error) -> Self {
        Self::Public(error)
    }
}

impl From<rusqlite::Error> for ApiError {
    fn from(error: rusqlite::Error) -> Self {
        Self::Internal(error.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let error = match self {
            Self::Public(error) => error,
            Self::Internal(fault) => {
                tracing::error!(error = %fault, "internal failure");
                Error::ServiceUnavailable
            }
        };
        let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
        (status, Json(error.to_body())).into_response()
    }
}

/// Handler result.
pub type ApiResult<T> = Result<T, ApiError>;

/// A statement's result, with a UNIQUE or PRIMARY KEY violation (the database refusing a duplicate)
/// answered as `duplicate` and any other failure as internal.
pub fn or_if_duplicate<T>(result: rusqlite::Result<T>, duplicate: Error) -> ApiResult<T> {
    match result {
        Err(error) if crate::db::is_unique_violation(&error) => Err(duplicate.into()),
        other => Ok(other?),
    }
}
