//! Users as the SDK sees them.

use sealbase::protocol::User;

use crate::clock::iso;
use crate::store::{AppRecord, UserRecord};

impl UserRecord {
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
        }
    }
}
