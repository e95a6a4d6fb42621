//! Requests of a signed-in session: resume (`init`), sign-out, updateUser, deleteUser. All carry the
//! session secret as `Authorization: Bearer <base64url secret>`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::claims::{self, Metadata, UserClaims};
use super::sign_in::PasswordChange;
use super::user::User;
use crate::error::{Error, Result};
use crate::validate::{self, Profile};

/// `POST …/session`: resume a stored session, extending it.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ResumeRequest {
    /// New length in hours; when absent the session is extended by its own length.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_length: Option<f64>,
}

impl ResumeRequest {
    /// Parses an untrusted body (an empty body means no change of length).
    pub fn from_json(body: &Value) -> Result<Self> {
        let fields = body.as_object().ok_or(Error::ParamsMustBeObject)?;
        let session_length = match fields.get("sessionLength") {
            None | Some(Value::Null) => None,
            present => Some(validate::json::session_length(present)?),
        };
        Ok(Self { session_length })
    }
}

/// Answer to a resume: the user with a fresh authToken and the session's new expiry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ResumeResponse {
    /// The user.
    pub user: User,
    /// ISO-8601 new expiry.
    pub expiration_date: String,
    /// The session's length in hours.
    pub session_length: f64,
}

/// `PATCH …/user`. Absent fields are unchanged; `email: null` / `profile: null` remove.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct UpdateUserRequest {
    /// New username.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// `Some(None)` removes the email.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<Option<String>>,
    /// `Some(None)` removes the profile.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<Option<Profile>>,
    /// New profile claims (replacing all of them); `Some(None)` removes them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub claims: Option<Option<UserClaims>>,
    /// New metadata (replacing all of it); `Some(None)` removes it.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::protocol::claims::MetadataSchema>))]
    pub metadata: Option<Option<Metadata>>,
    /// Password change with proof of the current password.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password_change: Option<PasswordChange>,
}

impl UpdateUserRequest {
    /// Parses and re-validates an untrusted body; `ParamsMissing` when it changes nothing.
    pub fn from_json(body: &Value) -> Result<Self> {
        let fields = body.as_object().ok_or(Error::ParamsMustBeObject)?;
        let request = Self {
            username: match fields.get("username") {
                None => None,
                present => Some(validate::json::username(present)?),
            },
            email: fields.get("email").map(|value| validate::json::email(Some(value))).transpose()?,
            profile: fields.get("profile").map(|value| validate::json::profile(Some(value))).transpose()?,
            claims: claims::optional(fields.get("claims"), claims::claims_shape)?,
            metadata: claims::optional(fields.get("metadata"), claims::metadata_shape)?,
            password_change: fields.get("passwordChange").map(PasswordChange::from_json).transpose()?,
        };
        if request.is_empty() {
            return Err(Error::ParamsMissing);
        }
        Ok(request)
    }

    /// True when nothing would change.
    pub fn is_empty(&self) -> bool {
        self.username.is_none()
            && self.email.is_none()
            && self.profile.is_none()
            && self.claims.is_none()
            && self.metadata.is_none()
            && self.password_change.is_none()
    }
}

/// Answer to updateUser.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct UpdateUserResponse {
    /// The user as it is now (with a fresh authToken).
    pub user: User,
}

/// Answer of `POST …/auth-token`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AuthTokenResponse {
    /// A fresh authToken for the session.
    pub auth_token: String,
}
