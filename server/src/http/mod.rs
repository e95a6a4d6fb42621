//! HTTP routes and extractors. Paths come from [`sealbase::protocol::routes`], shared with the client.
//! Handlers parse, call the domain (`auth`) and the store, and respond.

mod admin;
mod authenticated;
mod backend;
mod email;
mod jwks;
mod openapi;
mod public_keys;
mod recovery;
mod session;
mod settings;
mod sign_in;
mod sign_up;
mod strict_json;
mod user;
mod userinfo;
mod users_api;

use std::time::Duration;

use std::net::{IpAddr, SocketAddr};

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{ConnectInfo, DefaultBodyLimit, FromRequestParts, MatchedPath, Path};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::http::{header, HeaderMap, Method, Request};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use sealbase::protocol::{routes, MAX_BODY_BYTES};
use sealbase::Error;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use crate::auth::budget::client_address;
use crate::error::{ApiError, ApiResult};
use crate::AppState;
pub(crate) use authenticated::Authenticated;

/// The whole API.
pub fn router(state: AppState) -> Router {
    // Per-app origin checks happen in the handlers (DomainNotWhitelisted); CORS just lets browsers read
    // those answers. Authentication is by header, never by cookie, so no credentials mode is needed.
    let cors = CorsLayer::new()
        .allow_origin(AllowOrigin::mirror_request())
        .allow_methods([Method::GET, Method::POST, Method::PUT, Method::PATCH, Method::DELETE])
        .allow_headers([header::CONTENT_TYPE, header::AUTHORIZATION])
        .max_age(Duration::from_secs(3600));
    // Spans carry the route template, not the URI, so nothing a client put in a path reaches the logs.
    let trace = TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
        let route = request.extensions().get::<MatchedPath>().map_or("<unmatched>", MatchedPath::as_str);
        let request_id = request.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("");
        tracing::info_span!("request", method = %request.method(), route, request_id)
    });
    Router::new()
        .route(routes::HEALTH, get(health))
        .route(routes::OPENAPI, get(openapi::openapi_json))
        .route(routes::CLIENT_SETTINGS, get(settings::client_settings))
        .route(routes::SIGN_UP, post(sign_up::sign_up))
        .route(routes::PRE_LOGIN, post(sign_in::pre_login))
        .route(routes::SIGN_IN, post(sign_in::sign_in))
        .route(routes::FIRST_SIGN_IN, post(sign_in::first_sign_in))
        .route(routes::SESSION, post(session::resume).delete(session::sign_out))
        .route(routes::USER, patch(user::update_user).delete(user::delete_user))
        .route(routes::AUTH_TOKEN, post(session::auth_token))
        .route(routes::JWKS, get(jwks::jwks))
        .route(routes::VERIFY_EMAIL, get(email::page).post(email::confirm_link))
        .route(routes::USER_VERIFY_EMAIL, post(email::confirm_code))
        .route(routes::USERINFO, get(userinfo::userinfo).post(userinfo::userinfo))
        .route(routes::PUBLIC_KEYS, post(public_keys::public_keys))
        .route(routes::RECOVERY_KEY, get(recovery::status).put(recovery::register))
        .route(routes::PRE_RESET, post(recovery::pre_reset))
        .route(routes::RESET_PASSWORD, post(recovery::reset_password))
        .route(&format!("{}{{auth_token}}", routes::ADMIN_AUTH_TOKEN), get(admin::check_auth_token))
        // An empty authToken goes through the same checks (and fails as a forged one would).
        .route(routes::ADMIN_AUTH_TOKEN, get(admin::check_auth_token))
        .route(sealbase::admin::routes::CREATE_USER, post(backend::create_user))
        .route(sealbase::admin::routes::USERS, post(backend::create_account).get(users_api::list_users))
        .route(sealbase::admin::routes::USER_LOOKUP, post(users_api::lookup_user))
        .route(
            sealbase::admin::routes::USER,
            get(users_api::get_user).patch(users_api::update_user).delete(users_api::delete_user),
        )
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn(refuse_declared_oversize))
        .layer(trace)
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(cors)
        .with_state(state)
}

