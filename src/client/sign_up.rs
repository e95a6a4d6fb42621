//! `sign_up`: validate locally, derive every key locally, then register the account.

use zeroize::Zeroizing;

use super::{ActiveSession, Client};
use crate::crypto::{KdfParams, NewAccountKeys, Seed};
use crate::error::Result;
use crate::protocol::{routes, Metadata, SignUpRequest, SignUpResponse, User, UserClaims};
use crate::validate::{self, Profile, RememberMe, DEFAULT_SESSION_LENGTH_HOURS};

/// Parameters of [`Client::sign_up`].
#[derive(Default)]
pub struct SignUp {
    /// 1–100 characters; stored NFKC-normalised and lower-cased.
    pub username: String,
    /// At least the app's minimum (default 8), at most 1000 characters. Zeroized after use.
    pub password: String,
    /// Optional email address.
    pub email: Option<String>,
    /// Optional flat profile.
    pub profile: Option<Profile>,
    /// Optional OpenID Connect profile claims (checked by the server, before it writes anything).
    pub claims: Option<UserClaims>,
    /// Optional app metadata: at most 10 fields of string (≤ 1024 characters), number, boolean or null.
    pub metadata: Option<Metadata>,
    /// Where the session is kept (default `Session`).
    pub remember_me: RememberMe,
    /// Session length in hours (default 24).
    pub session_length: Option<f64>,
}

impl core::fmt::Debug for SignUp {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SignUp")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .field("email", &self.email)
            .field("profile", &self.profile)
            .field("claims", &self.claims)
            .field("metadata", &self.metadata)
            .field("remember_me", &self.remember_me)
            .field("session_length", &self.session_length)
            .finish()
    }
}

impl Client {
    /// Creates an account and signs it in.
    ///
    /// Every parameter is checked before any hashing or request; only the app's password minimum
    /// needs the (cached) client settings. The password, its scrypt output and the plaintext seed
    /// never leave this process.
    pub async fn sign_up(&self, params: SignUp) -> Result<User> {
        let SignUp { username, password, email, profile, claims, metadata, remember_me, session_length } = params;
        let password = Zeroizing::new(password);
        let _signing_in = self.begin_signing_in().await?;
        let username = validate::username(&username)?;
        validate::password(&password)?;
        let session_length = validate::session_length(session_length.unwrap_or(DEFAULT_SESSION_LENGTH_HOURS))?;
        if let Some(profile) = &profile {
            validate::profile(profile)?;
        }
        let email = email.as_deref().map(validate::email).transpose()?;
        if let Some(metadata) = &metadata {
            crate::protocol::claims::check_metadata(metadata)?;
        }
        self.require_store(remember_me)?;

        let settings = self.client_settings().await?;
        validate::password_policy(&password, settings.password_min_length, settings.password_complexity)?;

        let kdf = KdfParams::generate();
        let password_key = self.password_key(&password, kdf.clone()).await?;
        let keys = NewAccountKeys::from_password_key(&password_key, &self.app_id, kdf, Seed::random());
        let keys_registered = keys.registered();
        let request = SignUpRequest {
            username,
            email,
            profile,
            claims,
            metadata,
            remember_me,
            session_length,
            keys: keys_registered,
        };
        let response: SignUpResponse =
            self.send(self.request(super::http::Method::Post, routes::SIGN_UP)?.json(&request)).await?;
        let user = response.user.clone();
        // The account exists from here on; if the session cannot be kept, it is ended and the error
        // returned (signing in again works).
        self.activate_new(ActiveSession::new(response.user, response.session, keys.seed, remember_me)).await?;
        Ok(user)
    }
}
