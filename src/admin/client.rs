//! The app-backend client of the server-side API (features `admin` and `client`, native): what an app's
//! trusted backend calls with one of the app's secrets. It makes the pending account's verifier itself,
//! from the password or the imported hash it was given, so neither reaches the sealbase server
//! (docs/protocol.md §3.14); the account is then not marked `password_seen_by_server`. It also covers
//! the users API (§3.15): find, list, change (block, unblock) and delete users.
//!
//! ```no_run
//! # async fn demo() -> Result<(), sealbase::admin::AdminError> {
//! use sealbase::admin::client::{AdminClient, CreateUser};
//!
//! let admin = AdminClient::new("a1b2c3d4-app-id", "https://auth.example.com", "sbs.…")?;
//! let user = admin
//!     .create_user(CreateUser {
//!         email: "johnnylingo@gqmail.com".into(),
//!         first_name: "Johnny".into(),
//!         last_name: "Lingo".into(),
//!         password: "I've heard phrases make the best passwords.  Have you?".into(),
//!     })
//!     .await?;
//! assert!(user.pending_keys);
//! # Ok(()) }
//! ```

use serde::de::DeserializeOwned;
use zeroize::Zeroizing;

use super::create_user::NAME_MAX_LEN;
use super::record::ProfileClaims;
use super::{
    routes, AccountDetails, AdminError, AdminUser, ListUsers, NewUserRequest, PasswordSource, UserChange, UserLookup,
    UsersPage,
};
use crate::client::http::{self, Method, Request};
use crate::protocol::ClientSettings;
use crate::validate;

type Result<T> = std::result::Result<T, AdminError>;

/// Seed 000's user: email, names and password. The username is the lower-cased email.
#[derive(Default)]
pub struct CreateUser {
    /// The email, which is also the username.
    pub email: String,
    /// 1–25 characters: the `given_name` claim.
    pub first_name: String,
    /// 1–25 characters: the `family_name` claim.
    pub last_name: String,
    /// Checked against the app's policy here, then turned into the verifier here. Zeroized after use.
    pub password: String,
}

impl std::fmt::Debug for CreateUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreateUser")
            .field("email", &self.email)
            .field("first_name", &self.first_name)
            .field("last_name", &self.last_name)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// A client of the server-side API for one app, authenticated by one of its secrets.
pub struct AdminClient {
    app_id: String,
    endpoint: String,
    app_secret: Zeroizing<String>,
    http: http::Transport,
}

impl std::fmt::Debug for AdminClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdminClient").field("app_id", &self.app_id).field("endpoint", &self.endpoint).finish()
    }
}

fn field_error(field: &str) -> impl Fn(crate::Error) -> AdminError + '_ {
    move |error| super::user::field_error(field, error)
}

impl AdminClient {
    /// A client for `app_id` on the server at `endpoint`, with `app_secret` (`sbs.…`).
    pub fn new(app_id: impl Into<String>, endpoint: &str, app_secret: impl Into<String>) -> Result<Self> {
        let endpoint = http::parse_endpoint(endpoint).map_err(field_error("endpoint"))?;
        let http = http::Transport::new().map_err(|_| AdminError::ServiceUnavailable)?;
        Ok(Self { app_id: app_id.into(), endpoint, app_secret: Zeroizing::new(app_secret.into()), http })
    }

    /// Seed 000's createUser, without sending the password: checks the names, the email and the app's
    /// password policy (`PASSWORD_TOO_SHORT`, `PASSWORD_TOO_WEAK`) here, makes the verifier here, and
    /// creates the pending account through seed 001's route.
    pub async fn create_user(&self, user: CreateUser) -> Result<AdminUser> {
        let CreateUser { email, first_name, last_name, password } = user;
        let password = Zeroizing::new(password);
        let email = validate::email(&email).map_err(field_error("email"))?;
        let username = validate::username(&email).map_err(field_error("email"))?;
        for (field, name) in [("firstName", &first_name), ("lastName", &last_name)] {
            if name.trim().is_empty() {
                return Err(AdminError::not_valid(field, "cannot be blank"));
            }
            if name.chars().count() > NAME_MAX_LEN {
                return Err(AdminError::FieldTooLong { field: field.into(), max_length: NAME_MAX_LEN });
            }
        }
        let request = NewUserRequest {
            username,
            email: Some(email),
            password: PasswordSource::Plaintext(password),
            details: AccountDetails {
                name: Some(format!("{first_name} {last_name}")),
                profile: Some(ProfileClaims {
                    given_name: Some(first_name),
                    family_name: Some(last_name),
                    ..ProfileClaims::default()
                }),
                ..AccountDetails::default()
            },
        };
        self.import_user(request).await
    }