/// `GET /healthz`: the process answers.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "meta",
    responses((status = 200, description = "Alive.", content_type = "text/plain", body = String)),
)]
async fn health() -> &'static str {
    "ok"
}

/// Answers `RequestBodyTooLarge` at once when `Content-Length` already says the body is over the
/// limit, instead of waiting for a body that will be refused anyway.
async fn refuse_declared_oversize(request: Request<axum::body::Body>, next: axum::middleware::Next) -> Response {
    let declared = request.headers().get(header::CONTENT_LENGTH).and_then(|value| value.to_str().ok());
    if declared.and_then(|value| value.parse::<u64>().ok()).is_some_and(|length| length > MAX_BODY_BYTES as u64) {
        // Each API in its own error style: the server-side API's is seed 000's.
        let path = request.uri().path();
        if path.starts_with("/v1/admin/apps/") || path == sealbase::admin::routes::CREATE_USER {
            let error = sealbase::admin::AdminError::BodyTooLarge { max_length: MAX_BODY_BYTES };
            return backend::BackendError(error).into_response();
        }
        return ApiError::from(Error::RequestBodyTooLarge { max_len: MAX_BODY_BYTES }).into_response();
    }
    next.run(request).await
}

/// The `Origin` header, if the caller is a browser.
pub(crate) fn origin(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::ORIGIN).and_then(|value| value.to_str().ok())
}

/// Reads a JSON request body, turning extractor rejections into public errors.
pub(crate) fn json_body(body: Result<Bytes, BytesRejection>) -> ApiResult<serde_json::Value> {
    let body = body.map_err(|rejection| match rejection.status() {
        StatusCode::PAYLOAD_TOO_LARGE => Error::RequestBodyTooLarge { max_len: MAX_BODY_BYTES },
        _ => Error::RequestBodyNotValid,
    })?;
    Ok(strict_json::from_slice(&body).map_err(|_| Error::RequestBodyNotValid)?)
}

/// Like [`json_body`], with an empty body read as `{}`.
pub(crate) fn json_body_or_empty(body: Result<Bytes, BytesRejection>) -> ApiResult<serde_json::Value> {
    match body {
        Ok(bytes) if bytes.is_empty() => Ok(serde_json::Value::Object(Default::default())),
        other => json_body(other),
    }
}

/// The `{appId}` path segment. One that does not decode (not UTF-8 once percent-decoded) names no app:
/// it reads as the empty ID, which no app has (app IDs are UUIDs), so it fails with `AppIdNotValid`
/// at the step where any unknown appId does (after the body, docs/protocol.md §3.3), rather than
/// with the framework's plain-text 400 or ahead of the body's checks.
pub(crate) struct AppIdPath(pub String);

impl<S: Send + Sync> FromRequestParts<S> for AppIdPath {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let app_id = Path::<String>::from_request_parts(parts, state).await.map(|Path(app_id)| app_id);
        Ok(Self(app_id.unwrap_or_default()))
    }
}

/// The client's address: the peer, or what trusted proxies say the client is
/// ([`crate::auth::budget::client_address`]). `None` when the server runs without connect info (an
/// in-process router; always known under [`crate::Server::serve`]).
pub(crate) struct ClientAddress(pub Option<IpAddr>);

impl FromRequestParts<AppState> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let Some(peer) = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|info| info.0.ip()) else {
            return Ok(Self(None));
        };
        if state.trusted_proxies.is_empty() {
            return Ok(Self(Some(peer)));
        }
        let forwarded: Vec<&str> =
            parts.headers.get_all("x-forwarded-for").iter().filter_map(|value| value.to_str().ok()).collect();
        Ok(Self(Some(client_address(peer, &forwarded, &state.trusted_proxies))))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let error = self.public();
        let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
        (status, Json(error.to_body())).into_response()
    }
}
