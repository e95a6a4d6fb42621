//! `update_user`: change username, email, profile or password.

use zeroize::Zeroizing;

use super::{lock, ActiveSession, Client};
use crate::crypto::KdfParams;
use crate::error::{Error, Result};
use crate::protocol::b64::Bytes;
use crate::protocol::{
    routes, ChallengePurpose, Metadata, PasswordChange, UpdateUserRequest, UpdateUserResponse, UserClaims,
};
use crate::validate::{self, Profile};

/// Parameters of [`Client::update_user`]. `None` leaves a field unchanged; `Some(None)` removes the email
/// or profile.
#[derive(Default)]
pub struct UpdateUser {
    /// New username.
    pub username: Option<String>,
    /// The current password, required with `new_password`. Zeroized after use.
    pub current_password: Option<String>,
    /// The new password. Zeroized after use.
    pub new_password: Option<String>,
    /// New email, or `Some(None)` to remove it.
    pub email: Option<Option<String>>,
    /// New profile, or `Some(None)` to remove it.
    pub profile: Option<Option<Profile>>,
    /// New OpenID Connect profile claims (replacing all of them), or `Some(None)` to remove them.
    pub claims: Option<Option<UserClaims>>,
    /// New app metadata (replacing all of it), or `Some(None)` to remove it.
    pub metadata: Option<Option<Metadata>>,
}

impl core::fmt::Debug for UpdateUser {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("UpdateUser")
            .field("username", &self.username)
            .field("current_password", &self.current_password.as_ref().map(|_| "<redacted>"))
            .field("new_password", &self.new_password.as_ref().map(|_| "<redacted>"))
            .field("email", &self.email)
            .field("profile", &self.profile)
            .field("claims", &self.claims)
            .field("metadata", &self.metadata)
            .finish()
    }
}

impl Client {
    /// Updates the signed-in user. A password change proves the current password with a fresh signed
    /// challenge, derives a new salt and login key, and re-wraps the *same* seed, so the user's data
    /// stays readable; the server revokes every other session of the user. The update handler fires
    /// with the new user.
    pub async fn update_user(&self, params: UpdateUser) -> Result<()> {
        let UpdateUser { username, current_password, new_password, email, profile, claims, metadata } = params;
        let current_password = current_password.map(Zeroizing::new);
        let new_password = new_password.map(Zeroizing::new);
        let active = self.active()?;
        if username.is_none()
            && new_password.is_none()
            && email.is_none()
            && profile.is_none()
            && claims.is_none()
            && metadata.is_none()
        {
            return Err(Error::ParamsMissing);
        }
        let username = username.as_deref().map(validate::username).transpose()?;
        if let Some(new_password) = &new_password {
            validate::password(new_password)?;
        }
        if let Some(Some(profile)) = &profile {
            validate::profile(profile)?;
        }
        let email = email.map(|email| email.as_deref().map(validate::email).transpose()).transpose()?;
        if let Some(Some(metadata)) = &metadata {
            crate::protocol::claims::check_metadata(metadata)?;
        }
        let password_change = match new_password {
            Some(new_password) => {
                let current_password = current_password.ok_or(Error::CurrentPasswordMissing)?;
                validate::existing_password(&current_password)?;
                let settings = self.client_settings().await?;
                validate::password_policy(&new_password, settings.password_min_length, settings.password_complexity)?;
                Some(self.password_change(&active, current_password, new_password).await?)
            }
            None => None,
        };

        let request = UpdateUserRequest { username, email, profile, claims, metadata, password_change };
        let body = self
            .send_authorized(self.authorized(super::http::Method::Patch, routes::USER, &active.secret)?.json(&request))
            .await?;
        let response: UpdateUserResponse = crate::protocol::decode(&body).map_err(|_| Error::ServiceUnavailable)?;
        self.user_updated(active, response.user);
        Ok(())
    }

    /// The server changed the signed-in user: keep its copy and tell the update handler.
    pub(crate) fn user_updated(&self, active: ActiveSession, user: crate::protocol::User) {
        // Only if this session is still the signed-in one (a sign-out may have happened meanwhile).
        let still_active = lock(&self.active).as_ref().is_some_and(|current| current.session_id == active.session_id);
        if still_active {
            let updated = ActiveSession { user: user.clone(), ..active };
            // The update is done on the server, and the stored session (secret, seed) has not changed:
            // only its copy of the user is refreshed, so failing to store it does not undo anything.
            if self.activate(updated.clone()).is_err() {
                *lock(&self.active) = Some(updated);
            }
        }
        let handler = lock(&self.update_user_handler).clone();
        if let Some(handler) = handler {
            handler(&user);
        }
    }

    /// New salt, new login key, the same seed re-wrapped; then a proof of the current password that
    /// signs a hash of exactly that new material.
    async fn password_change(
        &self,
        active: &ActiveSession,
        current_password: Zeroizing<String>,
        new_password: Zeroizing<String>,
    ) -> Result<PasswordChange> {
        let kdf = KdfParams::generate();
        let key = self.password_key(&new_password, kdf.clone()).await?;
        let seed_backup = active.seed.backup(&key.seed_backup_key(), &self.app_id);
        let login_public_key = Bytes(key.login_key().public_key().to_bytes());
        let username = &active.user.username;
        let pre_login = self.pre_login(username).await?;
        let purpose = ChallengePurpose::ChangePassword {
            binding: PasswordChange::binding(&kdf, &login_public_key, &seed_backup),
        };
        let (_, signature) = self.prove_password(current_password, username, &pre_login, purpose).await?;
        Ok(PasswordChange { challenge: pre_login.challenge, signature, kdf, login_public_key, seed_backup })
    }
}
