//! Sessions: a random secret returned once to the client, stored only as its SHA-256.

use sealbase::protocol::{SessionGrant, SessionSecret};
use sealbase::validate::RememberMe;

use super::hash_secret;
use crate::clock::{hours_to_ms, iso};
use crate::store::NewSession;

/// A session about to be stored, with the secret its grant hands to the client.
pub struct IssuedSession {
    /// What the store keeps.
    pub record: NewSession,
    secret: SessionSecret,
}

impl IssuedSession {
    /// A fresh session for `user_id`, starting `now`.
    pub fn new(user_id: &str, remember_me: RememberMe, length_hours: f64, now: i64) -> Self {
        let secret = SessionSecret::random();
        let record = NewSession {
            id: uuid::Uuid::new_v4().to_string(),
            user_id: user_id.to_owned(),
            secret_hash: hash_secret(secret.expose()),
            remember_me,
            length_hours,
            created_at: now,
            expires_at: now + hours_to_ms(length_hours),
        };
        Self { record, secret }
    }

    /// What the client gets once the session is stored.
    pub fn grant(self) -> SessionGrant {
        SessionGrant {
            session_id: self.record.id,
            secret: self.secret,
            expiration_date: iso(self.record.expires_at),
            session_length: self.record.length_hours,
        }
    }
}
