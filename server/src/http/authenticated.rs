//! Requests made with a session: `Authorization: Bearer <secret>` of a live session of the app in the
//! path (docs/protocol.md §3.5).

use axum::extract::{FromRequestParts, Path};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use sealbase::protocol::b64::Bytes;
use sealbase::Error;
use zeroize::Zeroizing;

use crate::auth::hash_secret;
use crate::clock::now_ms;
use crate::error::{ApiError, ApiResult};
use crate::store::SessionRecord;
use crate::AppState;

/// A request made with a live session of the app in the path.
#[derive(Debug, Clone)]
pub(crate) struct Authenticated(pub SessionRecord);

impl FromRequestParts<AppState> for Authenticated {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        // §3.5: on these routes anything wrong, an undecodable appId included, is SessionNotValid.
        let Path(app_id) =
            Path::<String>::from_request_parts(parts, state).await.map_err(|_| Error::SessionNotValid)?;
        let secret = Zeroizing::new(
            parts
                .headers
                .get(AUTHORIZATION)
                .and_then(|value| value.to_str().ok())
                .and_then(|value| value.strip_prefix("Bearer "))
                .and_then(Bytes::<32>::decode)
                .ok_or(Error::SessionNotValid)?
                .0,
        );
        let session = state.store.session_by_secret_hash(&hash_secret(secret.as_slice()), now_ms()).await?;
        // A session of another app is as unknown here as a made-up one.
        let session = session.filter(|session| session.app_id == app_id).ok_or(Error::SessionNotValid)?;
        if session.user_blocked {
            return Err(Error::UserBlocked.into());
        }
        Ok(Self(session))
    }
}
