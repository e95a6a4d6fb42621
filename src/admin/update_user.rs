//! `PATCH /v1/admin/apps/{appId}/users/{userId}`: an app's backend changes a user's record. Fields left
//! out stay as they are; `null` removes an optional one. The same rules as seed 001's sign-up body.

use serde_json::{Map, Value};

use super::fields::Object;
use super::record::{self, Identity, Metadata, ProfileClaims, NAME_MAX_LEN};
use super::user::{field_error, AccountDetails, LOGIN_ATTEMPTS_MAX};
use super::AdminError;
use crate::validate;

type Result<T> = std::result::Result<T, AdminError>;

/// The fields an app's backend may change.
const FIELDS: &[&str] = &[
    "blocked",
    "email",
    "email_verified",
    "identities",
    "login_attempts",
    "metadata",
    "name",
    "phone_number",
    "phone_number_verified",
    "picture",
    "profile",
    "username",
    "verify_email",
];

/// A change of a user's record. `None` leaves a field alone; `Some(None)` removes an optional one.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UserChange {
    /// New username (stored form).
    pub username: Option<String>,
    /// New email (lower-cased), or its removal.
    pub email: Option<Option<String>>,
    /// New display name, or its removal.
    pub name: Option<Option<String>>,
    /// New picture URL, or its removal.
    pub picture: Option<Option<String>>,
    /// New E.164 phone number, or its removal.
    pub phone_number: Option<Option<String>>,
    /// Whether the phone number is verified.
    pub phone_number_verified: Option<bool>,
    /// Whether the email is verified.
    pub email_verified: Option<bool>,
    /// Send a verification mail (the server needs a mail transport); `false` cancels a pending one.
    pub verify_email: Option<bool>,
    /// Block (every live session is revoked) or unblock.
    pub blocked: Option<bool>,
    /// Failed sign-ins (0 to 20000).
    pub login_attempts: Option<u32>,
    /// New metadata (replaces all of it), or its removal.
    pub metadata: Option<Option<Metadata>>,
    /// New profile claims (replace all of them), or their removal.
    pub profile: Option<Option<ProfileClaims>>,
    /// New identities (replace the list).
    pub identities: Option<Vec<Identity>>,
}

/// A user's editable state: what [`UserChange::apply`] reads and makes.
#[derive(Debug, Clone, PartialEq)]
pub struct EditableUser {
    /// Username (stored form).
    pub username: String,
    /// Lower-cased email.
    pub email: Option<String>,
    /// The record.
    pub details: AccountDetails,
}

/// `Some(None)` for `null`, `Some(Some(_))` for a value read by `read`, `None` when absent.
fn nullable<T>(object: &Object<'_>, name: &str, read: impl FnOnce() -> Result<Option<T>>) -> Result<Option<Option<T>>> {
    if object.is_null(name) {
        return Ok(Some(None));
    }
    Ok(read()?.map(Some))
}

impl UserChange {
    /// Checks an untrusted body: unknown fields first, then each field; the first defect is answered.
    pub fn from_json(body: &Value) -> Result<Self> {
        let object = Object::new(body, "", FIELDS)?;
        for required in
            ["username", "blocked", "email_verified", "verify_email", "phone_number_verified", "login_attempts"]
        {
            if object.is_null(required) {
                return Err(AdminError::not_valid(required, "cannot be null"));
            }
        }
        let username = match object.get("username") {
            None => None,
            Some(Value::String(text)) => Some(validate::username(text).map_err(|e| field_error("username", e))?),
            Some(_) => return Err(AdminError::not_valid("username", "must be a string")),
        };
        let email = nullable(&object, "email", || match object.get("email") {
            None => Ok(None),
            Some(Value::String(text)) => validate::email(text).map(Some).map_err(|e| field_error("email", e)),
            Some(_) => Err(AdminError::not_valid("email", "must be a string")),
        })?;
        Ok(Self {
            username,
            email,
            name: nullable(&object, "name", || Ok(object.text("name", NAME_MAX_LEN)?.map(str::to_owned)))?,
            picture: nullable(&object, "picture", || record::uri(&object, "picture"))?,
            phone_number: nullable(&object, "phone_number", || record::phone_number(&object, "phone_number"))?,
            phone_number_verified: object.boolean("phone_number_verified")?,
            email_verified: object.boolean("email_verified")?,
            verify_email: object.boolean("verify_email")?,
            blocked: object.boolean("blocked")?,
            login_attempts: object.integer("login_attempts", 0..=LOGIN_ATTEMPTS_MAX)?.map(|n| n as u32),
            metadata: nullable(&object, "metadata", || {
                object.get("metadata").map(|value| record::metadata(value, "metadata")).transpose()
            })?,
            profile: nullable(&object, "profile", || {
                object.get("profile").map(|value| record::profile(value, "profile")).transpose()
            })?,
            identities: if object.is_null("identities") || object.get("identities").is_some() {
                Some(record::identities(&object)?)
            } else {
                None
            },
        })
    }

