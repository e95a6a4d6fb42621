//! The wire format shared by client and server: one definition of every request and response.
//! See `docs/protocol.md` for the prose version.

pub mod b64;
mod sign_up;
mod user;

pub use sign_up::{SessionGrant, SessionSecret, SignUpRequest, SignUpResponse};
pub use user::{ClientSettings, PaymentsMode, User};

/// Protocol version, bound into every HKDF info string and the seed backup's additional data.
pub const PROTOCOL_VERSION: u32 = 1;

/// Largest request body the server reads.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// HTTP routes, as axum path templates. Clients substitute `{app_id}`.
pub mod routes {
    /// Liveness probe.
    pub const HEALTH: &str = "/healthz";
    /// `GET`: an app's public client settings ([`super::ClientSettings`]).
    pub const CLIENT_SETTINGS: &str = "/v1/apps/{app_id}/settings";
    /// `POST` a [`super::SignUpRequest`], answered by a [`super::SignUpResponse`].
    pub const SIGN_UP: &str = "/v1/apps/{app_id}/users";
}
