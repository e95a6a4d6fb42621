//! `POST /v1/admin/apps/{appId}/users`: seed 001's sign-up body, called by an app's backend with an app
//! secret, and the stored user it answers.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use zeroize::Zeroizing;

use super::fields::Object;
use super::record::{self, Identity, Metadata, ProfileClaims, NAME_MAX_LEN};
use super::AdminError;
use crate::crypto::legacy::import::HashFn;
use crate::crypto::legacy::PendingVerifier;
use crate::error::Error;
use crate::validate;

type Result<T> = std::result::Result<T, AdminError>;

/// Longest imported hash string.
pub const HASH_MAX_LEN: usize = 1024;
/// Longest `salt` of an imported hash.
pub const SALT_MAX_LEN: usize = 1024;
/// Most failed sign-ins an import may carry (the seed's rule).
pub const LOGIN_ATTEMPTS_MAX: i64 = 20_000;

/// Everything about a user besides the username, email and password: seed 001's record.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccountDetails {
    /// Full name in displayable form.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// URL of the user's picture.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub picture: Option<String>,
    /// E.164 phone number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    /// Whether the phone number was verified.
    #[serde(default)]
    pub phone_number_verified: bool,
    /// Whether the email address was verified.
    #[serde(default)]
    pub email_verified: bool,
    /// Whether the email address is to be verified by mail.
    #[serde(default)]
    pub verify_email: bool,
    /// A blocked user cannot sign in.
    #[serde(default)]
    pub blocked: bool,
    /// Failed sign-ins (0 to 20000).
    #[serde(default)]
    pub login_attempts: u32,
    /// Up to 10 fields of app data (server-visible).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::protocol::claims::MetadataSchema>))]
    pub metadata: Option<Metadata>,
    /// Identities at external providers.
    #[serde(default)]
    pub identities: Vec<Identity>,
    /// OpenID Connect profile claims.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<ProfileClaims>,
}

/// How the password of a user made by an app's backend is handed over.
#[derive(Clone, PartialEq)]
pub enum PasswordSource {
    /// In plaintext (seed 000; seed 001 without `hash_fn`): the server checks the app's policy, makes a
    /// verifier and forgets it, and marks the account `password_seen_by_server`.
    Plaintext(Zeroizing<String>),
    /// An imported hash (seed 001's `hash_fn`, `password`, `salt`, and sealbase's `hash_iterations` and
    /// `hash_digest` for a plain PBKDF2 hash).
    Imported {
        /// The hash function.
        hash_fn: HashFn,
        /// The hash.
        hash: Zeroizing<String>,
        /// Its salt, if given apart.
        salt: Option<String>,
        /// Plain PBKDF2's iteration count.
        iterations: Option<u32>,
        /// Plain PBKDF2's digest.
        digest: Option<String>,
    },
    /// A verifier the backend made itself (sealbase's `password_verifier`): neither the password nor a
    /// hash reaches the server.
    Verifier(PendingVerifier),
}

impl std::fmt::Debug for PasswordSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Plaintext(_) => f.write_str("Plaintext(<redacted>)"),
            Self::Imported { hash_fn, .. } => write!(f, "Imported({hash_fn:?}, <redacted>)"),
            Self::Verifier(verifier) => f.debug_tuple("Verifier").field(verifier).finish(),
        }
    }
}

impl PasswordSource {
    /// The verifier, made here from a plaintext or an imported hash (CPU-heavy for a plaintext). A
    /// plaintext is checked against nothing here: the app's policy is the caller's to apply first.
    pub fn verifier(&self) -> Result<PendingVerifier> {
        match self {
            Self::Plaintext(password) => {
                PendingVerifier::from_password(password).map_err(|_| AdminError::ServiceUnavailable)
            }
            Self::Imported { hash_fn, hash, salt, iterations, digest } => {
                let imported = crate::crypto::legacy::import::ImportedHash {
                    hash_fn: *hash_fn,
                    hash,
                    salt: salt.as_deref(),
                    iterations: *iterations,
                    digest: digest.as_deref(),
                };
                crate::crypto::legacy::import::verifier(&imported).map_err(|e| AdminError::not_valid(e.field, e.reason))
            }
            Self::Verifier(verifier) => Ok(verifier.clone()),
        }
    }
}

