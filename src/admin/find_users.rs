//! Finding users through the server-side API: one by username, email or identity
//! (`POST …/users/lookup`, so no personal data lands in a URL or an access log), and the app's users
//! page by page (`GET …/users?limit=&cursor=&blocked=&email_verified=`).

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::fields::Object;
use super::record::{IDENTITY_ID_MAX_LEN, PROVIDERS};
use super::user::field_error;
use super::{AdminError, AdminUser};
use crate::validate;

type Result<T> = std::result::Result<T, AdminError>;

/// Users per page when `limit` is not given.
pub const LIST_LIMIT_DEFAULT: usize = 50;
/// Most users per page.
pub const LIST_LIMIT_MAX: usize = 200;
/// Longest cursor a server hands out (a user id) or reads.
const CURSOR_MAX_LEN: usize = 64;

/// One user, named by something other than the id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserLookup {
    /// By username (any form; stored form after checking).
    Username(String),
    /// By email (case-insensitive).
    Email(String),
    /// By an identity at an external provider.
    Identity {
        /// One of seed 001's providers.
        provider: String,
        /// The user's id there.
        id: String,
    },
}

impl UserLookup {
    /// Reads `{"username": …}`, `{"email": …}` or `{"identity": {"provider": …, "id": …}}`: exactly one.
    pub fn from_json(body: &Value) -> Result<Self> {
        let object = Object::new(body, "", &["email", "identity", "username"])?;
        let given: Vec<&str> =
            ["email", "identity", "username"].into_iter().filter(|name| object.get(name).is_some()).collect();
        match given.as_slice() {
            [] => Err(AdminError::FieldMissing { field: "username".into() }),
            ["email"] => match object.get("email") {
                Some(Value::String(text)) => {
                    Ok(Self::Email(validate::email(text).map_err(|e| field_error("email", e))?))
                }
                _ => Err(AdminError::not_valid("email", "must be a string")),
            },
            ["username"] => match object.get("username") {
                Some(Value::String(text)) => {
                    Ok(Self::Username(validate::username(text).map_err(|e| field_error("username", e))?))
                }
                _ => Err(AdminError::not_valid("username", "must be a string")),
            },
            ["identity"] => {
                let identity = Object::new(object.required("identity")?, "identity", &["id", "provider"])?;
                let provider = identity.required_text("provider", 40)?;
                if !PROVIDERS.contains(&provider) {
                    return Err(AdminError::not_valid("identity.provider", "must be one of seed 001's providers"));
                }
                let id = identity.required_text("id", IDENTITY_ID_MAX_LEN)?;
                Ok(Self::Identity { provider: provider.to_owned(), id: id.to_owned() })
            }
            [_] => Err(AdminError::BodyNotValid),
            [_, second, ..] => Err(AdminError::not_valid(*second, "cannot be given with another way to find a user")),
        }
    }

    /// The body that sends this lookup.
    pub fn to_json(&self) -> Value {
        match self {
            Self::Username(username) => json!({ "username": username }),
            Self::Email(email) => json!({ "email": email }),
            Self::Identity { provider, id } => json!({ "identity": { "provider": provider, "id": id } }),
        }
    }
}

/// Which users a page lists, and where it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListUsers {
    /// Most users on the page (1 to [`LIST_LIMIT_MAX`]).
    pub limit: usize,
    /// The previous page's `next_cursor`: this page starts after it.
    pub cursor: Option<String>,
    /// Only users that are (or are not) blocked.
    pub blocked: Option<bool>,
    /// Only users whose email is (or is not) verified.
    pub email_verified: Option<bool>,
}

impl Default for ListUsers {
    fn default() -> Self {
        Self { limit: LIST_LIMIT_DEFAULT, cursor: None, blocked: None, email_verified: None }
    }
}

