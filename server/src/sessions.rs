//! Sessions: created at sign-up and sign-in, presented as `Authorization: Bearer <secret>`, stored
//! only as the secret's SHA-256.

use axum::extract::{FromRequestParts, Path};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use rusqlite::{OptionalExtension, Transaction};
use sealbase::protocol::b64::Bytes;
use sealbase::protocol::{SessionGrant, SessionSecret};
use sealbase::validate::RememberMe;
use sealbase::Error;
use zeroize::Zeroizing;

use crate::clock::{hours_to_ms, iso, now_ms};
use crate::db::hash_secret;
use crate::error::{ApiError, ApiResult};
use crate::AppState;

/// A session about to be stored: its secret is returned once, in the grant; the database gets its hash.
pub struct NewSession {
    id: String,
    user_id: String,
    secret: SessionSecret,
    remember_me: RememberMe,
    session_length: f64,
    created_at: i64,
    expires_at: i64,
}

impl NewSession {
    /// A fresh session for `user_id`, starting now.
    pub fn new(user_id: &str, remember_me: RememberMe, session_length: f64) -> Self {
        let created_at = now_ms();
        Self {
            id: uuid::Uuid::new_v4().to_string(),
            user_id: user_id.to_owned(),
            secret: SessionSecret::random(),
            remember_me,
            session_length,
            created_at,
            expires_at: created_at + hours_to_ms(session_length),
        }
    }

    /// Stores the session (its secret's hash, never the secret) in the caller's write transaction.
    pub fn insert(&self, tx: &Transaction<'_>) -> rusqlite::Result<()> {
        tx.prepare_cached(
            "INSERT INTO sessions (id, user_id, secret_hash, remember_me, session_length_hours, created_at, expires_at)
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )?
        .execute((
            &self.id,
            &self.user_id,
            hash_secret(self.secret.expose()),
            remember_me_str(self.remember_me),
            self.session_length,
            self.created_at,
            self.expires_at,
        ))?;
        Ok(())
    }

    /// What the client gets once the session is stored, and the expiry (Unix ms).
    pub fn grant(self) -> (SessionGrant, i64) {
        let grant = SessionGrant {
            session_id: self.id,
            secret: self.secret,
            expiration_date: iso(self.expires_at),
            session_length: self.session_length,
        };
        (grant, self.expires_at)
    }
}

/// Inserts a session for `user_id`; the secret is returned once, in the grant.
pub fn create(
    tx: &Transaction<'_>,
    user_id: &str,
    remember_me: RememberMe,
    session_length: f64,
) -> rusqlite::Result<(SessionGrant, i64)> {
    let session = NewSession::new(user_id, remember_me, session_length);
    session.insert(tx)?;
    Ok(session.grant())
}

fn remember_me_str(remember_me: RememberMe) -> &'static str {
    match remember_me {
        RememberMe::Local => "local",
        RememberMe::Session => "session",
        RememberMe::None => "none",
    }
}

/// A request made with a live session of the app in the path.
#[derive(Debug, Clone)]
pub struct Authenticated {
    /// The session's public id.
    pub session_id: String,
    /// The signed-in user.
    pub user_id: String,
    /// The user's app.
    pub app_id: String,
    /// Current expiry (Unix ms).
    pub expires_at: i64,
    /// The session's length in hours.
    pub session_length_hours: f64,
}

impl Authenticated {
    /// For a write made on this session's authority: the session must still be live inside the write
    /// transaction, since a sign-out or password change may have committed after the extractor read it
    /// (a revoked session never works again).
    pub fn ensure_live(&self, tx: &Transaction<'_>) -> ApiResult<()> {
        tx.prepare_cached("SELECT 1 FROM sessions WHERE id = ? AND revoked_at IS NULL AND expires_at > ?")?
            .query_row((&self.session_id, now_ms()), |_| Ok(()))
            .optional()?
            .ok_or_else(|| Error::SessionNotValid.into())
    }
}

impl FromRequestParts<AppState> for Authenticated {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        // §3.5: on these routes anything wrong, an undecodable appId included, is SessionNotValid.
        let Path(app_id) =
            Path::<String>::from_request_parts(parts, state).await.map_err(|_| Error::SessionNotValid)?;
        let secret = Zeroizing::new(
            parts
                .headers
                .get(AUTHORIZATION)
                .and_then(|value| value.to_str().ok())
                .and_then(|value| value.strip_prefix("Bearer "))
                .and_then(Bytes::<32>::decode)
                .ok_or(Error::SessionNotValid)?
                .0,
        );
        let hash = hash_secret(secret.as_slice());
        let session = state.db.read(|c| {
            c.prepare_cached(
                "SELECT s.id, s.user_id, u.app_id, s.expires_at, s.session_length_hours
                 FROM sessions s JOIN users u ON u.id = s.user_id
                 WHERE s.secret_hash = ? AND s.revoked_at IS NULL AND s.expires_at > ?",
            )?
            .query_row((hash, now_ms()), |row| {
                Ok(Authenticated {
                    session_id: row.get(0)?,
                    user_id: row.get(1)?,
                    app_id: row.get(2)?,
                    expires_at: row.get(3)?,
                    session_length_hours: row.get(4)?,
                })
            })
            .optional()
        })?;
        // A session of another app is as unknown here as a made-up one.
        session.filter(|session| session.app_id == app_id).ok_or_else(|| Error::SessionNotValid.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_is_live_in_the_transaction_until_revoked_expired_or_deleted() {
        let (_dir, db) = crate::db::fixture_with_user();
        let session = Authenticated {
            session_id: "s1".into(),
            user_id: "u1".into(),
            app_id: "app".into(),
            expires_at: 9_999_999_999_999,
            session_length_hours: 24.0,
        };
        let live = || match db.write_blocking(|tx| session.ensure_live(tx)) {
            Ok(()) => Ok(()),
            Err(ApiError::Public(error)) => Err(error.name()),
            Err(other) => panic!("{other:?}"),
        };
        let change = |sql: &str| db.write_blocking(|tx| tx.execute_batch(sql)).expect("change");
        assert_eq!(live(), Ok(()));
        change("UPDATE sessions SET revoked_at = 1 WHERE id = 's1'");
        assert_eq!(live(), Err("SessionNotValid"), "signed out meanwhile");
        change("UPDATE sessions SET revoked_at = NULL, expires_at = 1 WHERE id = 's1'");
        assert_eq!(live(), Err("SessionNotValid"), "expired meanwhile");
        change("UPDATE sessions SET expires_at = 9999999999999 WHERE id = 's1'");
        assert_eq!(live(), Ok(()));
        change("DELETE FROM users WHERE id = 'u1'");
        assert_eq!(live(), Err("SessionNotValid"), "the user was deleted, and the session with them");
    }
}
