//! The online check's refusals (`GET /v1/admin/auth-tokens/{authToken}`, docs/protocol.md §3.12): one
//! table for the server that answers them and the [`Verifier`](super::Verifier) that reads them. The
//! messages are Userbase's admin API's; the names are what callers match on.

macro_rules! check_errors {
    ($( $(#[$doc:meta])* $name:ident = $status:literal, $message:literal; )*) => {
        /// Why the online check refused.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum CheckError {
            $( $(#[$doc])* $name, )*
        }

        impl CheckError {
            /// Every refusal, in the table's order.
            pub const ALL: &'static [CheckError] = &[$(Self::$name),*];

            /// The machine-readable name (`error` in the body).
            pub fn name(self) -> &'static str {
                match self { $(Self::$name => stringify!($name),)* }
            }

            /// The HTTP status.
            pub fn status(self) -> u16 {
                match self { $(Self::$name => $status,)* }
            }

            /// Userbase's message (`message` in the body).
            pub fn message(self) -> &'static str {
                match self { $(Self::$name => $message,)* }
            }

            /// The refusal named `name`, if there is one.
            pub fn from_name(name: &str) -> Option<Self> {
                match name { $(stringify!($name) => Some(Self::$name),)* _ => None }
            }
        }
    };
}

check_errors! {
    /// No `Authorization` header.
    AuthorizationHeaderMissing = 400, "Authorization header missing.";
    /// A scheme other than `Bearer`.
    AuthorizationSchemeNotBearer = 400, "Authorization scheme must be of type Bearer.";
    /// `Bearer` with nothing after it.
    AccessTokenMissing = 400, "Access token missing.";
    /// No app has this admin access token.
    AccessTokenInvalid = 401, "Access token invalid.";
    /// The authToken fails offline verification for this app, or its session is no longer live.
    AuthTokenInvalid = 401, "Auth token invalid.";
    /// The app's backend blocked the user.
    UserBlocked = 403, "User is blocked.";
    /// The user was deleted.
    UserNotFound = 404, "User not found.";
    /// The database was too contended to answer; try again.
    TooManyRequests = 429, "Too many requests.";
    /// The database could not be reached.
    ServiceUnavailable = 503, "Service unavailable.";
}

impl CheckError {
    /// The body: `{"error": name, "message": message}`.
    pub fn to_body(self) -> serde_json::Value {
        serde_json::json!({ "error": self.name(), "message": self.message() })
    }
}

#[cfg(test)]
mod tests {
    use super::CheckError;

    #[test]
    fn every_refusal_reads_back_from_its_name() {
        for &error in CheckError::ALL {
            assert_eq!(CheckError::from_name(error.name()), Some(error));
            assert_eq!(error.to_body()["message"], error.message());
        }
        assert_eq!(CheckError::from_name("Auth token invalid."), None, "messages are not names");
    }
}
