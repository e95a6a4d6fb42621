//! The client's HTTP: requests as plain values, sent by a per-platform transport (reqwest natively,
//! the platform's `fetch` in wasm32, which keeps reqwest, `url` and `http` out of the npm bundle).

#[cfg(not(target_arch = "wasm32"))]
mod native;
#[cfg(not(target_arch = "wasm32"))]
pub(crate) use native::{join, parse_endpoint, Transport};

#[cfg(target_arch = "wasm32")]
mod wasm;
#[cfg(target_arch = "wasm32")]
pub(crate) use wasm::{join, parse_endpoint, Transport};

use serde::Serialize;
use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// The methods the protocol uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    Get,
    Post,
    Patch,
    Put,
    Delete,
}

impl Method {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Post => "POST",
            Self::Patch => "PATCH",
            Self::Put => "PUT",
            Self::Delete => "DELETE",
        }
    }
}

/// One request to the sealbase server.
pub(crate) struct Request {
    pub(crate) method: Method,
    pub(crate) url: String,
    /// The whole `Authorization` value (`Bearer <secret>`), zeroized once sent.
    pub(crate) authorization: Option<Zeroizing<String>>,
    /// A JSON body, or the serialisation error to report when the request is sent.
    pub(crate) json: Result<Option<Vec<u8>>>,
}

impl Request {
    pub(crate) fn new(method: Method, url: String) -> Self {
        Self { method, url, authorization: None, json: Ok(None) }
    }

    /// Sets `Authorization`.
    pub(crate) fn authorization(mut self, value: Zeroizing<String>) -> Self {
        self.authorization = Some(value);
        self
    }

    /// Sets a JSON body.
    pub(crate) fn json(mut self, body: &impl Serialize) -> Self {
        self.json = serde_json::to_vec(body).map(Some).map_err(|_| Error::ServiceUnavailable);
        self
    }
}

/// A response: status and body.
pub(crate) struct Response {
    pub(crate) status: u16,
    pub(crate) body: Vec<u8>,
}

impl Response {
    pub(crate) fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}