    /// Seed 001's body. A plaintext password is checked against the app's policy and, like an imported
    /// hash, turned into the verifier here; the server gets only the verifier. The body is checked by
    /// the same rules the server applies before anything is sent.
    pub async fn import_user(&self, request: NewUserRequest) -> Result<AdminUser> {
        if let PasswordSource::Plaintext(password) = &request.password {
            validate::password(password).map_err(field_error("password"))?;
            let settings: ClientSettings =
                self.send(self.request(Method::Get, crate::protocol::routes::CLIENT_SETTINGS)?).await?;
            if password.chars().count() < settings.password_min_length {
                return Err(AdminError::PasswordTooShort { min_length: settings.password_min_length });
            }
            let met = validate::password_complexity(password);
            if met < settings.password_complexity {
                return Err(AdminError::PasswordTooWeak { required: settings.password_complexity, met });
            }
        }
        let source = request.password.clone();
        let verifier = tokio::task::spawn_blocking(move || source.verifier())
            .await
            .map_err(|_| AdminError::ServiceUnavailable)??;
        let request = NewUserRequest { password: PasswordSource::Verifier(verifier), ..request };
        let body = request.to_json();
        // The server's own checks, here first: a request it would refuse is not sent.
        NewUserRequest::from_json(&body)?;
        self.send(self.authorized(Method::Post, routes::USERS)?.json(&body)).await
    }

    /// The user with this id (`USER_NOT_FOUND` if the app has none).
    pub async fn user(&self, user_id: &str) -> Result<AdminUser> {
        self.send(self.authorized(Method::Get, &user_path(user_id))?).await
    }

    /// The user with this username, email or identity.
    pub async fn find_user(&self, lookup: &UserLookup) -> Result<AdminUser> {
        self.send(self.authorized(Method::Post, routes::USER_LOOKUP)?.json(&lookup.to_json())).await
    }

    /// A page of the app's users in id order; pass its `next_cursor` on to get the next one.
    pub async fn list_users(&self, query: &ListUsers) -> Result<UsersPage> {
        let pairs = query.to_pairs();
        let query = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(&pairs).finish();
        self.send(self.authorized(Method::Get, &format!("{}?{query}", routes::USERS))?).await
    }

    /// Changes the user's record and answers it as it now is. Checked here by the server's rules first.
    pub async fn update_user(&self, user_id: &str, change: &UserChange) -> Result<AdminUser> {
        let body = change.to_json();
        UserChange::from_json(&body)?;
        self.send(self.authorized(Method::Patch, &user_path(user_id))?.json(&body)).await
    }

    /// Blocks the user: every live session of theirs is revoked at once, and no sign-in, session or
    /// authToken works until [`Self::unblock`].
    pub async fn block(&self, user_id: &str) -> Result<AdminUser> {
        self.update_user(user_id, &UserChange { blocked: Some(true), ..UserChange::default() }).await
    }

    /// Unblocks the user: they can sign in again, to the same seed.
    pub async fn unblock(&self, user_id: &str) -> Result<AdminUser> {
        self.update_user(user_id, &UserChange { blocked: Some(false), ..UserChange::default() }).await
    }

    /// Deletes the user with everything of theirs.
    pub async fn delete_user(&self, user_id: &str) -> Result<()> {
        let response = self
            .http
            .send(self.authorized(Method::Delete, &user_path(user_id))?)
            .await
            .map_err(|_| AdminError::ServiceUnavailable)?;
        if response.is_success() {
            Ok(())
        } else {
            Err(AdminError::from_body(&response.body))
        }
    }

    fn request(&self, method: Method, template: &str) -> Result<Request> {
        let path = template.trim_start_matches('/').replace("{app_id}", &crate::client::percent_encode(&self.app_id));
        Ok(Request::new(method, http::join(&self.endpoint, &path).map_err(field_error("endpoint"))?))
    }

    /// A request made with the app secret.
    fn authorized(&self, method: Method, template: &str) -> Result<Request> {
        let bearer = Zeroizing::new(format!("Bearer {}", self.app_secret.as_str()));
        Ok(self.request(method, template)?.authorization(bearer))
    }

    async fn send<T: DeserializeOwned>(&self, request: Request) -> Result<T> {
        let response = self.http.send(request).await.map_err(|_| AdminError::ServiceUnavailable)?;
        if response.is_success() {
            serde_json::from_slice(&response.body).map_err(|_| AdminError::ServiceUnavailable)
        } else {
            Err(AdminError::from_body(&response.body))
        }
    }
}

/// [`routes::USER`] for one user, its id percent-encoded.
fn user_path(user_id: &str) -> String {
    routes::USER.replace("{user_id}", &crate::client::percent_encode(user_id))
}
