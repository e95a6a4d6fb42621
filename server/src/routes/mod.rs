//! HTTP routes. Paths come from [`sealbase::protocol::routes`], shared with the client.

mod settings;
mod sign_up;

use std::time::Duration;

use axum::extract::{DefaultBodyLimit, MatchedPath};
use axum::http::{header, HeaderMap, Method, Request};
use axum::routing::{get, post};
use axum::Router;
use sealbase::protocol::{routes, MAX_BODY_BYTES};
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use crate::AppState;

/// The whole API.
pub fn router(state: AppState) -> Router {
    // Per-app origin checks happen in the handlers (DomainNotWhitelisted); CORS just lets browsers read
    // those answers. Authentication is by header, never by cookie, so no credentials mode is needed.
    let cors = CorsLayer::new()
        .allow_origin(AllowOrigin::mirror_request())
        .allow_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ])
        .allow_headers([header::CONTENT_TYPE, header::AUTHORIZATION])
        .max_age(Duration::from_secs(3600));
    // Spans carry the route template, not the URI, so nothing a client put in a path reaches the logs.
    let trace = TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
        let route = request
            .extensions()
            .get::<MatchedPath>()
            .map_or("<unmatched>", MatchedPath::as_str);
        let request_id = request
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        tracing::info_span!("request", method = %request.method(), route, request_id)
    });
    Router::new()
        .route(routes::HEALTH, get(|| async { "ok" }))
        .route(routes::CLIENT_SETTINGS, get(settings::client_settings))
        .route(routes::SIGN_UP, post(sign_up::sign_up))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(trace)
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(cors)
        .with_state(state)
}

/// The `Origin` header, if the caller is a browser.
pub(crate) fn origin(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::ORIGIN)
        .and_then(|value| value.to_str().ok())
}
