//! `POST /api/v1/server/createUser`: seed 000's call (JustSignIn's server-side createUser), request and
//! answers exactly as the seed gives them, so a backend written against it switches by changing the host.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use zeroize::Zeroizing;

use super::fields::Object;
use super::record::ProfileClaims;
use super::user::{field_error, AccountDetails, NewUserRequest, PasswordSource};
use super::AdminError;
use crate::validate;

type Result<T> = std::result::Result<T, AdminError>;

/// Longest `firstName` and `lastName` (the seed's rule).
pub const NAME_MAX_LEN: usize = 25;

/// The app and secret a createUser call names, read before anything else in its body is looked at.
pub struct CallerCredentials {
    /// `appId`.
    pub app_id: String,
    /// `appSecret`.
    pub app_secret: Zeroizing<String>,
}

impl CallerCredentials {
    /// `appId` and `appSecret`: required strings.
    pub fn from_json(body: &Value) -> Result<Self> {
        let fields = body.as_object().ok_or(AdminError::BodyNotValid)?;
        let text = |name: &str| match fields.get(name) {
            None | Some(Value::Null) => Err(AdminError::FieldMissing { field: name.into() }),
            Some(Value::String(text)) => Ok(text.as_str()),
            Some(_) => Err(AdminError::not_valid(name, "must be a string")),
        };
        Ok(Self { app_id: text("appId")?.to_owned(), app_secret: Zeroizing::new(text("appSecret")?.to_owned()) })
    }
}

/// Seed 000's body past its credentials, checked: the user to create. The username is the lower-cased
/// email; `firstName` and `lastName` become the `given_name` and `family_name` claims and
/// `"firstName lastName"` the `name`.
pub fn new_user(body: &Value) -> Result<NewUserRequest> {
    let object = Object::new(body, "", &["appId", "appSecret", "email", "firstName", "lastName", "password"])?;
    let email = object.required("email")?;
    let email = email.as_str().ok_or_else(|| AdminError::not_valid("email", "must be a string"))?;
    let email = validate::email(email).map_err(|error| field_error("email", error))?;
    let username = validate::username(&email).map_err(|error| field_error("email", error))?;
    let first_name = object.required_text("firstName", NAME_MAX_LEN)?;
    let last_name = object.required_text("lastName", NAME_MAX_LEN)?;
    object.required("password")?;
    let password = object.raw_string("password")?.unwrap_or_default();
    validate::password(password).map_err(|error| field_error("password", error))?;
    Ok(NewUserRequest {
        username,
        email: Some(email),
        password: PasswordSource::Plaintext(Zeroizing::new(password.to_owned())),
        details: AccountDetails {
            name: Some(format!("{first_name} {last_name}")),
            profile: Some(ProfileClaims {
                given_name: Some(first_name.to_owned()),
                family_name: Some(last_name.to_owned()),
                ..ProfileClaims::default()
            }),
            ..AccountDetails::default()
        },
    })
}

/// Seed 000's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateUserResponse {
    /// The new user.
    pub user: CreatedUser,
}

/// The user in seed 000's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CreatedUser {
    /// The userId.
    pub id: String,
    /// The email (lower-cased).
    pub email: String,
    /// `given_name`.
    pub first_name: String,
    /// `family_name`.
    pub last_name: String,
    /// `name`.
    pub full_name: String,
}
