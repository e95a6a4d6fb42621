//! The one error type of sealbase.
//!
//! Variant names are the public error names of the JavaScript contract (userbase-js compatible), so the
//! same value travels unchanged from the server (`{ "error": name, "message": …, …extras }`), through the
//! Rust SDK, to JavaScript (`Error.name`). [`Error::status`] is the HTTP status the server answers with.

/// Declares the error enum once, with each variant's HTTP status, so name, status and message cannot drift.
macro_rules! errors {
    ($( $(#[$doc:meta])* $name:ident $({ $($(#[$fattr:meta])* $field:ident : $ty:ty),* $(,)? })? = $status:literal, $msg:literal; )*) => {
        /// Every failure sealbase reports. The variant name is the public error name.
        #[derive(Debug, Clone, PartialEq, thiserror::Error)]
        #[non_exhaustive]
        pub enum Error {
            $( $(#[$doc])* #[error($msg)] $name $({ $($(#[$fattr])* #[doc = concat!("The `", stringify!($field), "` detail.")] $field: $ty),* })?, )*
        }

        impl Error {
            /// Every public error name, in the table's order.
            pub const NAMES: &'static [&'static str] = &[$(stringify!($name)),*];

            /// The public error name (`Error.name` in JavaScript, `error` on the wire).
            pub fn name(&self) -> &'static str {
                match self { $( Self::$name { .. } => stringify!($name), )* }
            }

            /// The HTTP status that goes with this error.
            pub fn status(&self) -> u16 {
                match self { $( Self::$name { .. } => $status, )* }
            }

            /// The error named `name` with its details from `body`; `None` for an unknown name or a
            /// missing or mistyped detail.
            fn from_parts(name: &str, body: &serde_json::Map<String, serde_json::Value>) -> Option<Self> {
                match name {
                    $( stringify!($name) => Some(Self::$name $({ $(
                        $field: serde::Deserialize::deserialize(body.get(&camel_case(stringify!($field)))?).ok()?
                    ),* })?), )*
                    _ => None,
                }
            }

            /// The error's details, each by its wire name (camelCase), in declaration order.
            pub fn details(&self) -> Vec<(String, serde_json::Value)> {
                match self {
                    $( Self::$name $({ $($field),* })? => vec![$($( (camel_case(stringify!($field)), serde_json::Value::from($field.clone())) ),*)?], )*
                }
            }
        }
    };
}

errors! {
    /// A function's parameters were not an object (JavaScript) or a request body was not a JSON object.
    ParamsMustBeObject = 400, "Parameters passed to function must be placed inside an object.";
    /// No parameter was given where at least one is required.
    ParamsMissing = 400, "Parameters expected are missing.";
    /// A call needed the app ID before `init` set it.
    AppIdNotSet = 400, "App ID not set yet. Make sure to configure app ID.";
    /// `appId` missing.
    AppIdMissing = 400, "Application ID missing.";
    /// `appId` was not a string.
    AppIdMustBeString = 400, "Application ID must be a string.";
    /// `appId` was empty.
    AppIdCannotBeBlank = 400, "Application ID cannot be blank.";
    /// `init` was called again with another app ID.
    AppIdAlreadySet { app_id: String } = 409, "Application ID already set.";
    /// The server knows no app with this ID.
    AppIdNotValid = 401, "App ID not valid.";
    /// The request's `Origin` is not in the app's allowed origins.
    DomainNotWhitelisted { origin: String } = 401, "Domain not whitelisted. Whitelist the domain '{origin}' in your admin panel.";
    /// `updateUserHandler` was not a function.
    UpdateUserHandlerMustBeFunction = 400, "Update user handler must be a function.";
    /// `username` missing.
    UsernameMissing = 400, "Username missing.";
    /// `username` empty or only white space.
    UsernameCannotBeBlank = 400, "Username cannot be blank.";
    /// `username` was not a string.
    UsernameMustBeString = 400, "Username must be a string.";
    /// `username` longer than `max_len` characters.
    UsernameTooLong { max_len: usize } = 400, "Username too long. Must be a max of {max_len} characters.";
    /// `username` breaks the username profile (docs/protocol.md §1): `reason` says how.
    UsernameNotValid { reason: String } = 400, "Username not valid: it {reason}.";
    /// Another user of this app has this username.
    UsernameAlreadyExists = 409, "Username already exists.";
    /// Wrong password or unknown username (deliberately indistinguishable).
    UsernameOrPasswordMismatch = 401, "Username or password mismatch.";
    /// `password` missing.
    PasswordMissing = 400, "Password missing.";
    /// `password` empty.
    PasswordCannotBeBlank = 400, "Password cannot be blank.";
    /// `password` was not a string.
    PasswordMustBeString = 400, "Password must be a string.";
    /// `password` shorter than the app's minimum.
    PasswordTooShort { min_len: usize } = 400, "Password too short. Must be a minimum of {min_len} characters.";
    /// `password` longer than `max_len` characters.
    PasswordTooLong { max_len: usize } = 400, "Password too long. Must be a max of {max_len} characters.";
    /// `password` follows fewer of the five password practices than the app requires (`met` of
    /// `required`; see `validate::password_complexity`).
    PasswordTooWeak { required: u8, met: u8 } = 400, "Password too weak. Must follow {required} of the 5 password practices (at least 8 characters, an upper-case letter, a lower-case letter, a number, one of !@#$%^&*); it follows {met}.";
    /// Too many failed attempts on this account; retry after `delay` seconds.
    PasswordAttemptLimitExceeded { delay: u64 } = 401, "Password attempt limit exceeded. Must wait {delay} seconds to attempt to use password again.";
    /// A password change was asked without `currentPassword`.
    CurrentPasswordMissing = 400, "Current password missing.";
    /// `currentPassword` did not match.
    CurrentPasswordIncorrect = 401, "Current password is incorrect.";
    /// `email` is not a valid address.
    EmailNotValid = 400, "Email not valid.";
    /// `profile` is not a flat object.
    ProfileMustBeObject = 400, "Profile must be a flat JSON object.";
    /// `profile` has no keys.
    ProfileCannotBeEmpty = 400, "Profile cannot be empty.";
    /// `profile` has more than `max_keys` keys.
    ProfileHasTooManyKeys { max_keys: usize } = 400, "Profile has too many keys. Must have a max of {max_keys} keys.";
    /// A profile key is longer than `max_len` characters.
    ProfileKeyTooLong { key: String, max_len: usize } = 400, "Profile key too long. Must be a max of {max_len} characters.";
    /// A profile value is not a string.
    ProfileValueMustBeString { key: String, value: serde_json::Value } = 400, "Profile value must be a string.";
    /// A profile value is empty.
    ProfileValueCannotBeBlank { key: String } = 400, "Profile value cannot be blank.";
    /// A profile value is longer than `max_len` characters.
    ProfileValueTooLong { key: String, value: String, max_len: usize } = 400, "Profile value too long. Must be a max of {max_len} characters.";
    /// `rememberMe` is not one of `local`, `session`, `none`.
    RememberMeValueNotValid = 400, "Remember me value must be one of [\"local\",\"session\",\"none\"].";
    /// `sessionLength` is not a finite number.
    SessionLengthMustBeNumber = 400, "Session length must be a number.";
    /// `sessionLength` under 5 minutes.
    SessionLengthTooShort = 400, "Session length cannot be shorter than 5 minutes.";
    /// `sessionLength` over one year.
    SessionLengthTooLong = 400, "Session length cannot be longer than 1 year.";
    /// The app's user quota is used up.
    TrialExceededLimit = 402, "Trial exceeded limit of users.";
    /// signUp/signIn while a user is signed in.
    UserAlreadySignedIn { username: String } = 400, "Already signed in.";
    /// An operation that needs a signed-in user was called without one.
    UserNotSignedIn = 400, "Not signed in.";
    /// The user no longer exists.
    UserNotFound = 404, "User not found.";
    /// Anything unexpected: network failure, an unreadable answer, a server fault.
    ServiceUnavailable = 503, "Service unavailable.";

    // ---- sealbase additions (not in userbase-js) ----

    /// The server endpoint given to the client is not an http(s) URL.
    EndpointNotValid = 400, "Endpoint not valid. Must be an http or https URL.";
    /// Key-derivation parameters outside the accepted range (scrypt, log2 N 14–20, r 1–16, p 1–4).
    KdfParamsNotValid = 400, "Key derivation parameters not valid. Must be scrypt with log2 N from 14 to 20, r from 1 to 16 and p from 1 to 4.";
    /// A pending account's legacy hash parameters are not a supported algorithm within the bounds a
    /// client computes (docs/protocol.md §3.13).
    LegacyParamsNotValid = 400, "Legacy password hash parameters not valid.";
    /// Another user of this app has this email address.
    EmailAlreadyExists = 409, "Email already exists.";
    /// The app's backend blocked this user: no sign-in, session or authToken until it unblocks them.
    UserBlocked = 403, "User is blocked.";
    /// The app requires a verified email to sign in, and this user's is not (a new verification mail is
    /// on its way when the server can send one).
    EmailNotVerified = 403, "Email not verified. Follow the link or enter the code from the verification email.";
    /// The app requires a verified email to sign in, so its users cannot be without an email (at
    /// sign-up, or by removing it).
    EmailRequired = 400, "Email required. This app requires a verified email to sign in.";
    /// The verification link or code is unknown, wrong, expired or spent, or the email changed since.
    EmailVerificationNotValid = 400, "Email verification not valid. The link or code may be wrong, expired or used.";
    /// A profile claim breaks its rule (`key` names it: `given_name`, `addresses[0].city`).
    ClaimsNotValid { key: String, reason: String } = 400, "Claims not valid: '{key}' {reason}.";
    /// Metadata breaks its rule (`key` names the field, or is `metadata` for the whole object).
    MetadataNotValid { key: String, reason: String } = 400, "Metadata not valid: '{key}' {reason}.";
    /// A key, nonce or ciphertext field is missing, not base64url, or of the wrong size.
    KeyMaterialNotValid { key: String } = 400, "Key material not valid: '{key}' must be unpadded base64url of the exact size.";
    /// The request body is not JSON.
    RequestBodyNotValid = 400, "Request body must be a JSON object.";
    /// The request body is larger than the server accepts.
    RequestBodyTooLarge { max_len: usize } = 400, "Request body too large. Must be a max of {max_len} bytes.";
    /// A sign-in challenge that is forged, expired, issued for another username or app, or already used.
    ChallengeNotValid = 401, "Challenge not valid. Request a new one and sign again.";
    /// The session secret is unknown, expired or revoked.
    SessionNotValid = 401, "Session not valid. Sign in again.";
    /// This client address made too many sign-in attempts; retry after `delay` seconds.
    TooManyRequests { delay: u64 } = 429, "Too many requests. Must wait {delay} seconds to try again.";
    /// The seed backup the server returned does not decrypt under the password's key: the client refuses
    /// to continue rather than create a new seed.
    SeedBackupNotValid = 502, "Seed backup could not be decrypted. The stored backup is damaged.";
    /// A recovery key that is not one as written: a wrong length, a character outside Crockford base32,
    /// or a checksum that does not match (a typo). Told before any request.
    RecoveryKeyNotValid = 400, "Recovery key not valid. Type it as shown: 8 groups of 4 letters and digits.";
    /// A well-formed recovery key that is not the user's current one (or the user has none).
    RecoveryKeyIncorrect = 401, "Recovery key incorrect.";
    /// The user's recovery key changed between reading it and registering a new one (another device
    /// registered one meanwhile), or an old registration was sent again: nothing changed.
    RecoveryKeyChanged = 409, "Recovery key changed meanwhile. Generate a new one.";
    /// Encrypted app data that does not open: made under another user's key, for another app or
    /// context, sealed to someone else, or altered.
    EnvelopeNotValid = 400, "Encrypted data not valid. It was made with another key, app or context, or altered.";
    /// A signature that does not verify for this user, app, context and data.
    SignatureNotValid = 400, "Signature not valid.";
    /// An encryption or signature `context` that is not a string (npm package).
    ContextMustBeString = 400, "Context must be a string.";
    /// `data` that is neither bytes nor a string (npm package).
    DataMustBeBytesOrString = 400, "Data must be a Uint8Array or a string.";
    /// An encryption or signature context longer than `max_len` bytes.
    ContextTooLong { max_len: usize } = 400, "Context too long. Must be a max of {max_len} bytes.";
    /// Data to encrypt, seal or sign larger than `max_len` bytes.
    DataTooLarge { max_len: usize } = 400, "Data too large. Must be a max of {max_len} bytes.";
    /// The local session store cannot be read as sealbase's (corrupt, or another program's file).
    SessionStoreNotValid { path: String } = 500, "Session store not valid: '{path}' is not a readable sealbase session file.";
    /// The local session store could not be written.
    SessionStoreNotWritable { path: String } = 500, "Session store not writable: '{path}'.";
}

impl Error {
    /// The wire form: `{ "error": name, "message": …, …extras }` (extras in camelCase).
    pub fn to_body(&self) -> serde_json::Value {
        // Built from `details` rather than a derived `Serialize`: the browser bundle is kilobytes smaller.
        let mut body = serde_json::Map::new();
        body.insert("error".into(), self.name().into());
        body.extend(self.details());
        body.insert("message".into(), self.to_string().into());
        serde_json::Value::Object(body)
    }

    /// Reads an error body sent by the server. Anything unrecognised is `ServiceUnavailable`, so a
    /// misbehaving server can never make the SDK report an error it did not define.
    pub fn from_body(body: &[u8]) -> Error {
        // By hand rather than a derived `Deserialize` of a tagged enum: the browser bundle is kilobytes
        // smaller without the buffering serde needs for that.
        let Ok(serde_json::Value::Object(body)) = serde_json::from_slice::<serde_json::Value>(body) else {
            return Error::ServiceUnavailable;
        };
        let name = body.get("error").and_then(serde_json::Value::as_str).unwrap_or_default();
        Self::from_parts(name, &body).unwrap_or(Error::ServiceUnavailable)
    }
}

/// `max_len` → `maxLen`: the wire name of a detail.
fn camel_case(snake: &str) -> String {
    let mut parts = snake.split('_');
    let mut camel = parts.next().unwrap_or_default().to_owned();
    for part in parts {
        let mut chars = part.chars();
        camel.extend(chars.next().map(|c| c.to_ascii_uppercase()));
        camel.push_str(chars.as_str());
    }
    camel
}

/// Short alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_round_trips_with_extras_in_camel_case() {
        let error = Error::ProfileValueTooLong { key: "bio".into(), value: "x".into(), max_len: 1000 };
        let body = error.to_body();
        assert_eq!(
            body,
            serde_json::json!({
                "error": "ProfileValueTooLong", "key": "bio", "value": "x", "maxLen": 1000,
                "message": "Profile value too long. Must be a max of 1000 characters."
            })
        );
        assert_eq!(Error::from_body(body.to_string().as_bytes()), error);
    }

    #[test]
    fn names_statuses_and_messages_match_the_reference() {
        let cases: [(Error, &str, u16, &str); 5] = [
            (
                Error::UsernameTooLong { max_len: 100 },
                "UsernameTooLong",
                400,
                "Username too long. Must be a max of 100 characters.",
            ),
            (Error::TrialExceededLimit, "TrialExceededLimit", 402, "Trial exceeded limit of users."),
            (
                Error::PasswordTooWeak { required: 4, met: 1 },
                "PasswordTooWeak",
                400,
                "Password too weak. Must follow 4 of the 5 password practices (at least 8 characters, an upper-case \
                 letter, a lower-case letter, a number, one of !@#$%^&*); it follows 1.",
            ),
            (Error::AppIdNotValid, "AppIdNotValid", 401, "App ID not valid."),
            (
                Error::DomainNotWhitelisted { origin: "https://evil.test".into() },
                "DomainNotWhitelisted",
                401,
                "Domain not whitelisted. Whitelist the domain 'https://evil.test' in your admin panel.",
            ),
        ];
        for (error, name, status, message) in cases {
            assert_eq!((error.name(), error.status(), error.to_string().as_str()), (name, status, message));
        }
    }

    #[test]
    fn unknown_or_garbled_bodies_become_service_unavailable() {
        assert_eq!(Error::from_body(br#"{"error":"NoSuchThing"}"#), Error::ServiceUnavailable);
        assert_eq!(Error::from_body(b"<html>502</html>"), Error::ServiceUnavailable);
        assert_eq!(Error::from_body(br#"{"error":"UsernameTooLong"}"#), Error::ServiceUnavailable);
    }
}
