//! An app's own backend that trusts sealbase users: an axum server whose extractor verifies
//! `Authorization: Bearer <authToken>` offline (no request to sealbase), plus one route that also asks
//! sealbase online, so a sign-out or password change takes effect there at once.
//!
//! ```sh
//! SEALBASE_URL=http://127.0.0.1:8080 SEALBASE_APP_ID=<appId> SEALBASE_ADMIN_TOKEN=<admin token> \
//!     cargo run --example app_server --features verify
//! curl -H "Authorization: Bearer <authToken>" http://127.0.0.1:3000/me
//! ```

use std::sync::Arc;

use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use sealbase::token::{VerifiedToken, Verifier, VerifyError};
use serde_json::json;

/// What the routes share.
#[derive(Clone)]
pub struct AppServer {
    /// Caches the JWKS; verifies offline.
    pub verifier: Arc<Verifier>,
    /// For the online check.
    pub admin_access_token: Arc<str>,
}

/// A request from a signed-in sealbase user, verified offline.
pub struct VerifiedUser {
    /// The verified claims.
    pub token: VerifiedToken,
    /// The raw token, for the online check.
    pub raw: String,
}

/// 401 with the refusal's name; 503 when sealbase cannot be reached.
pub struct Refused(VerifyError);

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        let status = match self.0 {
            // Our own misconfiguration (wrong admin token) is not the user's fault.
            VerifyError::Unavailable | VerifyError::AccessTokenInvalid => StatusCode::SERVICE_UNAVAILABLE,
            VerifyError::UserNotFound => StatusCode::NOT_FOUND,
            VerifyError::UserBlocked => StatusCode::FORBIDDEN,
            _ => StatusCode::UNAUTHORIZED,
        };
        (status, Json(json!({ "error": self.0.name(), "message": self.0.to_string() }))).into_response()
    }
}

impl FromRequestParts<AppServer> for VerifiedUser {
    type Rejection = Refused;

    async fn from_request_parts(parts: &mut Parts, state: &AppServer) -> Result<Self, Refused> {
        let raw = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            .ok_or(Refused(VerifyError::Malformed))?
            .to_owned();
        let token = state.verifier.verify(&raw).await.map_err(Refused)?;
        Ok(Self { token, raw })
    }
}

/// `GET /me`: offline only, microseconds, no call to sealbase.
async fn me(user: VerifiedUser) -> Json<serde_json::Value> {
    Json(
        json!({ "userId": user.token.user_id, "sessionId": user.token.session_id, "expiresAt": user.token.expires_at }),
    )
}

/// `POST /account/export`: sensitive, so it also checks with sealbase that the session is still live.
async fn export(State(state): State<AppServer>, user: VerifiedUser) -> Result<Json<serde_json::Value>, Refused> {
    let status = state.verifier.online(&user.raw, &state.admin_access_token).await.map_err(Refused)?;
    Ok(Json(json!({ "userId": status.user_id, "export": "started" })))
}

/// The app server's routes.
pub fn router(state: AppServer) -> Router {
    Router::new().route("/me", get(me)).route("/account/export", axum::routing::post(export)).with_state(state)
}

#[allow(dead_code)]
#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let url = std::env::var("SEALBASE_URL").unwrap_or_else(|_| "http://127.0.0.1:8080".into());
    let app_id = std::env::var("SEALBASE_APP_ID")?;
    let admin_access_token = std::env::var("SEALBASE_ADMIN_TOKEN")?;
    let verifier =
        Verifier::new(&url, &app_id).await.map_err(|e| anyhow::anyhow!("cannot reach sealbase at {url}: {e}"))?;
    let state = AppServer { verifier: Arc::new(verifier), admin_access_token: admin_access_token.into() };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
    println!("app server on http://{}", listener.local_addr()?);
    axum::serve(listener, router(state)).await?;
    Ok(())
}
