//! wasm32 transport: the platform's global `fetch` (browsers, workers and Node alike) and its WHATWG
//! `URL`, the same URL standard the `url` crate implements natively.

use js_sys::{Promise, Uint8Array};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use super::{Request, Response};
use crate::error::{Error, Result};

#[wasm_bindgen]
extern "C" {
    /// `globalThis.fetch`, not `window.fetch`: Node and workers have no `window`.
    #[wasm_bindgen(js_name = fetch)]
    fn fetch_with_request(input: &web_sys::Request) -> Promise;
}

/// `fetch` needs no state.
pub(crate) struct Transport;

impl Transport {
    pub(crate) fn new() -> Result<Self> {
        Ok(Self)
    }

    /// Sends `request`; network failures are `ServiceUnavailable`.
    pub(crate) async fn send(&self, request: Request) -> Result<Response> {
        let unavailable = |_| Error::ServiceUnavailable;
        let init = web_sys::RequestInit::new();
        init.set_method(request.method.as_str());
        let headers = web_sys::Headers::new().map_err(unavailable)?;
        if let Some(authorization) = &request.authorization {
            headers.set("Authorization", authorization).map_err(unavailable)?;
        }
        if let Some(body) = request.json? {
            // Without an Authorization header a text/plain POST is a CORS "simple request": the browser
            // sends it without an OPTIONS preflight first, which saves sign-up and sign-in a round trip
            // per route on a page's first call. The server reads the body as JSON whatever its type
            // (docs/protocol.md §1). Requests with a session secret are preflighted anyway.
            let content_type =
                if request.authorization.is_some() { "application/json" } else { "text/plain;charset=UTF-8" };
            headers.set("Content-Type", content_type).map_err(unavailable)?;
            init.set_body(&Uint8Array::from(body.as_slice()));
        }
        init.set_headers(&headers);
        let fetch_request = web_sys::Request::new_with_str_and_init(&request.url, &init).map_err(unavailable)?;
        let response: web_sys::Response = JsFuture::from(fetch_with_request(&fetch_request))
            .await
            .and_then(|value| value.dyn_into())
            .map_err(unavailable)?;
        let buffer = JsFuture::from(response.array_buffer().map_err(unavailable)?).await.map_err(unavailable)?;
        Ok(Response { status: response.status(), body: Uint8Array::new(&buffer).to_vec() })
    }
}

/// Checks an endpoint (`http://` or `https://`) and gives it a trailing slash, so routes resolve below
/// its path.
pub(crate) fn parse_endpoint(endpoint: &str) -> Result<String> {
    let url = web_sys::Url::new(endpoint).map_err(|_| Error::EndpointNotValid)?;
    if !matches!(url.protocol().as_str(), "http:" | "https:") {
        return Err(Error::EndpointNotValid);
    }
    let path = url.pathname();
    if !path.ends_with('/') {
        url.set_pathname(&format!("{path}/"));
    }
    Ok(url.href())
}

/// Resolves a relative `path` against an endpoint from [`parse_endpoint`].
pub(crate) fn join(endpoint: &str, path: &str) -> Result<String> {
    web_sys::Url::new_with_base(path, endpoint).map(|url| url.href()).map_err(|_| Error::EndpointNotValid)
}