    /// The body that sends this change.
    pub fn to_json(&self) -> Value {
        fn put<T: serde::Serialize>(body: &mut Map<String, Value>, name: &str, value: &Option<T>) {
            if let Some(value) = value {
                body.insert(name.into(), serde_json::to_value(value).unwrap_or(Value::Null));
            }
        }
        let mut body = Map::new();
        put(&mut body, "username", &self.username);
        put(&mut body, "email", &self.email);
        put(&mut body, "name", &self.name);
        put(&mut body, "picture", &self.picture);
        put(&mut body, "phone_number", &self.phone_number);
        put(&mut body, "phone_number_verified", &self.phone_number_verified);
        put(&mut body, "email_verified", &self.email_verified);
        put(&mut body, "verify_email", &self.verify_email);
        put(&mut body, "blocked", &self.blocked);
        put(&mut body, "login_attempts", &self.login_attempts);
        put(&mut body, "metadata", &self.metadata);
        put(&mut body, "profile", &self.profile);
        put(&mut body, "identities", &self.identities);
        Value::Object(body)
    }

    /// The user after this change, or the rule the result would break. A new email (or phone number)
    /// is unverified unless the change says otherwise; a removed one takes its verification along.
    pub fn apply(&self, current: &EditableUser) -> Result<EditableUser> {
        let mut next = current.clone();
        let details = &mut next.details;
        if let Some(username) = &self.username {
            next.username = username.clone();
        }
        if let Some(email) = &self.email {
            if *email != current.email {
                details.email_verified = false;
                details.verify_email = false;
            }
            next.email = email.clone();
        }
        if let Some(phone_number) = &self.phone_number {
            if *phone_number != details.phone_number {
                details.phone_number_verified = false;
            }
            details.phone_number = phone_number.clone();
        }
        fn set<T: Clone>(target: &mut Option<T>, value: &Option<Option<T>>) {
            if let Some(value) = value {
                *target = value.clone();
            }
        }
        set(&mut details.name, &self.name);
        set(&mut details.picture, &self.picture);
        set(&mut details.metadata, &self.metadata);
        set(&mut details.profile, &self.profile);
        if let Some(identities) = &self.identities {
            details.identities = identities.clone();
        }
        if let Some(verified) = self.email_verified {
            details.email_verified = verified;
        }
        if let Some(verify) = self.verify_email {
            details.verify_email = verify;
        }
        if let Some(verified) = self.phone_number_verified {
            details.phone_number_verified = verified;
        }
        if let Some(blocked) = self.blocked {
            details.blocked = blocked;
        }
        if let Some(attempts) = self.login_attempts {
            details.login_attempts = attempts;
        }
        if details.verify_email && next.email.is_none() {
            return Err(AdminError::not_valid("verify_email", "can only be true with email"));
        }
        // A verified email needs no verification.
        details.verify_email &= !details.email_verified;
        if details.email_verified && next.email.is_none() {
            return Err(AdminError::not_valid("email_verified", "can only be true with email"));
        }
        if details.phone_number_verified && details.phone_number.is_none() {
            return Err(AdminError::not_valid("phone_number_verified", "can only be true with phone_number"));
        }
        Ok(next)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn user() -> EditableUser {
        EditableUser {
            username: "ada".into(),
            email: Some("ada@example.com".into()),
            details: AccountDetails {
                email_verified: true,
                phone_number: Some("+14155550100".into()),
                phone_number_verified: true,
                name: Some("Ada".into()),
                ..AccountDetails::default()
            },
        }
    }

    #[test]
    fn absent_fields_stay_null_removes_and_a_new_email_is_unverified() {
        let change = UserChange::from_json(&json!({"email": "Ada@Other.example", "name": null})).unwrap();
        assert_eq!(change.email, Some(Some("ada@other.example".into())));
        assert_eq!(change.name, Some(None));
        assert_eq!(change.picture, None);
        let next = change.apply(&user()).unwrap();
        assert_eq!(next.email.as_deref(), Some("ada@other.example"));
        assert!(!next.details.email_verified);
        assert_eq!(next.details.name, None);
        assert!(next.details.phone_number_verified);
        assert_eq!(UserChange::from_json(&change.to_json()).unwrap(), change);
    }

    #[test]
    fn refusals_name_their_field() {
        let refused = |body: Value| UserChange::from_json(&body).unwrap_err();
        assert_eq!(refused(json!({"verify": true})), AdminError::UnknownField { field: "verify".into() });
        assert_eq!(refused(json!({"blocked": null})), AdminError::not_valid("blocked", "cannot be null"));
        assert_eq!(refused(json!({"username": null})), AdminError::not_valid("username", "cannot be null"));
        assert_eq!(
            refused(json!({"login_attempts": 20001})),
            AdminError::not_valid("login_attempts", "must be an integer from 0 to 20000")
        );
        assert_eq!(refused(json!([])), AdminError::BodyNotValid);
        let unverifiable = UserChange::from_json(&json!({"email": null, "email_verified": true})).unwrap();
        assert_eq!(
            unverifiable.apply(&user()).unwrap_err(),
            AdminError::not_valid("email_verified", "can only be true with email")
        );
        let removed = UserChange::from_json(&json!({"phone_number": null})).unwrap().apply(&user()).unwrap();
        assert!(!removed.details.phone_number_verified);
    }
}
