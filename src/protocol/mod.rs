//! The wire format shared by client and server: one definition of every request and response.
//! See `docs/protocol.md` for the prose version.

mod account;
pub mod b64;
pub mod claims;
mod fields;
mod public_keys;
mod recovery;
mod sign_in;
mod sign_up;
mod user;

pub use account::{AuthTokenResponse, ResumeRequest, ResumeResponse, UpdateUserRequest, UpdateUserResponse};
pub use claims::{Metadata, UserClaims};
pub use public_keys::{PublicKeysRequest, UserPublicKeys};
pub use recovery::{PreResetResponse, RecoveryKeyStatus, RecoveryRegistration, ResetPasswordRequest};
pub use sign_in::{
    challenge_message, AccountKeys, ChallengePurpose, FirstSignInRequest, PasswordChange, PreLoginRequest,
    PreLoginResponse, SignInRequest, SignInResponse, CHALLENGE_LEN,
};
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
    /// `GET`: the OpenAPI 3.1 document of the whole HTTP API.
    pub const OPENAPI: &str = "/openapi.json";
    /// `GET`: an app's public client settings ([`super::ClientSettings`]).
    pub const CLIENT_SETTINGS: &str = "/v1/apps/{app_id}/settings";
    /// `POST` a [`super::SignUpRequest`], answered by a [`super::SignUpResponse`].
    pub const SIGN_UP: &str = "/v1/apps/{app_id}/users";
    /// `POST` a [`super::PreLoginRequest`]: KDF parameters and a challenge.
    pub const PRE_LOGIN: &str = "/v1/apps/{app_id}/pre-login";
    /// `POST` a [`super::SignInRequest`].
    pub const SIGN_IN: &str = "/v1/apps/{app_id}/sign-in";
    /// `POST` a [`super::FirstSignInRequest`]: a pending account's first sign-in, registering its keys.
    pub const FIRST_SIGN_IN: &str = "/v1/apps/{app_id}/first-sign-in";
    /// The caller's session: `POST` resumes it ([`super::ResumeRequest`]), `DELETE` signs out.
    pub const SESSION: &str = "/v1/apps/{app_id}/session";
    /// The caller's user: `PATCH` updates it ([`super::UpdateUserRequest`]), `DELETE` deletes it.
    pub const USER: &str = "/v1/apps/{app_id}/user";
    /// `POST`: a fresh authToken for the caller's session ([`super::AuthTokenResponse`]).
    pub const AUTH_TOKEN: &str = "/v1/apps/{app_id}/auth-token";
    /// `GET`: the app's token verification keys as a JWK set.
    pub const JWKS: &str = "/v1/apps/{app_id}/jwks.json";
    /// `GET`: the page a verification mail links to (the token in its fragment); `POST {token}`: verifies
    /// the email.
    pub const VERIFY_EMAIL: &str = "/v1/apps/{app_id}/verify-email";
    /// `POST {code}` with the session: verifies the signed-in user's email, answers the user.
    pub const USER_VERIFY_EMAIL: &str = "/v1/apps/{app_id}/user/verify-email";
    /// `GET` or `POST` with `Authorization: Bearer <authToken>`: the user's OpenID Connect claims.
    pub const USERINFO: &str = "/v1/apps/{app_id}/userinfo";
    /// `POST` with a session: another user's public identity keys (sealing to them, their signatures).
    pub const PUBLIC_KEYS: &str = "/v1/apps/{app_id}/public-keys";
    /// `GET` with the session: the user's [`super::RecoveryKeyStatus`]; `PUT` a
    /// [`super::RecoveryRegistration`] with the session: sets the user's recovery key.
    pub const RECOVERY_KEY: &str = "/v1/apps/{app_id}/user/recovery-key";
    /// `POST {username}`: a recovery key's salt and backup, and a challenge ([`super::PreResetResponse`]).
    pub const PRE_RESET: &str = "/v1/apps/{app_id}/pre-reset";
    /// `POST` a [`super::ResetPasswordRequest`]: a new password by recovery key; signs in.
    pub const RESET_PASSWORD: &str = "/v1/apps/{app_id}/reset-password";
    /// `GET …/{auth_token}` with the app's admin access token: the online check for app servers.
    pub const ADMIN_AUTH_TOKEN: &str = "/v1/admin/auth-tokens/";
}

/// Reads JSON bytes as `T` by way of a [`serde_json::Value`], whose strings are wiped afterwards
/// (answers carry session secrets). Every wire type then has one deserializer in the browser bundle,
/// over `&Value`, instead of one more per input type: tens of kilobytes.
pub fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> serde_json::Result<T> {
    let mut value: serde_json::Value = serde_json::from_slice(bytes)?;
    let decoded = T::deserialize(&value);
    scrub(&mut value);
    decoded
}

/// Overwrites every string in `value` before it is freed.
fn scrub(value: &mut serde_json::Value) {
    use zeroize::Zeroize;
    match value {
        serde_json::Value::String(text) => text.zeroize(),
        serde_json::Value::Array(items) => items.iter_mut().for_each(scrub),
        serde_json::Value::Object(fields) => fields.values_mut().for_each(scrub),
        _ => {}
    }
}

/// The `Authorization` header value for a session secret.
pub fn bearer(secret: &SessionSecret) -> zeroize::Zeroizing<String> {
    zeroize::Zeroizing::new(format!("Bearer {}", b64::encode(secret.expose())))
}
