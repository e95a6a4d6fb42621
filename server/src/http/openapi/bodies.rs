//! Schemas of the server-side API's request bodies and of answers the handlers build by hand. The
//! server reads those bodies field by field (`sealbase::admin`), refusing unknown fields, so these
//! types exist only to describe them; each field's rules are the ones the readers enforce.

#![allow(dead_code)] // Described, never built: the handlers read these bodies field by field.

use sealbase::admin::record::Identity;
use sealbase::protocol::claims::{MetadataSchema, ProfileClaims};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

/// Seed 000's createUser body (docs/protocol.md §3.14.2).
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct CreateUserBody {
    app_id: String,
    /// One of the app's live secrets.
    app_secret: String,
    #[schema(format = Email)]
    email: String,
    #[schema(max_length = 25)]
    first_name: String,
    #[schema(max_length = 25)]
    last_name: String,
    /// Checked against the app's password policy, turned into a slow hash and wiped.
    password: String,
}

/// Which algorithm an imported hash was made with.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum HashFn {
    Bcrypt,
    Argon2,
    Pbkdf2,
}

/// Seed 001's sign-up body (docs/protocol.md §3.14.3): `password` in plaintext, or an imported hash
/// (`password` is then the hash, with `hash_fn` and, as the algorithm needs, `salt`,
/// `hash_iterations`, `hash_digest`), or a `password_verifier` the backend computed itself.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewUserBody {
    /// Defaults to the email.
    #[schema(max_length = 100)]
    username: Option<String>,
    #[schema(format = Email)]
    email: Option<String>,
    #[schema(max_length = 300)]
    name: Option<String>,
    #[schema(max_length = 1024)]
    password: Option<String>,
    hash_fn: Option<HashFn>,
    #[schema(max_length = 1024)]
    salt: Option<String>,
    #[schema(minimum = 1)]
    hash_iterations: Option<u32>,
    #[schema(max_length = 16)]
    hash_digest: Option<String>,
    /// `{params, publicKey}` (docs/protocol.md §3.13.2).
    #[schema(value_type = Option<Object>)]
    password_verifier: Option<()>,
    blocked: Option<bool>,
    email_verified: Option<bool>,
    verify_email: Option<bool>,
    #[schema(minimum = 0, maximum = 20000)]
    login_attempts: Option<u32>,
    /// E.164.
    #[schema(max_length = 40)]
    phone_number: Option<String>,
    phone_number_verified: Option<bool>,
    #[schema(format = "uri", max_length = 2048)]
    picture: Option<String>,
    #[schema(value_type = Option<MetadataSchema>)]
    metadata: Option<()>,
    #[schema(max_items = 20)]
    identities: Option<Vec<Identity>>,
    profile: Option<ProfileClaims>,
}

/// A change of a user's record (docs/protocol.md §3.15): only the fields given change; `null`
/// clears a nullable one.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UserChangeBody {
    #[schema(max_length = 100)]
    username: Option<String>,
    #[schema(format = Email, nullable)]
    email: Option<String>,
    #[schema(max_length = 300, nullable)]
    name: Option<String>,
    #[schema(format = "uri", max_length = 2048, nullable)]
    picture: Option<String>,
    #[schema(max_length = 40, nullable)]
    phone_number: Option<String>,
    phone_number_verified: Option<bool>,
    email_verified: Option<bool>,
    verify_email: Option<bool>,
    blocked: Option<bool>,
    #[schema(minimum = 0, maximum = 20000)]
    login_attempts: Option<u32>,
    #[schema(value_type = Option<MetadataSchema>, nullable)]
    metadata: Option<()>,
    #[schema(nullable)]
    profile: Option<ProfileClaims>,
    #[schema(max_items = 20, nullable)]
    identities: Option<Vec<Identity>>,
}

/// An identity to look a user up by.
#[derive(Deserialize, ToSchema)]
pub(crate) struct IdentityKey {
    provider: String,
    id: String,
}

/// Exactly one of the three (docs/protocol.md §3.15).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct LookupBody {
    username: Option<String>,
    #[schema(format = Email)]
    email: Option<String>,
    identity: Option<IdentityKey>,
}

/// `POST …/verify-email`: the token of a verification link.
#[derive(ToSchema)]
pub(crate) struct VerifyEmailToken {
    #[schema(min_length = 1, max_length = 128)]
    token: String,
}

/// `POST …/user/verify-email`: the 8-digit code of a verification message.
#[derive(ToSchema)]
pub(crate) struct VerifyEmailCode {
    #[schema(pattern = "^[0-9]{8}$")]
    code: String,
}

/// The answer to a verified link.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub(crate) struct EmailVerified {
    email_verified: bool,
}

/// The online check's answer (docs/protocol.md §3.12).
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub(crate) struct OnlineCheck {
    user_id: String,
    session_id: String,
    /// ISO-8601 expiry of the session.
    expiration_date: String,
}

/// OpenID Connect Core §5.3 UserInfo: `sub` and the user's standard claims.
#[derive(ToSchema)]
pub(crate) struct UserInfo {
    sub: String,
}

/// The `{app_id}` path parameter.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub(crate) struct AppPath {
    /// The app's ID.
    app_id: String,
}

/// The `{app_id}` and `{user_id}` path parameters.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub(crate) struct AppUserPath {
    /// The app's ID.
    app_id: String,
    /// The user's ID.
    user_id: String,
}
