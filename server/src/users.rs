//! Users as the SDK sees them.

use sealbase::protocol::User;

use crate::clock::iso;
use crate::store::{AppRecord, UserRecord};

impl crate::store::SessionRecord {
    /// Whom the authTokens of this session speak for.
    pub fn token_subject(&self) -> sealbase::token::TokenSubject<'_> {
        sealbase::token::TokenSubject {
            user_id: &self.user_id,
            email: self.email.as_deref(),
            email_verified: self.email_verified,
        }
    }
}

impl UserRecord {
    /// Whom this user's authTokens speak for.
    pub fn token_subject(&self) -> sealbase::token::TokenSubject<'_> {
        sealbase::token::TokenSubject {
            user_id: &self.id,
            email: self.email.as_deref(),
            email_verified: self.email_verified,
        }
    }

    /// The user as the SDK returns it.
    pub fn to_user(&self, app: &AppRecord, auth_token: String) -> User {
        User {
            username: self.username.clone(),
            user_id: self.id.clone(),
            auth_token,
            creation_date: iso(self.created_at),
            email: self.email.clone(),
            profile: self.profile.clone(),
            payments_mode: app.payments_mode,
            trial_expiration_date: self.trial_expires_at.map(iso),
            password_seen_by_server: self.password_seen_by_server,
            email_verified: self.email_verified,
            claims: self.claims.clone(),
            phone_number_verified: self.phone_number_verified,
            metadata: self.metadata.clone(),
        }
    }
}