impl ListUsers {
    /// Reads a decoded query string's pairs; unknown or repeated parameters are refused.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<Self> {
        let mut query = Self::default();
        let mut seen: Vec<&str> = Vec::new();
        for (name, value) in pairs {
            if seen.contains(&name) {
                return Err(AdminError::not_valid(name, "is given more than once"));
            }
            let flag = || match value {
                "true" => Ok(true),
                "false" => Ok(false),
                _ => Err(AdminError::not_valid(name, "must be true or false")),
            };
            match name {
                "limit" => {
                    query.limit = value.parse().ok().filter(|n| (1..=LIST_LIMIT_MAX).contains(n)).ok_or_else(|| {
                        AdminError::not_valid("limit", format!("must be an integer from 1 to {LIST_LIMIT_MAX}"))
                    })?;
                }
                "cursor" => {
                    if value.is_empty()
                        || value.len() > CURSOR_MAX_LEN
                        || !value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
                    {
                        return Err(AdminError::not_valid("cursor", "must be a next_cursor this API answered"));
                    }
                    query.cursor = Some(value.to_owned());
                }
                "blocked" => query.blocked = Some(flag()?),
                "email_verified" => query.email_verified = Some(flag()?),
                _ => return Err(AdminError::UnknownField { field: name.to_owned() }),
            }
            seen.push(name);
        }
        Ok(query)
    }

    /// The query string's pairs that ask for this page.
    pub fn to_pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = vec![("limit", self.limit.to_string())];
        if let Some(cursor) = &self.cursor {
            pairs.push(("cursor", cursor.clone()));
        }
        if let Some(blocked) = self.blocked {
            pairs.push(("blocked", blocked.to_string()));
        }
        if let Some(verified) = self.email_verified {
            pairs.push(("email_verified", verified.to_string()));
        }
        pairs
    }
}

/// One page of users, in a fixed order (by id).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UsersPage {
    /// The users.
    pub users: Vec<AdminUser>,
    /// Where the next page starts; absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lookup_names_exactly_one_key() {
        assert_eq!(
            UserLookup::from_json(&json!({"email": "Ada@Example.com"})).unwrap(),
            UserLookup::Email("ada@example.com".into())
        );
        let identity = UserLookup::from_json(&json!({"identity": {"provider": "github", "id": "42"}})).unwrap();
        assert_eq!(UserLookup::from_json(&identity.to_json()).unwrap(), identity);
        assert_eq!(
            UserLookup::from_json(&json!({"email": "a@b.co", "username": "a"})).unwrap_err(),
            AdminError::not_valid("username", "cannot be given with another way to find a user")
        );
        assert_eq!(
            UserLookup::from_json(&json!({})).unwrap_err(),
            AdminError::FieldMissing { field: "username".into() }
        );
        assert_eq!(
            UserLookup::from_json(&json!({"identity": {"provider": "myspace", "id": "1"}})).unwrap_err(),
            AdminError::not_valid("identity.provider", "must be one of seed 001's providers")
        );
    }

    #[test]
    fn list_queries_are_read_strictly() {
        let query = ListUsers::from_pairs([("limit", "10"), ("blocked", "true"), ("cursor", "u_1")]).unwrap();
        assert_eq!(query.limit, 10);
        assert_eq!(query.blocked, Some(true));
        let pairs = query.to_pairs();
        assert_eq!(ListUsers::from_pairs(pairs.iter().map(|(k, v)| (*k, v.as_str()))).unwrap(), query);
        let refused = |pairs: &[(&str, &str)]| ListUsers::from_pairs(pairs.iter().copied()).unwrap_err();
        assert_eq!(refused(&[("limit", "0")]), AdminError::not_valid("limit", "must be an integer from 1 to 200"));
        assert_eq!(refused(&[("limit", "201")]), AdminError::not_valid("limit", "must be an integer from 1 to 200"));
        assert_eq!(refused(&[("blocked", "yes")]), AdminError::not_valid("blocked", "must be true or false"));
        assert_eq!(
            refused(&[("limit", "1"), ("limit", "2")]),
            AdminError::not_valid("limit", "is given more than once")
        );
        assert_eq!(refused(&[("sort", "id")]), AdminError::UnknownField { field: "sort".into() });
        assert_eq!(
            refused(&[("cursor", "a'b")]),
            AdminError::not_valid("cursor", "must be a next_cursor this API answered")
        );
    }
}