/// Seed 001's sign-up body, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct NewUserRequest {
    /// The username (stored form); the lower-cased email when the body gives none.
    pub username: String,
    /// Lower-cased email.
    pub email: Option<String>,
    /// The password as handed over.
    pub password: PasswordSource,
    /// The rest of the record.
    pub details: AccountDetails,
}

/// The fields of seed 001's body, and sealbase's additions (`hash_iterations`, `hash_digest`,
/// `password_verifier`).
const FIELDS: &[&str] = &[
    "blocked",
    "email",
    "email_verified",
    "hash_digest",
    "hash_fn",
    "hash_iterations",
    "identities",
    "login_attempts",
    "metadata",
    "name",
    "password",
    "password_verifier",
    "phone_number",
    "phone_number_verified",
    "picture",
    "profile",
    "salt",
    "username",
    "verify_email",
];

/// A public SDK error about a field as an admin error of that field.
pub(crate) fn field_error(field: &str, error: Error) -> AdminError {
    match error {
        Error::UsernameTooLong { max_len } | Error::PasswordTooLong { max_len } => {
            AdminError::FieldTooLong { field: field.into(), max_length: max_len }
        }
        Error::UsernameCannotBeBlank | Error::PasswordCannotBeBlank => AdminError::not_valid(field, "cannot be blank"),
        Error::EmailNotValid => AdminError::not_valid(field, "must be an email address"),
        Error::UsernameNotValid { reason } => AdminError::not_valid(field, reason),
        Error::KeyMaterialNotValid { key } => {
            AdminError::not_valid(format!("{field}.{key}"), "must be unpadded base64url of the exact size")
        }
        Error::LegacyParamsNotValid => AdminError::not_valid(
            format!("{field}.params"),
            "must be parameters a client computes (docs/protocol.md §3.13)",
        ),
        other => AdminError::not_valid(field, other.to_string().trim_end_matches('.').to_lowercase()),
    }
}

fn password_source(object: &Object<'_>) -> Result<PasswordSource> {
    let hash_fields = ["hash_fn", "salt", "hash_iterations", "hash_digest"];
    if let Some(verifier) = object.get("password_verifier") {
        if let Some(other) = ["password"].iter().chain(&hash_fields).find(|name| object.get(name).is_some()) {
            return Err(AdminError::not_valid(*other, "cannot be given with password_verifier"));
        }
        let verifier: PendingVerifier = serde_json::from_value(verifier.clone()).map_err(|_| {
            AdminError::not_valid("password_verifier", "must be {params, publicKey} (docs/protocol.md §3.14)")
        })?;
        verifier.check().map_err(|error| field_error("password_verifier", error))?;
        return Ok(PasswordSource::Verifier(verifier));
    }
    object.required("password")?;
    let password = object.raw_string("password")?.unwrap_or_default();
    let Some(hash_fn) = object.raw_string("hash_fn")? else {
        if let Some(other) = hash_fields[1..].iter().find(|name| object.get(name).is_some()) {
            return Err(AdminError::not_valid(*other, "is only read with hash_fn"));
        }
        validate::password(password).map_err(|error| field_error("password", error))?;
        return Ok(PasswordSource::Plaintext(Zeroizing::new(password.to_owned())));
    };
    let hash_fn: HashFn =
        hash_fn.parse().map_err(|()| AdminError::not_valid("hash_fn", "must be one of bcrypt, argon2, pbkdf2"))?;
    if password.is_empty() {
        return Err(AdminError::not_valid("password", "cannot be blank"));
    }
    if password.chars().count() > HASH_MAX_LEN {
        return Err(AdminError::FieldTooLong { field: "password".into(), max_length: HASH_MAX_LEN });
    }
    if hash_fn != HashFn::Pbkdf2 {
        if let Some(other) = hash_fields[2..].iter().find(|name| object.get(name).is_some()) {
            return Err(AdminError::not_valid(*other, "is only read with hash_fn pbkdf2"));
        }
    }
    let iterations = object.integer("hash_iterations", 1..=i64::from(u32::MAX))?.map(|n| n as u32);
    Ok(PasswordSource::Imported {
        hash_fn,
        hash: Zeroizing::new(password.to_owned()),
        salt: object.text("salt", SALT_MAX_LEN)?.map(str::to_owned),
        iterations,
        digest: object.text("hash_digest", 16)?.map(str::to_owned),
    })
}

