//! Native transport: reqwest (rustls) on tokio.

use reqwest::header::{HeaderValue, AUTHORIZATION, CONTENT_TYPE};

use super::{Method, Request, Response};
use crate::error::{Error, Result};

/// A pooled reqwest client.
pub(crate) struct Transport(reqwest::Client);

impl Transport {
    pub(crate) fn new() -> Result<Self> {
        reqwest::Client::builder().build().map(Self).map_err(|_| Error::ServiceUnavailable)
    }

    /// Sends `request`; network failures are `ServiceUnavailable`.
    pub(crate) async fn send(&self, request: Request) -> Result<Response> {
        let method_name = request.method.as_str();
        let method = match request.method {
            Method::Get => reqwest::Method::GET,
            Method::Post => reqwest::Method::POST,
            Method::Patch => reqwest::Method::PATCH,
            Method::Put => reqwest::Method::PUT,
            Method::Delete => reqwest::Method::DELETE,
        };
        let mut builder = self.0.request(method, request.url.as_str());
        if let Some(authorization) = &request.authorization {
            let mut value = HeaderValue::from_str(authorization).map_err(|_| Error::ServiceUnavailable)?;
            // Never HPACK-indexed, and redacted from the request's Debug output.
            value.set_sensitive(true);
            builder = builder.header(AUTHORIZATION, value);
        }
        if let Some(body) = request.json? {
            builder = builder.header(CONTENT_TYPE, "application/json").body(body);
        }
        let response = builder.send().await.map_err(|error| {
            tracing::debug!(%error, method = method_name, "request to sealbase server failed");
            Error::ServiceUnavailable
        })?;
        let status = response.status().as_u16();
        let body = response.bytes().await.map_err(|_| Error::ServiceUnavailable)?;
        Ok(Response { status, body: body.to_vec() })
    }
}

/// Checks an endpoint (`http://` or `https://`, hierarchical) and gives it a trailing slash, so routes
/// resolve below its path.
pub(crate) fn parse_endpoint(endpoint: &str) -> Result<String> {
    let mut url = reqwest::Url::parse(endpoint).map_err(|_| Error::EndpointNotValid)?;
    if !matches!(url.scheme(), "http" | "https") || url.cannot_be_a_base() {
        return Err(Error::EndpointNotValid);
    }
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url.into())
}

/// Resolves a relative `path` against an endpoint from [`parse_endpoint`].
pub(crate) fn join(endpoint: &str, path: &str) -> Result<String> {
    let base = reqwest::Url::parse(endpoint).map_err(|_| Error::EndpointNotValid)?;
    base.join(path).map(Into::into).map_err(|_| Error::EndpointNotValid)
}
