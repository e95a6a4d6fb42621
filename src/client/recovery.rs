//! Recovery keys: `generate_recovery_key` makes and registers one for the signed-in user;
//! `reset_password` sets a new password with it, keeping the seed and so the user's data.

use zeroize::Zeroizing;

use super::http::Method;
use super::{ActiveSession, Client};
use crate::crypto::recovery::RECOVERY_SALT_LEN;
use crate::crypto::{KdfParams, RecoveryKey};
use crate::error::{Error, Result};
use crate::protocol::b64::Bytes;
use crate::protocol::{
    challenge_message, routes, PreLoginRequest, PreResetResponse, RecoveryKeyStatus, RecoveryRegistration,
    ResetPasswordRequest, SignInResponse, User,
};
use crate::validate::{self, RememberMe, DEFAULT_SESSION_LENGTH_HOURS};

/// Parameters of [`Client::reset_password`].
#[derive(Default)]
pub struct ResetPassword {
    /// The username (normalised like at sign-up).
    pub username: String,
    /// The recovery key as the user typed it. Zeroized after use.
    pub recovery_key: String,
    /// The new password. Zeroized after use.
    pub new_password: String,
    /// Where the session is kept (default `Session`).
    pub remember_me: RememberMe,
    /// Session length in hours (default 24).
    pub session_length: Option<f64>,
}

impl core::fmt::Debug for ResetPassword {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ResetPassword")
            .field("username", &self.username)
            .field("recovery_key", &"<redacted>")
            .field("new_password", &"<redacted>")
            .field("remember_me", &self.remember_me)
            .field("session_length", &self.session_length)
            .finish()
    }
}

impl Client {
    /// Makes a recovery key for the signed-in user, registers it (replacing any earlier one), and answers
    /// its written form, `XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XXXX`, to show the user once: it is kept
    /// nowhere else. With it, [`Client::reset_password`] sets a new password and keeps the user's data.
    /// `RecoveryKeyChanged` when another device registered a key between this one's read and write.
    pub async fn generate_recovery_key(&self) -> Result<Zeroizing<String>> {
        let active = self.active()?;
        let audience = self.client_settings().await?.issuer;
        let request = self.authorized(Method::Get, routes::RECOVERY_KEY, &active.secret)?;
        let current: RecoveryKeyStatus =
            crate::protocol::decode(&self.send_authorized(request).await?).map_err(|_| Error::ServiceUnavailable)?;
        let key = RecoveryKey::random();
        let salt = Bytes(crate::crypto::random::array::<RECOVERY_SALT_LEN>());
        let keys = key.derive(&salt.0);
        let seed_backup = keys.backup(&active.seed, &self.app_id);
        let login_public_key = keys.login_public_key();
        let message = RecoveryRegistration::message(
            &self.app_id,
            &active.user.user_id,
            &audience,
            &salt,
            &login_public_key,
            &seed_backup,
            current.login_public_key.as_ref(),
        );
        let signature =
            Bytes(ed25519_dalek::Signer::sign(&active.seed.user_keys().identity_signing_key, &message).to_bytes());
        let replaces = current.login_public_key;
        let registration = RecoveryRegistration { salt, login_public_key, seed_backup, replaces, signature };
        let request = self.authorized(Method::Put, routes::RECOVERY_KEY, &active.secret)?.json(&registration);
        self.send_authorized(request).await?;
        Ok(key.to_text())
    }

    /// Sets a new password with the user's recovery key and signs in. The recovery key opens its backup
    /// of the seed here, the new password wraps the same seed, and the recovery key's signature of the
    /// server's challenge, bound to the new key material, proves it; the server revokes every other
    /// session. `RecoveryKeyNotValid` for a mistyped key (before any request), `RecoveryKeyIncorrect`
    /// for a key that is not the user's current one.
    pub async fn reset_password(&self, params: ResetPassword) -> Result<User> {
        let ResetPassword { username, recovery_key, new_password, remember_me, session_length } = params;
        let (recovery_key, new_password) = (Zeroizing::new(recovery_key), Zeroizing::new(new_password));
        let _signing_in = self.begin_signing_in().await?;
        let username = validate::username(&username)?;
        let key = RecoveryKey::parse(&recovery_key)?;
        validate::password(&new_password)?;
        let session_length = validate::session_length(session_length.unwrap_or(DEFAULT_SESSION_LENGTH_HOURS))?;
        self.require_store(remember_me)?;
        let settings = self.client_settings().await?;
        validate::password_policy(&new_password, settings.password_min_length, settings.password_complexity)?;

        let request = PreLoginRequest { username: username.clone() };
        let pre_reset: PreResetResponse =
            self.send(self.request(Method::Post, routes::PRE_RESET)?.json(&request)).await?;
        let keys = key.derive(&pre_reset.salt.0);
        let seed = keys.restore(&pre_reset.seed_backup, &self.app_id)?;
        let kdf = KdfParams::generate();
        let password_key = self.password_key(&new_password, kdf.clone()).await?;
        let seed_backup = seed.backup(&password_key.seed_backup_key(), &self.app_id);
        let login_public_key = Bytes(password_key.login_key().public_key().to_bytes());
        let mut request = ResetPasswordRequest {
            username,
            challenge: pre_reset.challenge,
            signature: Bytes([0; 64]),
            kdf,
            login_public_key,
            seed_backup,
            remember_me,
            session_length,
        };
        let message = challenge_message(
            request.purpose(),
            &self.app_id,
            &request.username,
            &request.challenge.0,
            &pre_reset.audience,
        );
        request.signature = keys.sign(&message);
        let response: SignInResponse =
            self.send(self.request(Method::Post, routes::RESET_PASSWORD)?.json(&request)).await?;
        if response.seed_backup != request.seed_backup {
            // The server must hand back the backup just registered; anything else is not this account.
            self.end_session_quietly(&response.session.secret).await;
            return Err(Error::SeedBackupNotValid);
        }
        let user = response.user.clone();
        self.activate_new(ActiveSession::new(response.user, response.session, seed, remember_me)).await?;
        Ok(user)
    }
}
