//! `POST /v1/apps/{app_id}/users`: create an account.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::claims::{self, Metadata, UserClaims};
use super::sign_in::AccountKeys;
use super::user::User;
use crate::crypto::secret::secret_bytes;
use crate::error::{Error, Result};
use crate::validate::{self, Profile, RememberMe};

/// Everything the client reveals at sign-up: no password, no password-equivalent, no plaintext seed.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SignUpRequest {
    /// NFKC, lower-cased username.
    pub username: String,
    /// Lower-cased email.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Profile.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<Profile>,
    /// OpenID Connect profile claims.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub claims: Option<UserClaims>,
    /// App metadata (server-visible).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::protocol::claims::MetadataSchema>))]
    pub metadata: Option<Metadata>,
    /// How the client will keep the session (recorded with it).
    pub remember_me: RememberMe,
    /// Session length in hours.
    pub session_length: f64,
    /// The account's keys, made on the device.
    #[serde(flatten)]
    pub keys: AccountKeys,
}

impl SignUpRequest {
    /// Parses and re-validates an untrusted request body, field by field in the reference order, so
    /// each defect gets its own error name.
    pub fn from_json(body: &Value) -> Result<Self> {
        let fields = body.as_object().ok_or(Error::ParamsMustBeObject)?;
        Ok(Self {
            username: validate::json::username(fields.get("username"))?,
            remember_me: validate::json::remember_me(fields.get("rememberMe"))?,
            session_length: validate::json::session_length(fields.get("sessionLength"))?,
            profile: validate::json::profile(fields.get("profile"))?,
            email: validate::json::email(fields.get("email"))?,
            claims: claims::optional(fields.get("claims"), claims::claims_shape)?.flatten(),
            metadata: claims::optional(fields.get("metadata"), claims::metadata_shape)?.flatten(),
            keys: AccountKeys::from_fields(fields)?,
        })
    }
}

secret_bytes!(
    /// The 256-bit session secret. The server keeps only its SHA-256; the client sends it in the
    /// `Authorization` header, never in a URL.
    SessionSecret, 32
);

/// A session issued to the client.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SessionGrant {
    /// Public session ID (the `sid` claim of authTokens).
    pub session_id: String,
    /// The secret, returned once.
    pub secret: SessionSecret,
    /// ISO-8601 expiry.
    pub expiration_date: String,
    /// The session's length in hours.
    pub session_length: f64,
}

/// Answer to a successful sign-up.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SignUpResponse {
    /// The new user.
    pub user: User,
    /// The new session.
    pub session: SessionGrant,
}
