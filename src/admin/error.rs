//! The errors of the server-side API an app's backend calls, in seed 000's style
//! (`{"error": "USER_ALREADY_EXISTS", "message": "User with email already exists"}`), with the field at
//! fault named beside them. One table: the wire name, the HTTP status and the message come from it.

use serde::{Deserialize, Serialize};

macro_rules! admin_errors {
    ($( $(#[$doc:meta])* $name:ident $({ $($field:ident : $ty:ty),* $(,)? })? = $wire:literal, $status:literal, $msg:literal; )*) => {
        /// Every failure of the server-side API. `error` on the wire is the upper-case name.
        #[derive(Debug, Clone, PartialEq, thiserror::Error, Serialize, Deserialize)]
        #[serde(tag = "error", rename_all_fields = "camelCase")]
        #[non_exhaustive]
        pub enum AdminError {
            $( $(#[$doc])* #[error($msg)] #[serde(rename = $wire)] $name $({ $(#[doc = concat!("The `", stringify!($field), "` detail.")] $field: $ty),* })?, )*
        }

        impl AdminError {
            /// Every wire name, in the table's order.
            pub const NAMES: &'static [&'static str] = &[$($wire),*];

            /// The wire name (`error`).
            pub fn name(&self) -> &'static str {
                match self { $( Self::$name { .. } => $wire, )* }
            }

            /// The HTTP status that goes with this error.
            pub fn status(&self) -> u16 {
                match self { $( Self::$name { .. } => $status, )* }
            }
        }
    };
}

admin_errors! {
    /// The body is not a JSON object.
    BodyNotValid = "BODY_NOT_VALID", 400, "Request body must be a JSON object.";
    /// The body is larger than the server reads.
    BodyTooLarge { max_length: usize } = "BODY_TOO_LARGE", 413, "Request body too large. Must be at most {max_length} bytes.";
    /// A required field is absent (or null).
    FieldMissing { field: String } = "FIELD_MISSING", 400, "{field} is required.";
    /// A field the API does not know: refused, so a misspelt field is never ignored in silence.
    UnknownField { field: String } = "UNKNOWN_FIELD", 400, "{field} is not a known field.";
    /// A field's value breaks a rule (`reason` says which).
    FieldNotValid { field: String, reason: String } = "FIELD_NOT_VALID", 400, "{field} {reason}.";
    /// A text field is longer than its limit, in characters.
    FieldTooLong { field: String, max_length: usize } = "FIELD_TOO_LONG", 400, "{field} is too long. Must be at most {max_length} characters.";
    /// The appId names no app, or the app secret is not one of the app's live secrets (not told apart).
    Unauthorized = "UNAUTHORIZED", 401, "App ID or app secret not valid.";
    /// A user of the app already has this email (`field` = `email`) or username.
    UserAlreadyExists { field: String } = "USER_ALREADY_EXISTS", 400, "User with {field} already exists";
    /// Another user of the app has an identity of this provider and id.
    IdentityAlreadyLinked { field: String } = "IDENTITY_ALREADY_LINKED", 400, "Identity already linked to another user.";
    /// No user of the app has this id (or username, email or identity).
    UserNotFound = "USER_NOT_FOUND", 404, "User not found.";
    /// The password is shorter than the app's minimum length.
    PasswordTooShort { min_length: usize } = "PASSWORD_TOO_SHORT", 400, "Password is too short. Must be at least {min_length} characters.";
    /// The password follows fewer of the five password practices than the app requires.
    PasswordTooWeak { required: u8, met: u8 } = "PASSWORD_TOO_WEAK", 400, "Password is too weak.";
    /// The app has as many users as its quota allows.
    UserQuotaExceeded = "USER_QUOTA_EXCEEDED", 402, "The app's user quota is used up.";
    /// Concurrent requests kept conflicting; retry after `delay` seconds.
    TooManyRequests { delay: u64 } = "TOO_MANY_REQUESTS", 429, "Too many requests. Retry in {delay} seconds.";
    /// The database could not be reached, or a fault of the server's own.
    ServiceUnavailable = "SERVICE_UNAVAILABLE", 503, "Service unavailable.";
}

impl AdminError {
    /// `FieldNotValid` for `field`.
    pub fn not_valid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::FieldNotValid { field: field.into(), reason: reason.into() }
    }

    /// The wire form: `{"error": name, "message": …, …details}`.
    pub fn to_body(&self) -> serde_json::Value {
        let mut body = serde_json::to_value(self).unwrap_or_else(|_| serde_json::json!({ "error": self.name() }));
        if let serde_json::Value::Object(map) = &mut body {
            map.insert("message".into(), self.to_string().into());
        }
        body
    }

    /// Reads an error body; anything unrecognised is `ServiceUnavailable`.
    pub fn from_body(body: &[u8]) -> Self {
        serde_json::from_slice(body).unwrap_or(Self::ServiceUnavailable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_000_errors_have_its_exact_names_and_messages() {
        let exists = AdminError::UserAlreadyExists { field: "email".into() };
        assert_eq!(
            exists.to_body(),
            serde_json::json!({"error": "USER_ALREADY_EXISTS", "field": "email", "message": "User with email already exists"})
        );
        assert_eq!(exists.status(), 400);
        let weak = AdminError::PasswordTooWeak { required: 4, met: 2 };
        assert_eq!(
            weak.to_body(),
            serde_json::json!({"error": "PASSWORD_TOO_WEAK", "required": 4, "met": 2, "message": "Password is too weak."})
        );
        assert_eq!(AdminError::from_body(weak.to_body().to_string().as_bytes()), weak);
        assert_eq!(AdminError::from_body(b"{\"error\":\"NOPE\"}"), AdminError::ServiceUnavailable);
        let too_long = AdminError::FieldTooLong { field: "firstName".into(), max_length: 25 };
        assert_eq!(too_long.to_body()["maxLength"], 25);
    }
}