fn needs(object: &Object<'_>, flag: &str, present: &str) -> Result<()> {
    if object.boolean(flag)? == Some(true) && object.get(present).is_none() {
        return Err(AdminError::not_valid(flag, format!("can only be true with {present}")));
    }
    Ok(())
}

impl NewUserRequest {
    /// Checks an untrusted body: unknown fields first, then each field; the first defect is answered.
    pub fn from_json(body: &Value) -> Result<Self> {
        let object = Object::new(body, "", FIELDS)?;
        let email = match object.get("email") {
            None => None,
            Some(Value::String(text)) => Some(validate::email(text).map_err(|error| field_error("email", error))?),
            Some(_) => return Err(AdminError::not_valid("email", "must be a string")),
        };
        let username = match (object.get("username"), &email) {
            (Some(Value::String(text)), _) => {
                validate::username(text).map_err(|error| field_error("username", error))?
            }
            (Some(_), _) => return Err(AdminError::not_valid("username", "must be a string")),
            (None, Some(email)) => validate::username(email).map_err(|error| field_error("email", error))?,
            (None, None) => return Err(AdminError::FieldMissing { field: "username".into() }),
        };
        needs(&object, "email_verified", "email")?;
        needs(&object, "verify_email", "email")?;
        needs(&object, "phone_number_verified", "phone_number")?;
        let password = password_source(&object)?;
        let email_verified = object.boolean("email_verified")?.unwrap_or(false);
        let details = AccountDetails {
            name: object.text("name", NAME_MAX_LEN)?.map(str::to_owned),
            picture: record::uri(&object, "picture")?,
            phone_number: record::phone_number(&object, "phone_number")?,
            phone_number_verified: object.boolean("phone_number_verified")?.unwrap_or(false),
            email_verified,
            // A verified email needs no verification (as in an update).
            verify_email: object.boolean("verify_email")?.unwrap_or(false) && !email_verified,
            blocked: object.boolean("blocked")?.unwrap_or(false),
            login_attempts: object.integer("login_attempts", 0..=LOGIN_ATTEMPTS_MAX)?.unwrap_or(0) as u32,
            metadata: object.get("metadata").map(|value| record::metadata(value, "metadata")).transpose()?,
            identities: record::identities(&object)?,
            profile: object.get("profile").map(|value| record::profile(value, "profile")).transpose()?,
        };
        Ok(Self { username, email, password, details })
    }

    /// The body that sends this request; `password_verifier` when the password source is a verifier.
    pub fn to_json(&self) -> Value {
        let mut body = match serde_json::to_value(&self.details) {
            Ok(Value::Object(map)) => map,
            _ => Map::new(),
        };
        body.insert("username".into(), self.username.clone().into());
        if let Some(email) = &self.email {
            body.insert("email".into(), email.clone().into());
        }
        match &self.password {
            PasswordSource::Plaintext(password) => {
                body.insert("password".into(), password.as_str().into());
            }
            PasswordSource::Imported { hash_fn, hash, salt, iterations, digest } => {
                let name = match hash_fn {
                    HashFn::Bcrypt => "bcrypt",
                    HashFn::Argon2 => "argon2",
                    HashFn::Pbkdf2 => "pbkdf2",
                };
                body.insert("hash_fn".into(), name.into());
                body.insert("password".into(), hash.as_str().into());
                for (key, value) in [
                    ("salt", salt.clone().map(Value::from)),
                    ("hash_iterations", iterations.map(Value::from)),
                    ("hash_digest", digest.clone().map(Value::from)),
                ] {
                    if let Some(value) = value {
                        body.insert(key.into(), value);
                    }
                }
            }
            PasswordSource::Verifier(verifier) => {
                body.insert("password_verifier".into(), serde_json::to_value(verifier).unwrap_or(Value::Null));
            }
        }
        Value::Object(body)
    }
}

/// A user as the server-side API answers it: never a password, hash or verifier.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AdminUser {
    /// The userId.
    pub id: String,
    /// The username (stored form).
    pub username: String,
    /// Lower-cased email.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// ISO-8601 creation time.
    pub created_at: String,
    /// The account has no end-to-end keys yet: its first sign-in from a client makes them.
    pub pending_keys: bool,
    /// The server once received the password in plaintext; a password change clears it.
    pub password_seen_by_server: bool,
    /// The rest of the record.
    #[serde(flatten)]
    pub details: AccountDetails,
}
