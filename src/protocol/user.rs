//! The user as the SDK returns it, and an app's public settings.

use serde::{Deserialize, Serialize};

use crate::validate::Profile;

/// The app's payments mode, as set by its operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum PaymentsMode {
    /// No payments.
    #[default]
    Disabled,
    /// Test payments.
    Test,
    /// Live payments.
    Prod,
}

impl PaymentsMode {
    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Disabled => "disabled",
            Self::Test => "test",
            Self::Prod => "prod",
        }
    }
}

impl std::str::FromStr for PaymentsMode {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "disabled" => Ok(Self::Disabled),
            "test" => Ok(Self::Test),
            "prod" => Ok(Self::Prod),
            other => Err(format!("payments mode must be disabled, test or prod, not {other:?}")),
        }
    }
}

/// A signed-in user (userbase-js's `user` object).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct User {
    /// NFKC, lower-cased username.
    pub username: String,
    /// The user's UUID.
    pub user_id: String,
    /// A JWT (EdDSA) app servers can verify.
    pub auth_token: String,
    /// ISO-8601 creation time.
    pub creation_date: String,
    /// Lower-cased email, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Profile, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<Profile>,
    /// The app's payments mode.
    pub payments_mode: PaymentsMode,
    /// ISO-8601 end of the user's trial, when the app has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trial_expiration_date: Option<String>,
    /// The server once received this account's password in plaintext (its app's backend created the
    /// account with one): an app may suggest a new password. A password change clears it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub password_seen_by_server: bool,
    /// The email was verified (by mail, or by the app's backend). Read-only for the user.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub email_verified: bool,
    /// OpenID Connect profile claims, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claims: Option<super::UserClaims>,
    /// The phone number of the claims was verified (by the app's backend). Read-only for the user.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub phone_number_verified: bool,
    /// App metadata, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::protocol::claims::MetadataSchema>))]
    pub metadata: Option<super::Metadata>,
}

/// What any client may learn about an app before signing in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ClientSettings {
    /// The app's ID.
    pub app_id: String,
    /// Minimum password length, in characters.
    pub password_min_length: usize,
    /// How many of the five password practices a password must follow (1–5; see
    /// [`crate::validate::password_complexity`]). Servers before it was published mean 1.
    #[serde(default = "one")]
    pub password_complexity: u8,
    /// Payments mode.
    pub payments_mode: PaymentsMode,
    /// Whether a user needs a verified email to sign in (`EmailNotVerified`); sign-up then needs an
    /// email (`EmailRequired`). Servers before it was published mean false.
    #[serde(default)]
    pub require_verified_email: bool,
    /// Highest protocol version the server speaks.
    pub protocol_version: u32,
    /// `iss` of the app's authTokens; also the audience bound into signed challenges.
    pub issuer: String,
    /// Path of the app's JWK set (authToken verification keys).
    pub jwks_url: String,
}

fn one() -> u8 {
    1
}
