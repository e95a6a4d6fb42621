//! `sign_in`: prove the password by signing a server challenge, then decrypt the seed locally.

use zeroize::Zeroizing;

use super::{ActiveSession, Client};
use crate::crypto::legacy::{LegacyLoginKey, LegacyParams};
use crate::crypto::{KdfParams, NewAccountKeys, Seed};
use crate::error::{Error, Result};
use crate::protocol::b64::Bytes;
use crate::protocol::{
    challenge_message, routes, ChallengePurpose, FirstSignInRequest, PreLoginResponse, SignInRequest, SignInResponse,
    User,
};
use crate::validate::{self, RememberMe, DEFAULT_SESSION_LENGTH_HOURS};

/// Parameters of [`Client::sign_in`].
#[derive(Default)]
pub struct SignIn {
    /// The username (normalised like at sign-up).
    pub username: String,
    /// The password. Zeroized after use.
    pub password: String,
    /// Where the session is kept (default `Session`).
    pub remember_me: RememberMe,
    /// Session length in hours (default 24).
    pub session_length: Option<f64>,
}

impl core::fmt::Debug for SignIn {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SignIn")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .field("remember_me", &self.remember_me)
            .field("session_length", &self.session_length)
            .finish()
    }
}

impl Client {
    /// Signs in. The password never leaves this process: the server sees a signature over a
    /// single-use challenge, and returns the seed backup that only this password decrypts.
    pub async fn sign_in(&self, params: SignIn) -> Result<User> {
        let SignIn { username, password, remember_me, session_length } = params;
        let password = Zeroizing::new(password);
        let _signing_in = self.begin_signing_in().await?;
        let username = validate::username(&username)?;
        validate::existing_password(&password)?;
        let session_length = validate::session_length(session_length.unwrap_or(DEFAULT_SESSION_LENGTH_HOURS))?;
        self.require_store(remember_me)?;

        let pre_login = self.pre_login(&username).await?;
        if let Some(legacy) = pre_login.legacy.clone() {
            return self.first_sign_in(password, username, legacy, &pre_login, remember_me, session_length).await;
        }
        let (password_key, signature) =
            self.prove_password(password, &username, &pre_login, ChallengePurpose::SignIn).await?;
        let request =
            SignInRequest { username, challenge: pre_login.challenge, signature, remember_me, session_length };
        let response: SignInResponse =
            self.send(self.request(super::http::Method::Post, routes::SIGN_IN)?.json(&request)).await?;

        // A backup that does not decrypt is an error, never a reason to make a new seed.
        let seed = match Seed::restore(&response.seed_backup, &password_key.seed_backup_key(), &self.app_id) {
            Ok(seed) => seed,
            Err(error) => {
                // Best effort: do not leave an unusable session open on the server.
                self.end_session_quietly(&response.session.secret).await;
                return Err(error);
            }
        };
        let user = response.user.clone();
        self.activate_new(ActiveSession::new(response.user, response.session, seed, remember_me)).await?;
        Ok(user)
    }

    /// A pending account's first sign-in (docs/protocol.md §3.13): the legacy hash of the password as
    /// typed proves it, and the keys of an ordinary account, seed included, are made here and registered
    /// in the same request. From then on the account signs in like any other.
    async fn first_sign_in(
        &self,
        password: Zeroizing<String>,
        username: String,
        legacy: LegacyParams,
        pre_login: &PreLoginResponse,
        remember_me: RememberMe,
        session_length: f64,
    ) -> Result<User> {
        let legacy_hash = self.legacy_hash(legacy, password.clone()).await?;
        let (challenge, audience) = (pre_login.challenge, &pre_login.audience);
        let kdf = KdfParams::generate();
        let password_key = self.password_key(&password, kdf.clone()).await?;
        let keys = NewAccountKeys::from_password_key(&password_key, &self.app_id, kdf, Seed::random());
        let purpose = ChallengePurpose::FirstSignIn { binding: keys.registered().binding() };
        let message = challenge_message(purpose, &self.app_id, &username, &challenge.0, audience);
        let signature = Bytes(LegacyLoginKey::from_legacy_hash(&legacy_hash).sign(&message).to_bytes());
        let request =
            FirstSignInRequest { username, challenge, signature, remember_me, session_length, keys: keys.registered() };
        let response: SignInResponse =
            self.send(self.request(super::http::Method::Post, routes::FIRST_SIGN_IN)?.json(&request)).await?;
        if response.seed_backup != keys.seed_backup {
            // The server must hand back the backup just registered; anything else is not this account.
            self.end_session_quietly(&response.session.secret).await;
            return Err(Error::SeedBackupNotValid);
        }
        let user = response.user.clone();
        self.activate_new(ActiveSession::new(response.user, response.session, keys.seed, remember_me)).await?;
        Ok(user)
    }
}
